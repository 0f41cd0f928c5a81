"""Domain errors shared by every app. The edges (API, pages, CLI) turn them into responses."""

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base class for errors a user can act on."""


class NotFound(DomainError):
    """The object does not exist or lies outside the caller's scope (never say which)."""


class PermissionDenied(DomainError):
    """The caller's role may not do this."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.message}"


@dataclass
class ValidationFailed(DomainError):
    """One or more fields (or rows) are wrong; nothing was written."""

    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("; ".join(str(e) for e in self.errors))
