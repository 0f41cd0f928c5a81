"""Domain errors shared by every app. The edges (API, pages, CLI) turn them into responses."""

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field


def gettext_noop(message: str) -> str:
    """Mark a message template for translation without translating it (import it as ``_`` so that
    ``makemessages`` extracts it); the edge translates it when it shows the message."""
    return message


class DomainError(Exception):
    """Base class for errors a user can act on."""


class NotFound(DomainError):
    """The object does not exist or lies outside the caller's scope (never say which)."""


class PermissionDenied(DomainError):
    """The caller's role may not do this."""


@dataclass(frozen=True)
class FieldError:
    """A problem with one field (of one row). ``message`` is an English template with
    ``%(name)s`` placeholders filled from ``params``; pages show it translated."""

    field: str
    message: str
    row: int | None = None
    params: Mapping[str, object] = dc_field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.message % dict(self.params) if self.params else self.message

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.text}"


@dataclass
class ValidationFailed(DomainError):
    """One or more fields (or rows) are wrong; nothing was written."""

    errors: list[FieldError] = dc_field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("; ".join(str(e) for e in self.errors))


class Conflict(DomainError):
    """The request clashes with the current state (the car is taken, the key was used for another
    body); ``detail`` says with what, for the caller to show."""

    def __init__(self, message: str, detail: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = dict(detail or {})
