"""Primary keys: UUIDv7 (time-ordered, no cross-shard sequence)."""

import uuid

import uuid6


def uuid7() -> uuid.UUID:
    """A new UUIDv7 as a plain :class:`uuid.UUID` (RFC 9562)."""
    return uuid.UUID(int=uuid6.uuid7().int)


def uuid7_at(unix_ms: int, rand: int) -> uuid.UUID:
    """A UUIDv7 from a given millisecond timestamp and 74 random bits (deterministic fixtures)."""
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
