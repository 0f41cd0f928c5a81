"""`precinct plan hypercube` and `precinct plan simulate` as a user runs them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import CHILD_TIMEOUT_S, child_env

DOC = {
    "units": [{"id": "巡01", "mu": 1.0}, {"id": "巡02", "mu": 1.0}],
    "atoms": [
        {
            "id": "红军",
            "rate": 0.4,
            "preference": ["巡01", "巡02"],
            "travel": {"巡01": 3, "巡02": 7},
        },
        {
            "id": "光明",
            "rate": 0.6,
            "preference": ["巡02", "巡01"],
            "travel": {"巡01": 6, "巡02": 2},
        },
    ],
    "queue": "infinite",
}


def _run(tmp_path: Path, doc: object, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "model.json"
    text = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    env = child_env(PRECINCT_VAR_DIR=str(tmp_path), PRECINCT_ENV="test")
    return subprocess.run(
        [sys.executable, "-m", "precinct.cli", "plan", *args[:1], str(path), *args[1:]],
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )


@pytest.mark.parametrize("method", ["exact", "approx"])
def test_hypercube_json(tmp_path: Path, method: str) -> None:
    r = _run(tmp_path, DOC, "hypercube", "--method", method, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) >= {"workload", "p_all_busy", "dispatch_fraction", "interresponse_fraction",
                        "mean_travel_time"}  # fmt: skip
    assert set(out["workload"]) == {"巡01", "巡02"}
    assert set(out["dispatch_fraction"]["巡01"]) == {"红军", "光明"}
    if method == "exact":  # M/M/2, a = 1: P(wait) = 1/3, every call served
        assert abs(out["p_all_busy"] - 1 / 3) < 1e-9
        assert abs(sum(out["workload"].values()) - 1.0) < 1e-9


def test_bad_input_exits_2_naming_the_place(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(DOC))
    bad["atoms"][1]["preference"] = ["巡09"]
    r = _run(tmp_path, bad, "hypercube", "--json")
    assert r.returncode == 2 and "atoms[1].preference[0]: unknown unit '巡09'" in r.stderr
    assert "Traceback" not in r.stderr
    hot = json.loads(json.dumps(DOC))
    hot["atoms"][0]["rate"] = 2.0
    r = _run(tmp_path, hot, "hypercube")
    assert r.returncode == 2 and "≥ 1" in r.stderr
    r = _run(tmp_path, "{not json", "hypercube")
    assert r.returncode == 2 and "not JSON" in r.stderr


def test_simulate_gives_intervals_that_hold_the_exact_answer(tmp_path: Path) -> None:
    r = _run(tmp_path, DOC, "simulate", "--calls", "60000", "--seed", "3", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    low, high = out["p_all_busy"]["ci95"]
    assert low < out["p_all_busy"]["mean"] < high
    assert low - 0.01 <= 1 / 3 <= high + 0.01
    assert set(out["workload"]) == {"巡01", "巡02"} and out["calls"] == 60000
