"""Showing domain messages in the user's language."""

from django.utils.translation import gettext

from precinct.core.errors import FieldError


def explain(error: FieldError) -> str:
    """The error's message translated into the active language, with its values filled in."""
    message = gettext(error.message)
    return message % dict(error.params) if error.params else message
