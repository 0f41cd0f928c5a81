"""Every field a refusal can name (``FieldError("…")`` in the source) has words of its own, so a
page or a command says 日期：不能晚于今天 and never on: 不能晚于今天 (common/pages.py)."""

import re
from pathlib import Path

import precinct
from precinct.common.field_labels import FIELD_LABELS

NAMED = re.compile(r'FieldError\(\s*"([a-z_0-9]+)"')


def test_every_field_a_refusal_names_has_words() -> None:
    root = Path(precinct.__file__).parent
    named = {
        name
        for path in root.rglob("*.py")
        for name in NAMED.findall(path.read_text(encoding="utf-8"))
    }
    assert len(named) > 40  # the scan finds the refusals
    assert sorted(named - set(FIELD_LABELS)) == []
