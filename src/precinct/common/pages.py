"""Domain errors on pages, turned into answers in one place (the API's are in ``config.api``).
It lives in common, below every app, so that every app's pages use it without an import cycle
through the web shell (which imports apps for the home page).

A service refuses with a domain error (``core.errors``); ``@page_errors`` on a page view answers
it the same way everywhere:

- ``NotFound`` → 404 (never saying whether the record exists outside the caller's scope);
- ``PermissionDenied`` → the 403 page the access middleware shows; with ``refused="message"``, a
  form posted from a page gets "Your role may not make this change." and goes back instead;
- ``ValidationFailed`` (and ``Conflict``) → each reason translated as an error message, and back.
  A GET without ``back`` answers 404: its address names nothing that can be shown.

``back`` is where a refused request goes: a URL name or path (as ``redirect()`` takes it), or a
function of the view's own arguments giving a URL or a whole response (an htmx partial). Without
it, a POST goes back to the address it was posted to.

A form shows a refusal on its fields instead (``common.forms.DomainErrorsForm.reporting``), an
import in a table by row (``by_row``); a value read from the address that does not parse is a 404
(``from_address``).
"""

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Literal, ParamSpec, TypeVar, overload

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext, pgettext

from precinct.common.field_labels import FIELD_LABELS
from precinct.common.i18n import explain
from precinct.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

P = ParamSpec("P")
T = TypeVar("T")
View = Callable[P, HttpResponse]
Back = str | Callable[..., str | HttpResponse]
ErrorRow = tuple[int | None, str, str]

MAX_MESSAGES = 50  # a workbook with a thousand bad rows: the first ones, and how many more


def reason(error: FieldError) -> str:
    """One field error as a line for a person: where (row, field), then why, translated."""
    where = f"{gettext('Row')} {error.row} · " if error.row is not None else ""
    label = FIELD_LABELS.get(error.field) if error.field else None
    if label is None:  # a field without words: the reason alone, never the field's code
        return f"{where}{explain(error)}"
    return where + pgettext("field error", "%(field)s: %(reason)s") % {
        "field": label,
        "reason": explain(error),
    }


def reasons(exc: DomainError) -> list[str]:
    """Why a request was refused, in the user's language: one line per reason."""
    if isinstance(exc, ValidationFailed):
        lines = [reason(e) for e in exc.errors[:MAX_MESSAGES]]
        if len(exc.errors) > MAX_MESSAGES:
            more = len(exc.errors) - MAX_MESSAGES
            lines.append(gettext("… and %(n)s more.") % {"n": more})
        return lines
    if isinstance(exc, PermissionDenied):
        return [gettext("Your role may not make this change.")]
    if isinstance(exc, Conflict):
        return [gettext(exc.message)]
    return [gettext(str(exc))] if str(exc) else [gettext("Not allowed")]


def say(request: HttpRequest, exc: DomainError) -> None:
    """The reasons as error messages on the next page."""
    for line in reasons(exc):
        messages.error(request, line)


def forbidden(request: HttpRequest) -> HttpResponse:
    """The 403 page, as the access middleware shows it."""
    return TemplateResponse(request, "web/forbidden.html", {}, status=403).render()


def rows(exc: ValidationFailed, labels: Mapping[str, str] | None = None) -> list[ErrorRow]:
    """The reasons as a table: row, field (by ``labels`` when given), why, translated."""
    return [
        (e.row, labels.get(e.field, "") if labels is not None else e.field, explain(e))
        for e in exc.errors
    ]


@contextmanager
def by_row(into: list[ErrorRow], labels: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run an import inside: if it refuses its rows, the reasons go ``into`` the list (the page
    shows them as a table) and the code after the block runs."""
    try:
        yield
    except ValidationFailed as exc:
        into.extend(rows(exc, labels))


def from_address(parse: Callable[[str], T], text: str) -> T:
    """A value read from the page's address (its path or query): one that does not parse names
    nothing there, so the page is not found."""
    try:
        return parse(text)
    except ValidationFailed as exc:
        raise Http404 from exc


def _back(
    back: Back | None, request: HttpRequest, args: tuple[object, ...], kwargs: Mapping[str, object]
) -> HttpResponse:
    if back is None:
        return redirect(request.get_full_path())
    target = back(*args, **kwargs) if callable(back) else back
    answer = target if isinstance(target, HttpResponse) else redirect(target)
    if request.method in ("GET", "HEAD") and answer.get("Location") == request.get_full_path():
        raise Http404  # back to the address that was refused would ask the same again
    return answer


def _answer(
    exc: DomainError,
    request: HttpRequest,
    back: Back | None,
    refused: str,
    args: tuple[object, ...],
    kwargs: Mapping[str, object],
) -> HttpResponse:
    if isinstance(exc, NotFound):
        raise Http404 from exc
    posted = request.method not in ("GET", "HEAD")
    goes_back = back is not None or posted  # a GET back to itself would ask the same again
    if isinstance(exc, PermissionDenied) and not (refused == "message" and posted):
        return forbidden(request)
    if not goes_back:
        raise Http404 from exc
    say(request, exc)  # before ``back``, which may render a page showing them
    return _back(back, request, args, kwargs)


@overload
def page_errors(view: View[P], /) -> View[P]: ...
@overload
def page_errors(
    *, back: Back | None = None, refused: Literal["page", "message"] = "page"
) -> Callable[[View[P]], View[P]]: ...
def page_errors(
    view: View[P] | None = None,
    /,
    *,
    back: Back | None = None,
    refused: Literal["page", "message"] = "page",
) -> View[P] | Callable[[View[P]], View[P]]:
    """Answer the domain errors a page view raises (see the module's text). The view's first
    argument is the request; ``back``, when a function, gets the view's arguments."""

    def decorate(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def answered(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            request = args[0]
            assert isinstance(request, HttpRequest)
            try:
                return view(*args, **kwargs)
            except DomainError as exc:
                try:
                    return _answer(exc, request, back, refused, args, kwargs)
                except NotFound as again:  # ``back`` reads the record too
                    raise Http404 from again

        return answered

    return decorate(view) if view is not None else decorate
