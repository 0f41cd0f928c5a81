"""What leaves a city for the province (ADR 0043): the tables of its publication and the columns
kept back. Pure data and names; the SQL that uses them is in ``services``."""

import re

PUBLICATION = "precinct_province"
SUBSCRIPTION_PREFIX = "precinct_city_"

# table → columns that never leave the city (personal data: a caller's number and name, sealed
# at rest in the city, are not sent at all). Only these tables are published: the province
# compares cities by their incidents, supervision findings, statistics and awards; officers,
# people, cases' contents, accounts and the audit log stay in the city.
PUBLISHED: dict[str, tuple[str, ...]] = {
    "org_bureau": (),
    "org_unit": (),
    "command_incident": ("caller_phone", "caller_name"),
    "supervision_finding": (),
    "stats_monthlyfigure": (),
    "stats_coveredmonth": (),
    "merit_awardproposal": (),
}

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class BadCityName(ValueError):
    pass


def subscription(city: str) -> str:
    """The province's subscription to one city: ``precinct_city_<city>``."""
    if not _NAME.fullmatch(city):
        raise BadCityName(
            f"city: lower-case letters, digits and _, starting with a letter (not {city!r})"
        )
    return SUBSCRIPTION_PREFIX + city


def published_columns(table: str, columns: list[str]) -> list[str]:
    """The columns of ``table`` that its publication sends (in the table's order)."""
    kept_back = set(PUBLISHED[table])
    return [c for c in columns if c not in kept_back]
