"""Domain errors at the command line, said one way (the pages' are in ``common.pages``, the
API's in ``config.api``): each reason on its own line on standard error, with its row and field,
and exit status 2, in English like the rest of the commands' output. A command runs its use case inside::

    with refusals(not_found=f"{username}: no such account"):
        with transactions.entry():
            services.enable_account(username=username)
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import translation
from rich.console import Console
from rich.markup import escape

from precinct.core.errors import DomainError, NotFound

from .pages import reasons

EXIT_REFUSED = 2


@contextmanager
def refusals(*, not_found: str = "", after: str = "") -> Iterator[None]:
    """Say why the use case refused and exit with status 2. ``not_found``: what to say when the
    record named on the command line does not exist; ``after``: a last line (e.g. that nothing
    was saved)."""
    try:
        yield
    except DomainError as exc:
        err = Console(stderr=True, soft_wrap=True, highlight=False)
        with translation.override("en"):  # the language of the commands' other output
            lines = [not_found] if not_found and isinstance(exc, NotFound) else reasons(exc)
        for line in lines:
            err.print(f"[red]error:[/red] {escape(line)}")
        if after:
            err.print(escape(after))
        raise SystemExit(EXIT_REFUSED) from None
