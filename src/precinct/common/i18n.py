"""Showing domain messages in the user's language."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from precinct.core.errors import FieldError


def say(message: str, params: Mapping[str, Any] | None = None) -> str:
    """A message marked in the rules (``gettext_noop``) in the active language, with its values
    filled in."""
    text = gettext(message)
    return text % dict(params) if params else text


def explain(error: FieldError) -> str:
    """The error's message translated into the active language, with its values filled in."""
    return say(error.message, error.params)
