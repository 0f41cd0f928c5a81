"""Markers shared by the integration tests."""

import pytest

# Tests that open dozens of connections at once (one per thread). They share one xdist group so
# that two of them never run at the same moment: two 50-thread races together need more than
# PostgreSQL's default 100 connections.
RACES = pytest.mark.xdist_group("races")
