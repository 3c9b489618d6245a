"""Sales tax by region."""

from __future__ import annotations

from decimal import Decimal

from shop.models import Address

# Combined state rates used for the estimate shown at checkout.
# TODO: load these from the tax service instead of hard-coding them.
REGION_RATES: dict[str, Decimal] = {
    "CA": Decimal("0.0725"),
    "NY": Decimal("0.04"),
    "TX": Decimal("0.0625"),
    "WA": Decimal("0.065"),
    "OR": Decimal(0),
    "MT": Decimal(0),
}

DEFAULT_RATE = Decimal("0.05")


def tax_rate_for(address: Address) -> Decimal:
    """The sales tax rate for a shipping address (zero outside the US)."""
    if address.country != "US":
        return Decimal(0)
    return REGION_RATES.get(address.region.upper(), DEFAULT_RATE)


def is_tax_free(address: Address) -> bool:
    return tax_rate_for(address) == 0
