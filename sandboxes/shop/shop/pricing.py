"""Price arithmetic: subtotals, discounts, tax and the grand total."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from shop.models import LineItem

CENT = Decimal("0.01")


def round_money(amount: Decimal) -> Decimal:
    """Round to whole cents, halves away from zero (what the payment processor does)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def subtotal(items: Iterable[LineItem]) -> Decimal:
    """The sum of the line totals before any discount, tax or shipping."""
    return sum((item.line_total for item in items), Decimal(0))


def taxable_subtotal(items: Iterable[LineItem]) -> Decimal:
    return sum((item.line_total for item in items if item.product.is_taxable()), Decimal(0))


def calculate_total(
    items: Iterable[LineItem],
    *,
    discount: Decimal = Decimal(0),
    tax_rate: Decimal = Decimal(0),
    shipping: Decimal = Decimal(0),
) -> Decimal:
    """The amount the customer pays.

    The discount is taken off the subtotal first; tax is charged on the discounted taxable
    part only, and shipping is added last (shipping is never taxed here).
    """
    items = list(items)
    gross = subtotal(items)
    if gross == 0:
        return round_money(shipping)
    discount = min(discount, gross)
    taxable = taxable_subtotal(items)
    # The discount is spread proportionally over taxable and untaxed lines.
    taxable_after_discount = taxable - discount * (taxable / gross)
    tax = taxable_after_discount * tax_rate
    return round_money(gross - discount + tax + shipping)
