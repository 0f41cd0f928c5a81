"""`precinct serve`: the ASGI app under uvicorn."""

from typing import Annotated

import typer
import uvicorn
from django_typer.management import TyperCommand

from precinct.ops.checks import field_key_problems, pending_migrations, wait_for_database


class Command(TyperCommand):
    help = "Serve the web app and API with uvicorn."

    def handle(
        self,
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.", envvar="PORT")] = 8000,
        workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
        wait_for_db: Annotated[
            int,
            typer.Option(
                "--wait-for-database",
                help="Seconds to wait for the database to answer before giving up.",
                envvar="PRECINCT_DATABASE_WAIT",
                min=0,
            ),
        ] = 60,
    ) -> None:
        problem = wait_for_database(wait_for_db, say=self.stderr.write)
        if problem:
            self.stderr.write(
                f"The database cannot be reached after {wait_for_db} s: {problem}. Check "
                "PRECINCT_DATABASE_URL and that the database server is running."
            )
            raise SystemExit(3)
        pending = pending_migrations()
        if pending:
            self.stderr.write(
                f"The database has {len(pending)} unapplied migration(s). "
                "Run `precinct db upgrade` first."
            )
            raise SystemExit(2)
        problems = field_key_problems()
        if problems:
            self.stderr.write(
                "The field keys do not open the personal data in the database (PRECINCT_FIELD_KEY, "
                "PRECINCT_FIELD_OLD_KEYS; `precinct keys status`): " + "; ".join(problems)
            )
            raise SystemExit(2)
        self.stdout.write(f"precinct serving on http://{host}:{port}/ ({workers} worker(s))")
        uvicorn.run(
            "precinct.config.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            proxy_headers=False,
            server_header=False,
            # live-board streams never end by themselves: a stop must not wait for them
            timeout_graceful_shutdown=5,
        )
