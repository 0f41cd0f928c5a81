"""`precinct jobs worker [--once]` runs the background work (started beside the server by
`precinct serve`; on more hosts, one per host); `precinct jobs list` shows the latest jobs."""

import os
import signal
import threading
import time
from typing import Annotated, Any

import typer
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_typer.management import TyperCommand, command, initialize

from precinct.core import actors, clock

from ... import services
from ...models import Job

MAINTENANCE_S = 30.0  # how often the worker looks for dead jobs and daily work that is due


class Command(TyperCommand):
    help = "Background work: the worker, the latest jobs."

    @initialize()
    def init(self) -> None:
        """Sub-commands follow."""

    @command()
    def worker(
        self,
        once: Annotated[
            bool, typer.Option("--once", help="Run what is queued and due now, then stop.")
        ] = False,
        interval: Annotated[
            float, typer.Option(help="Seconds between looks at an empty queue.", min=0.05)
        ] = 1.0,
        parent: Annotated[
            int, typer.Option(help="Stop when this process (the server that started it) ends.")
        ] = 0,
        nice: Annotated[
            int,
            typer.Option(
                help="Lower this worker's CPU priority by so much (0-19): beside the server, "
                "a long job yields the processor to the requests.",
                min=0,
                max=19,
            ),
        ] = 0,
    ) -> None:
        """Run jobs as they are queued, start the daily work when it is due, and queue again the
        jobs of a worker that died. SIGTERM or Ctrl+C: the job in hand is finished first."""
        if nice:
            os.nice(nice)
        stop = threading.Event()
        worker_id = get_random_string(24)

        def request_stop(signum: int, frame: Any) -> None:
            if stop.is_set():  # a second signal: stop now (the job's transaction rolls back)
                raise SystemExit(1)
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.stdout.write(f"precinct jobs worker {worker_id} ready", ending="\n")
        self.stdout.flush()
        looked = -MAINTENANCE_S
        while not stop.is_set() and (not parent or os.getppid() == parent):
            close_old_connections()
            if time.monotonic() - looked >= MAINTENANCE_S or once:
                looked = time.monotonic()
                with actors.acting_as(actors.Actor(username="scheduler", role="system")):
                    services.recover(clock.now())
                    services.schedule(clock.now())
            while not stop.is_set() and services.work(worker_id=worker_id, max_tasks=1):
                close_old_connections()  # one job at a time, the stop flag read between jobs
            if once:
                break
            stop.wait(interval)

    @command(name="list")
    def list_jobs(self, limit: Annotated[int, typer.Option(help="How many.", min=1)] = 20) -> None:
        """The latest jobs: when, what, state, progress, outcome."""
        for job in Job.objects.defer("file", "upload").order_by("-created_at")[:limit]:
            self.stdout.write(
                f"{job.created_at:%Y-%m-%d %H:%M:%S} {job.kind:<20} {job.state:<8} "
                f"{job.progress:>4.0%} {job.attempts} {job.message}"
            )
