"""Background work on one engine: django-tasks with its database backend (ADR 0031).

A page starts a job with :func:`start` inside its own transaction: the job's row and the queue's
row commit together, and the unique live key means that a second click (or a second user) finds
the job already running instead of starting the same work again. A worker process
(``precinct jobs worker``, started beside the server by ``precinct serve``) takes the queue's
rows and calls :func:`run`, which runs the kind's handler (named in ``settings.JOBS``) as the user
who started it, in his language. A handler reports its progress through :class:`Work`; a worker
that dies leaves its job without a heartbeat, and :func:`recover` queues it again (handlers are
written to be run again: what they commit is idempotent, so a job resumes and is never half
applied). :func:`schedule` starts the daily work (``settings.JOB_SCHEDULE``) once per day.
"""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError
from django.db.models import F
from django.utils import translation
from django.utils.module_loading import import_string
from django_tasks import task

from precinct.common import transactions
from precinct.common.field_labels import FIELD_LABELS
from precinct.common.pages import reasons
from precinct.common.pages import rows as error_rows
from precinct.core import actors, clock
from precinct.core.errors import DomainError, ValidationFailed

from . import rules
from .models import Job

log = logging.getLogger("precinct.jobs")
_HEAVY = ("file", "upload")  # the files: read only by who needs them
MAX_ERROR_ROWS = 1000  # a workbook with thousands of bad rows: the first ones, and how many more

__all__ = [
    "Job",
    "Work",
    "file_of",
    "get",
    "latest",
    "panel",
    "pending",
    "recover",
    "run",
    "schedule",
    "start",
    "work",
]


@dataclass
class Work:
    """What a handler gets: the job's parameters, and the means to say how far it is."""

    job_id: uuid.UUID
    bureau_id: uuid.UUID | None
    params: dict[str, Any]
    username: str
    attempt: int
    result: dict[str, Any] = field(default_factory=dict)

    def progress(self, done: int, total: int, step: str = "") -> None:
        """Record how far the work is (in its own short write: the page sees it at once)."""
        values: dict[str, Any] = {"progress": rules.fraction(done, total), "beat_at": clock.now()}
        if step:
            values["step"] = step[:200]
        Job.objects.filter(pk=self.job_id, attempts=self.attempt).update(**values)

    def upload(self) -> bytes:
        """The file the work reads (an import's workbook), as the user sent it."""
        data = Job.objects.filter(pk=self.job_id).values_list("upload", flat=True).first()
        return bytes(data) if data is not None else b""

    def file(self, name: str, content_type: str, data: bytes) -> None:
        """The finished file, offered for download on the page when the job is done."""
        Job.objects.filter(pk=self.job_id, attempts=self.attempt).update(
            file=data, file_name=name[:200], content_type=content_type[:100]
        )


def start(
    *,
    kind: str,
    key: str,
    bureau_id: uuid.UUID | None,
    params: dict[str, Any] | None = None,
    once: str | None = None,
    upload: bytes | None = None,
) -> tuple[Job, bool]:
    """Queue a job for ``key`` unless one is live already: (the job, whether it is new). Runs in
    the caller's transaction; the actor and the language are the caller's. ``upload`` is the
    file the work reads (kept with the job until it is over: workers share only the database)."""
    transactions.require("jobs.start")
    if kind not in settings.JOBS:
        raise ValueError(f"no handler for the job kind {kind!r} (settings.JOBS)")
    live = Job.objects.filter(key=key, state__in=rules.LIVE).first()
    if live is not None:
        return live, False
    actor = actors.current_actor()

    def create() -> Job:
        job = Job.objects.create(
            bureau_id=bureau_id,
            kind=kind,
            key=key[:200],
            once=once,
            params=params or {},
            upload=upload,
            actor={"username": actor.username, "user_id": actor.user_id, "role": actor.role,
                   "bureau_id": actor.bureau_id, "ip": actor.ip},
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )  # fmt: skip
        _enqueue(job.pk)
        return job

    try:
        return transactions.savepoint(create), True
    except IntegrityError:  # started by another click a moment ago: that job it is
        job = Job.objects.filter(key=key, state__in=rules.LIVE).first() or (
            Job.objects.filter(once=once).first() if once else None
        )
        if job is None:
            raise
        return job, False


def _enqueue(job_id: uuid.UUID) -> None:
    run_job.enqueue(str(job_id))


def get(job_id: uuid.UUID) -> Job | None:
    return Job.objects.filter(pk=job_id).defer(*_HEAVY).first()


def panel(job: Job | None, username: str) -> dict[str, Any]:
    """The context of the page's job panel (``web/_job.html``): the job, and whether its file is
    offered to this user (only to the one who asked for it: it was drawn in his scope)."""
    mine = job is not None and job.actor.get("username") == username
    return {"job": job, "file_ok": mine and bool(job and job.file_name)}


def file_of(job_id: uuid.UUID) -> bytes:
    """A finished job's file."""
    data = Job.objects.filter(pk=job_id).values_list("file", flat=True).first()
    return bytes(data) if data is not None else b""


def latest(key: str) -> Job | None:
    """The newest job of this work (live or finished), for the page that starts it."""
    return Job.objects.filter(key=key).defer(*_HEAVY).order_by("-created_at").first()


