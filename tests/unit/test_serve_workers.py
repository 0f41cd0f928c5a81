"""`precinct serve` starts one worker per core by default (issue 19): a worker runs its requests'
Python one at a time, so a single worker left half of a 2-core machine idle while it saturated."""

import os

import pytest

from precinct.ops.management.commands import serve


@pytest.mark.parametrize(("cores", "workers"), [(1, 1), (2, 2), (4, 4), (64, 8)])
def test_one_worker_per_core_by_default(monkeypatch, cores: int, workers: int) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert serve.default_workers() == workers
