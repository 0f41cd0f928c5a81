"""The xdist groups that keep the thread races apart are honoured.

pytest 9.2 stores a node's id where pytest-xdist 3.8 does not write its group suffix
(pytest-dev/pytest-xdist#1386), so ``--dist loadgroup`` silently spread the race tests over
both workers and CI ran out of PostgreSQL connections. This fails if the installed pair ever
does that again.
"""

import pytest

from tests.integration.markers import RACES


@RACES
def test_the_race_group_reaches_the_scheduler(request: pytest.FixtureRequest) -> None:
    if not request.config.getvalue("loadgroup"):
        pytest.skip("not run with --dist loadgroup")
    assert request.node.nodeid.endswith("@races"), request.node.nodeid
