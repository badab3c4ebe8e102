from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value) -> Decimal:
    """Round half-up to cents, as CMS's pricer does."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