def run(job_id: uuid.UUID) -> None:
    """Run one queued job (called by the worker): claim it, run its handler as the user who
    started it, record the outcome. A job that is not queued (done, or run by another worker
    already) is left alone."""
    now = clock.now()
    claimed = Job.objects.filter(pk=job_id, state=rules.QUEUED).update(
        state=rules.RUNNING, attempts=F("attempts") + 1, started_at=now, beat_at=now
    )
    if not claimed:
        return
    job = Job.objects.defer(*_HEAVY).get(pk=job_id)
    work = Work(job.pk, job.bureau_id, dict(job.params), job.actor.get("username", ""),
                job.attempts)  # fmt: skip
    mine = Job.objects.filter(pk=job_id, attempts=job.attempts, state=rules.RUNNING)
    actor = actors.Actor(**{k: str(v) for k, v in job.actor.items() if k in _ACTOR_FIELDS})
    with actors.acting_as(actor), translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            handler = import_string(settings.JOBS[job.kind])
            handler(work)
        except DomainError as exc:
            mine.update(state=rules.FAILED, upload=None, finished_at=clock.now(),
                        **_refusal(exc))  # fmt: skip
            return
        except Exception:
            log.exception("job %s (%s) failed", job.pk, job.kind)
            mine.update(
                state=rules.FAILED,
                upload=None,
                message=translation.gettext("An unexpected error stopped the work; it is logged.")[
                    :500
                ],
                finished_at=clock.now(),
            )
            return
    mine.update(
        state=rules.DONE,
        progress=1.0,
        step="",
        message=str(work.result.get("message", ""))[:500],
        result=work.result or None,
        upload=None,
        finished_at=clock.now(),
        beat_at=clock.now(),
    )


_ACTOR_FIELDS = ("username", "user_id", "role", "bureau_id", "ip")


def _refusal(exc: DomainError) -> dict[str, Any]:
    """A refused job's outcome: the reasons in words and, for an import's rows, the table of
    them (row, column, problem) that the job's panel shows."""
    if not isinstance(exc, ValidationFailed) or not any(e.row is not None for e in exc.errors):
        return {"message": "; ".join(reasons(exc))[:500]}
    table = [
        [row, FIELD_LABELS.get(field, field) if field else "", why]
        for row, field, why in error_rows(exc)[:MAX_ERROR_ROWS]
    ]
    n = len(exc.errors)
    message = translation.ngettext(
        "%(n)s problem was found: nothing was written.",
        "%(n)s problems were found: nothing was written.",
        n,
    ) % {"n": n}
    return {"message": message[:500], "result": {"errors": table, "more": n - len(table)}}


def recover(now: dt.datetime) -> int:
    """Queue again the running jobs whose worker died (no heartbeat for a while); a job that has
    died too often fails, saying so. Returns how many were queued again."""
    stale = dt.timedelta(seconds=settings.JOB_STALE_SECONDS)
    queued = 0
    for job in Job.objects.filter(state=rules.RUNNING).defer(*_HEAVY):
        if not rules.is_stale(job.beat_at, now, stale):
            continue
        with transactions.entry():
            mine = Job.objects.filter(pk=job.pk, state=rules.RUNNING, attempts=job.attempts)
            if job.attempts >= rules.MAX_ATTEMPTS:
                with translation.override(job.language or settings.LANGUAGE_CODE):
                    message = translation.gettext(
                        "The work was interrupted %(n)s times and has stopped."
                    ) % {"n": job.attempts}
                mine.update(state=rules.FAILED, message=message, upload=None, finished_at=now)
            elif mine.update(state=rules.QUEUED, step=""):
                _enqueue(job.pk)
                queued += 1
    return queued


def schedule(now: dt.datetime) -> int:
    """Start each daily job whose time has come and that has not run for its day yet (once per
    day across every worker: the slot is a unique key). Returns how many were started."""
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    started = 0
    for kind, at in settings.JOB_SCHEDULE.items():
        daily = rules.parse_daily(kind, at)
        once = rules.once_key(daily, rules.slot(daily, local))
        if Job.objects.filter(once=once).exists():
            continue
        with transactions.entry():
            _job, new = start(kind=kind, key=f"daily:{kind}", bureau_id=None, once=once)
        started += new
    return started


def pending() -> bool:
    """Whether the queue holds a task to run now."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(backend_name="default").exists()


def work(*, worker_id: str = "inline", max_tasks: int | None = None) -> int:
    """Run the queued tasks in this process until the queue is empty or ``max_tasks`` have run
    (the worker's loop, a test, ``precinct jobs worker --once``): django-tasks' own claim (a
    locked row, an exclusive transaction on SQLite) and its own runner. Returns how many ran."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    runner = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ran = 0
    while max_tasks is None or ran < max_tasks:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        try:
            with exclusive_transaction(ready.db):
                task = ready.get_locked()
                if task is not None:
                    task.claim(worker_id)
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            return ran  # another worker holds the queue: the next look takes it
        if task is None:
            return ran
        runner.run_task(task)
        ran += 1
    return ran


@task()
def run_job(job_id: str) -> None:
    """The one django-tasks task: run a job by its id (the job's kind names its handler)."""
    run(uuid.UUID(job_id))
