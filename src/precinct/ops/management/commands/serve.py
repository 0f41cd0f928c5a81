"""`precinct serve`: the ASGI app under uvicorn, and a job worker beside it (ADR 0031)."""

import os
import subprocess
import sys
from typing import Annotated

import typer
import uvicorn
from django_typer.management import TyperCommand

from precinct.ops.checks import field_key_problems, pending_migrations, wait_for_database

# A worker process runs Python on one core at a time (the GIL), however many requests its threads
# hold: on a 2-core machine a single worker saturated at half the machine (issue 19: 100
# recommendation requests a second, bench/http_dispatch.py). SQLite serves many processes (WAL:
# readers in parallel, writers take turns at BEGIN IMMEDIATE), and the live board reaches the
# streams of the other workers through its watcher (common.live, within a second).
MAX_DEFAULT_WORKERS = 8
JOB_WORKER_NICE = 10  # the job worker beside the server: a lower CPU priority than the requests


def default_workers() -> int:
    """One worker per core this process may run on (its CPU affinity), at most
    MAX_DEFAULT_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


class Command(TyperCommand):
    help = "Serve the web app and API with uvicorn."

    def handle(
        self,
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.", envvar="PORT")] = 8000,
        workers: Annotated[
            int | None,
            typer.Option(
                help="Worker processes (default: one per core this server may run on, at most "
                f"{MAX_DEFAULT_WORKERS}).",
                envvar="PRECINCT_WEB_WORKERS",
                min=1,
            ),
        ] = None,
        wait_for_db: Annotated[
            int,
            typer.Option(
                "--wait-for-database",
                help="Seconds to wait for the database to answer before giving up.",
                envvar="PRECINCT_DATABASE_WAIT",
                min=0,
            ),
        ] = 60,
        jobs: Annotated[
            bool,
            typer.Option(
                "--jobs/--no-jobs",
                help="Run a job worker beside the server (default); --no-jobs where workers run "
                "on other hosts (`precinct jobs worker`).",
                envvar="PRECINCT_JOB_WORKER",
            ),
        ] = True,
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
        workers = workers or default_workers()
        self.stdout.write(f"precinct serving on http://{host}:{port}/ ({workers} worker(s))")
        worker = (
            subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "precinct.cli",
                    "jobs",
                    "worker",
                    "--parent",
                    str(os.getpid()),
                    # a job (a month's awards, a night's traffic learning) takes the CPU the
                    # requests leave: at full load it waits, the dispatchers do not (issue 19)
                    "--nice",
                    str(JOB_WORKER_NICE),
                ]
            )
            if jobs
            else None
        )
        try:
            self._serve(host, port, workers)
        finally:
            if worker is not None:  # the job in hand is finished first (SIGTERM), then it stops
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()

    @staticmethod
    def _serve(host: str, port: int, workers: int) -> None:
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
