"""Public-safety statistics use cases: the monthly figures refreshed from precinct's own incidents
and cases, imported from Excel for earlier years, and read as the dashboard (year over year,
month over month, 10-year highs and lows, units compared) — every read through ``_figures``,
which scopes by role and unit: the bureau-wide roles see the bureau's figures, a unit chief the
sum of his units'.

One module per seam; this package keeps every public name, so callers import ``services`` as
before.
"""

from .importing import IMPORTERS, ImportResult, bulk_import, import_rows, import_xlsx, read_xlsx
from .reading import READERS, Dashboard, Line, UnitLine, dashboard, default_reference, monthly
from .refresh import (
    DRUG_WORDS,
    FIRST_RECORD,
    HOMICIDE_WORDS,
    STALE,
    covered_from,
    detect_coverage,
    ensure_fresh,
    recent,
    refresh,
)

__all__ = [
    "DRUG_WORDS",
    "FIRST_RECORD",
    "HOMICIDE_WORDS",
    "IMPORTERS",
    "READERS",
    "STALE",
    "Dashboard",
    "ImportResult",
    "Line",
    "UnitLine",
    "bulk_import",
    "covered_from",
    "dashboard",
    "default_reference",
    "detect_coverage",
    "ensure_fresh",
    "import_rows",
    "import_xlsx",
    "monthly",
    "read_xlsx",
    "recent",
    "refresh",
]
