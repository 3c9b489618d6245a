"""Coupons and automatic quantity discounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shop.models import LineItem
from shop.pricing import round_money

BULK_THRESHOLD = 10
BULK_RATE = Decimal("0.10")


@dataclass(frozen=True)
class Coupon:
    """Either a percentage (``percent_off``) or a fixed amount (``amount``) off."""

    code: str
    percent_off: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    expires: date | None = None
    minimum_spend: Decimal = Decimal(0)

    def is_valid(self, today: date) -> bool:
        return self.expires is None or today <= self.expires

    def amount_off(self, spend: Decimal) -> Decimal:
        """How much this coupon takes off a spend of ``spend``."""
        if spend < self.minimum_spend:
            return Decimal(0)
        off = spend * self.percent_off / 100 + self.amount
        return round_money(min(off, spend))


def bulk_discount(line: LineItem) -> Decimal:
    """10% off a line when buying BULK_THRESHOLD or more of the same product."""
    if line.quantity > BULK_THRESHOLD:
        return round_money(line.line_total * BULK_RATE)
    return Decimal(0)


def parse_coupon_code(code: str) -> str:
    """Coupon codes are case-insensitive and may be typed with spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())
