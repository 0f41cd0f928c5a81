"""The road-network replay: nearest free car, the line by priority, shifts."""

import numpy as np
import pytest

from precinct.planning.roadsim import Call, run

# two cars; travel seconds from each car's post to targets 0 and 1
TRAVEL = np.array([[60.0, 300.0], [240.0, 120.0]])


def test_the_nearest_free_car_goes_and_comes_back() -> None:
    calls = [Call(0, 0, 2, 600), Call(100, 1, 2, 600)]
    out = run(calls, TRAVEL, dispatch_delay=0)
    # call 0: car 0 (60 s); call 1: car 1 (120 s)
    assert out.response_p50 == pytest.approx(90) and out.waited == 0
    assert out.within_5 == 1.0
    # car 0 busy 60 + 600 + 60 s; the span ends when car 1 is back: 100 + 120 + 600 + 120
    assert out.workload == pytest.approx([720 / 940, 840 / 940])


def test_a_busy_nearest_car_means_the_next_one() -> None:
    calls = [Call(0, 0, 2, 600), Call(10, 0, 2, 600)]
    out = run(calls, TRAVEL, dispatch_delay=0)
    # car 0 takes the first (60 s); it is busy, so car 1 takes the second (240 s)
    assert out.waited == 0
    assert out.response_p50 == pytest.approx(150)  # the median of 60 and 240


def test_the_line_serves_priority_one_first() -> None:
    one_car = TRAVEL[:1]
    calls = [Call(0, 0, 3, 100), Call(1, 0, 3, 100), Call(2, 0, 1, 100)]
    out = run(calls, one_car, dispatch_delay=0)
    assert out.waited == 2
    # the car is back at 220 s: the priority-1 call (at 2 s) goes before the one at 1 s
    # responses: 60; then P1 at 220 + 60 - 2 = 278; then the P3 at 440 + 60 - 1 = 499
    assert out.response_p50 == pytest.approx(278)


def test_off_duty_cars_are_not_sent() -> None:
    on_duty = np.array([[False], [True]])
    out = run([Call(0, 0, 2, 60)], TRAVEL, on_duty=on_duty, dispatch_delay=0)
    assert out.response_p50 == pytest.approx(240)


def test_street_handling_expected_follows_each_response() -> None:
    calls = [Call(0, 0, 2, 600), Call(100, 1, 2, 600), Call(200, 0, 2, 600)]
    rates = (np.array([100.0, 200.0, np.inf]), np.array([0.9, 0.6, 0.3]))
    # with a 30 s desk: call 0 by car 0 at 90 s (0.9); call 1 by car 1 at 150 s (0.6); call 2:
    # car 0 busy until 750 s, car 1 until 970 s: it waits for car 0, on scene 610 s after the
    # call (0.3)
    out = run(calls, TRAVEL, dispatch_delay=30, street=rates)
    assert out.waited == 1
    assert out.street == pytest.approx((0.9 + 0.6 + 0.3) / 3)
    assert run(calls, TRAVEL).street is None
