"""The live board's stream outlives a moment without the database (a cluster electing a new
primary, ADR 0041): it stays open, looks again shortly, and sends the board once it answers,
instead of ending and leaving the page to reconnect."""

import asyncio
import concurrent.futures

from django.db import OperationalError


def _first_board(events) -> str:  # type: ignore[no-untyped-def]
    async def first() -> str:
        async for chunk in events:
            if chunk.startswith("event: board"):
                await events.aclose()
                return str(chunk)
        raise AssertionError("the stream ended without a board")

    # a loop of its own, in a thread of its own (the test may run beside Playwright's loop)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(first(), 30)).result()


def test_the_board_stream_waits_out_a_lost_database(city) -> None:
    from precinct.command import views

    calls: list[int] = []

    def snapshot(scope) -> str:  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return '{"incidents": [], "units": []}'

    board = _first_board(views._events(city.scope("command"), snapshot, still_signed_in=None))
    assert '{"incidents": [], "units": []}' in board
    assert len(calls) == 2


def test_a_session_check_without_the_database_does_not_end_the_stream(city) -> None:
    from precinct.command import views

    asked: list[int] = []

    def still_signed_in() -> bool:
        asked.append(1)
        if len(asked) == 1:
            raise OperationalError("no connection to the server")
        return True

    board = _first_board(
        views._events(city.scope("command"), lambda scope: "{}", still_signed_in=still_signed_in)
    )
    assert board.startswith("event: board") and len(asked) == 1  # asked, unanswered, went on
