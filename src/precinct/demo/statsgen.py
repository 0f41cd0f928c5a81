"""Ten years of the demo bureau's monthly returns before precinct's own records begin, shaped as
the source tells it: crime rising to a peak, then criminal incidents −28.4 % and public-order
cases −35.8 % in the year the reform took hold, homicides down to none, road deaths the lowest in
ten years, satisfaction rising. The figures precinct never computes (deaths, injuries, losses,
drugs seized, satisfaction, homicides urban and rural) continue through the months it covers.
Pure and seeded: stored values (see ``precinct.stats.rules.Metric.scale``)."""

from __future__ import annotations

import datetime as dt
import math
import random

# the change of each computed figure in the year before the records begin against the year
# before that, going back: (first year back, each further year back)
BACK = {
    "incidents": (1.12, 1.03),
    "criminal_incidents": (1 / (1 - 0.284), 1.04),
    "public_order_cases": (1 / (1 - 0.358), 1.03),
    "road_accidents": (1.10, 1.02),
    "drug_cases": (0.95, 0.97),
}
FAMILY = {
    "incidents": "incidents",
    "criminal_incidents": "incidents",
    "road_accidents": "incidents",
    "public_order_cases": "cases",
    "drug_cases": "cases",
}
HOMICIDES = [9, 8, 7, 8, 6, 5, 4, 2, 1, 0]  # a year, oldest first (the source: 4 in 2018)
ROAD_DEATHS = [41, 44, 39, 42, 37, 38, 35, 33, 31, 27]


def _season(month: int, amplitude: float = 0.15) -> float:
    return 1 + amplitude * math.sin(2 * math.pi * (month - 4) / 12)


def _spread(rng: random.Random, year_total: int) -> list[int]:
    """A year's total over its months: seasonal, with noise, adding up exactly."""
    weights = [_season(m) * rng.uniform(0.9, 1.1) for m in range(1, 13)]
    raw = [year_total * w / sum(weights) for w in weights]
    out = [math.floor(x) for x in raw]
    for i in sorted(range(12), key=lambda i: raw[i] - out[i], reverse=True)[
        : year_total - sum(out)
    ]:
        out[i] += 1
    return out


def generate(
    rng: random.Random,
    *,
    covered_from: dict[str, dt.date],
    last_complete: dt.date,
    monthly_level: dict[str, float],
    years: int = 10,
) -> list[tuple[dt.date, str, int]]:
    """(month, metric, stored value), bureau-wide. ``covered_from``: the first month of
    precinct's own incidents and cases; ``monthly_level``: each computed figure's mean month
    over the months precinct covers."""
    out: list[tuple[dt.date, str, int]] = []
    start = min(covered_from.values())
    first_year = start.year - years
    for metric, (first_back, further) in BACK.items():
        family = FAMILY[metric]
        if family not in covered_from:
            continue
        cover = covered_from[family]
        # a year's total going back from the level precinct sees: the year before the records,
        # then each year before that
        level = monthly_level.get(metric, 0.0) * 12
        totals: dict[int, int] = {cover.year: round(level)}
        for back, year in enumerate(range(cover.year - 1, first_year - 1, -1), start=1):
            level *= first_back if back == 1 else further * rng.uniform(0.97, 1.03)
            totals[year] = round(level)
        for year, total in totals.items():
            months = _spread(rng, total)
            for month in range(1, 13):
                m = dt.date(year, month, 1)
                if m < cover:
                    out.append((m, metric, months[month - 1]))
    # homicides before the cases' records; the figures precinct never computes throughout
    cases_from = covered_from.get("cases", last_complete + dt.timedelta(days=1))
    span = [dt.date(y, m, 1) for y in range(first_year, last_complete.year + 1)
            for m in range(1, 13) if dt.date(y, m, 1) <= last_complete]  # fmt: skip
    for i, year in enumerate(sorted({m.year for m in span})):
        before = year < start.year
        homicides = _spread(rng, HOMICIDES[min(i, len(HOMICIDES) - 1)] if before else 0)
        deaths = _spread(rng, ROAD_DEATHS[min(i, len(ROAD_DEATHS) - 1)] if before
                         else ROAD_DEATHS[-1] - 1)  # fmt: skip
        for m in (x for x in span if x.year == year):
            h = homicides[m.month - 1]
            if m < cases_from:
                out.append((m, "homicides", h))
            rural = sum(1 for _ in range(h) if rng.random() < 0.4)
            out.append((m, "homicides_urban", h - rural))
            out.append((m, "homicides_rural", rural))
            d = deaths[m.month - 1]
            out.append((m, "road_deaths", d))
            out.append((m, "road_injuries", round(d * rng.uniform(3.0, 4.5))))
            out.append((m, "road_property_loss", round(rng.uniform(8e5, 2.2e6)) * 100))  # fen
            out.append((m, "drug_seizures", round(rng.uniform(200, 3500) * 1000)))  # mg
            sat = min(99.0, 86 + 0.9 * i + rng.uniform(-0.5, 0.5))
            out.append((m, "satisfaction", round(sat * 100)))
    return out
