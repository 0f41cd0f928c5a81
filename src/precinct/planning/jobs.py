"""A planning run as a background job (ADR 0031): the run's own row keeps its progress and result."""

import uuid

from precinct.jobs.services import Work

from . import services


def post_run(work: Work) -> None:
    services.work_run(uuid.UUID(work.params["run"]), beat=work.progress)
