"""Money is integer fen (1 yuan = 100 fen). Never floats."""

Fen = int


def yuan(fen: Fen) -> str:
    """Format fen as yuan with two decimals, e.g. 2000000 -> '20,000.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"
