"""`precinct audit verify`: walk the hash chain and name the first broken link."""

from django_typer.management import TyperCommand, command, initialize
from rich.console import Console

from ... import services


class Command(TyperCommand):
    help = "The tamper-evident audit log: verify."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow (a group even with one, so more can be added)."""

    @command()
    def verify(self) -> None:
        """Check every entry's hash and link; exit code 1 at the first broken link."""
        console = Console(stderr=True)
        with console.status("verifying the audit chain…"):
            checked, broken = services.verify_audit_chain()
        if broken is not None:
            self.stdout.write(f"BROKEN at {broken} ({checked} entries before it verified)")
            raise SystemExit(1)
        self.stdout.write(f"OK: {checked} entries, chain intact")
