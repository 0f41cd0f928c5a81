"""A highly available PostgreSQL's address (ADR 0041): several hosts in one URL, and each
process trying first the host that took its last connection."""

import pytest

from precinct.common import databases


@pytest.fixture(autouse=True)
def _no_memory() -> None:
    databases.forget_hosts()


def test_one_host_is_read_as_before() -> None:
    db = databases.parse("postgresql://u:p@db.example:5433/precinct")
    assert (db["ENGINE"], db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "django.db.backends.postgresql", "db.example", 5433, "precinct", "u",
    )  # fmt: skip


def test_several_hosts_become_libpq_lists_with_the_cluster_backend() -> None:
    db = databases.parse(
        "postgresql://u@10.0.0.1:5432,10.0.0.2,[fd00::3]:6432/precinct"
        "?target_session_attrs=read-write"
    )
    assert db["ENGINE"] == databases.CLUSTER_ENGINE
    assert db["HOST"] == "10.0.0.1,10.0.0.2,fd00::3"
    assert db["PORT"] == "5432,5432,6432"
    assert (db["NAME"], db["USER"]) == ("precinct", "u")
    assert db["OPTIONS"]["target_session_attrs"] == "read-write"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://u@h1:5432,,h3/precinct", "an empty host"),
        ("postgresql://u@h1:5432,h2:x/precinct", "the port of 'h2:x' is not a number"),
        ("mysql://u@h1,h2/precinct", "PostgreSQL's only"),
    ],
)
def test_a_bad_host_list_is_refused_naming_the_variable(url: str, said: str) -> None:
    with pytest.raises(databases.DatabaseUrlError, match="PRECINCT_DATABASE_URL") as e:
        databases.parse(url)
    assert said in str(e.value)


def test_the_host_that_took_the_last_connection_is_tried_first() -> None:
    hosts, ports = "a,b,c", "1,2,3"
    assert databases.ordered(hosts, ports) == ("a,b,c", "1,2,3")
    databases.remember(hosts, ports, "c", "3")  # after a failover to c
    assert databases.ordered(hosts, ports) == ("c,a,b", "3,1,2")


def test_when_no_host_took_a_connection_the_remembered_one_goes_to_the_end() -> None:
    hosts, ports = "a,b,c", "1,2,3"
    databases.remember(hosts, ports, "a", "1")
    databases.distrust(hosts, ports)  # a went away (a cut network): it is tried last now
    assert databases.ordered(hosts, ports) == ("b,c,a", "2,3,1")
    databases.remember(hosts, ports, "c", "3")  # c was promoted
    assert databases.ordered(hosts, ports) == ("c,b,a", "3,2,1")


def test_one_host_is_never_reordered() -> None:
    databases.remember("a", "1", "a", "1")
    assert databases.ordered("a", "1") == ("a", "1")


def test_the_listener_connects_like_django() -> None:
    params = databases.libpq_params({
        "NAME": "precinct", "USER": "u", "PASSWORD": "", "HOST": "a,b", "PORT": "1,2",
        "OPTIONS": {"target_session_attrs": "read-write", "connect_timeout": 2, "pool": False},
    })  # fmt: skip
    assert params == {
        "dbname": "precinct", "user": "u", "host": "a,b", "port": "1,2",
        "target_session_attrs": "read-write", "connect_timeout": 2,
    }  # fmt: skip
