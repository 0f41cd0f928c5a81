"""Geometry of the bar charts drawn as inline SVG in the PDFs (WeasyPrint runs no JavaScript).
Pure: the templates draw the rectangles."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float

    @property
    def label_y(self) -> float:
        return self.y - 3


def bars(
    items: list[tuple[str, int]], *, width: float = 640, height: float = 200, gap: float = 0.3
) -> list[Bar]:
    """Geometry of a vertical bar chart in a ``width`` × ``height`` box (labels drawn below it):
    the tallest bar fills the box, the rest in proportion."""
    if not items:
        return []
    top = max(v for _l, v in items) or 1
    step = width / len(items)
    w = step * (1 - gap)
    out = []
    for i, (label, value) in enumerate(items):
        h = height * value / top
        out.append(Bar(label, value, i * step + (step - w) / 2, height - h, w, h))
    return out


@dataclass(frozen=True)
class HBar:
    label: str
    value: int
    y: float
    width: float
    height: float

    @property
    def text_y(self) -> float:
        return self.y + self.height * 0.8


def hbars(items: list[tuple[str, int]], *, width: float = 460, row: float = 14) -> list[HBar]:
    """Geometry of a horizontal bar chart, one ``row`` high per item: the longest bar is
    ``width`` long (labels drawn to its left, values to its right)."""
    top = max((v for _l, v in items), default=0) or 1
    return [
        HBar(label, value, i * row, width * value / top, row * 0.72)
        for i, (label, value) in enumerate(items)
    ]
