from precinct.core.ids import uuid7, uuid7_at
from precinct.core.money import yuan


def test_uuid7_is_version_7_and_time_ordered() -> None:
    ids = [uuid7() for _ in range(200)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)


def test_uuid7_at_is_deterministic_and_valid() -> None:
    a, b = uuid7_at(1_700_000_000_000, 12345), uuid7_at(1_700_000_000_000, 12345)
    assert a == b and a.version == 7 and a.variant == "specified in RFC 4122"
    assert uuid7_at(1_700_000_000_001, 0) > uuid7_at(1_700_000_000_000, (1 << 74) - 1)


def test_money_is_formatted_from_fen() -> None:
    assert yuan(2_000_000) == "20,000.00"
    assert yuan(-5) == "-0.05"
