"""The ranking of recommended units for an incident, with the reasons shown to the dispatcher."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from precinct.core.errors import gettext_noop as _

from .incidents import AVAILABLE, BUSY


# --- recommendation ----------------------------------------------------------------------------
def _filled(message: str, params: dict[str, Any]) -> str:
    return message % params if params else message


@dataclass(frozen=True)
class Candidate:
    unit_id: Any
    call_sign: str
    status: str
    seconds: float | None  # road-network travel to the incident; None: no position / unreachable
    meters: float | None
    position_age_s: float | None  # how old the unit's last position is


@dataclass(frozen=True)
class Recommendation:
    rank: int
    unit_id: Any
    call_sign: str
    eta_seconds: float
    meters: float | None  # along the route; None when not asked for (a dispatch's rank)
    why: tuple[tuple[str, dict[str, Any]], ...]  # (message template, params) to translate

    def as_dict(self, say: Callable[[str, dict[str, Any]], str] = _filled) -> dict[str, Any]:
        """As the API answers it; ``say`` puts each reason in the reader's language (the edge
        passes the translator; without one, the reasons stay in English)."""
        return {
            "rank": self.rank,
            "unit_id": self.unit_id,
            "call_sign": self.call_sign,
            "eta_seconds": round(self.eta_seconds, 1),
            "distance_m": None if self.meters is None else round(self.meters),
            "why": [say(message, params) for message, params in self.why],
        }


STALE_POSITION_S = 300.0


def recommend(candidates: Sequence[Candidate], *, limit: int = 5) -> list[Recommendation]:
    """Available units by travel time (call sign breaks ties), each with why: the nearest
    available; which busy units are closer; a position too old to trust."""
    reachable = [c for c in candidates if c.seconds is not None]
    reachable.sort(key=lambda c: (c.seconds, c.call_sign))
    available = [c for c in reachable if c.status == AVAILABLE]
    out: list[Recommendation] = []
    for rank, c in enumerate(available[:limit], start=1):
        assert c.seconds is not None
        why: list[tuple[str, dict[str, Any]]] = []
        if rank == 1:
            why.append((_("nearest available unit"), {}))
        else:
            ahead = out[0]
            why.append(
                (
                    _("%(s)s s slower than %(first)s"),
                    {"s": round(c.seconds - ahead.eta_seconds), "first": ahead.call_sign},
                )
            )
        closer_busy = [
            b.call_sign
            for b in reachable
            if b.status in BUSY and b.seconds is not None and b.seconds < c.seconds
        ]
        if closer_busy and rank == 1:
            why.append((_("closer units busy: %(units)s"), {"units": ", ".join(closer_busy[:5])}))
        if c.position_age_s is not None and c.position_age_s > STALE_POSITION_S:
            why.append((_("last position %(m)s min old"), {"m": round(c.position_age_s / 60)}))
        out.append(Recommendation(rank, c.unit_id, c.call_sign, c.seconds, c.meters, tuple(why)))
    return out
