"""Sales reports for the back office."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shop.orders import Order, OrderStatus
from shop.pricing import calculate_total

COUNTED = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED})


@dataclass(frozen=True)
class SalesSummary:
    orders: int
    revenue: Decimal
    average_order: Decimal
    units: int


def summarize(orders: Iterable[Order]) -> SalesSummary:
    """Totals over paid and shipped orders (cancelled and refunded ones are left out)."""
    counted = [order for order in orders if order.status in COUNTED]
    revenue = sum((order.total for order in counted), Decimal(0))
    units = sum(item.quantity for order in counted for item in order.items)
    average = (revenue / len(counted)).quantize(Decimal("0.01")) if counted else Decimal(0)
    return SalesSummary(len(counted), revenue, average, units)


def top_products(orders: Iterable[Order], limit: int = 5) -> list[tuple[str, int]]:
    """The best-selling SKUs by units."""
    units: Counter[str] = Counter()
    for order in orders:
        if order.status in COUNTED:
            for item in order.items:
                units[item.product.sku] += item.quantity
    return units.most_common(limit)


def daily_revenue(orders: Iterable[Order]) -> dict[date, Decimal]:
    """Revenue per calendar day (UTC), recomputed from the order lines."""
    per_day: dict[date, Decimal] = defaultdict(lambda: Decimal(0))
    for order in orders:
        if order.status in COUNTED:
            day = order.created.date()
            per_day[day] += calculate_total(
                order.items,
                discount=order.discount,
                tax_rate=order.tax_rate,
                shipping=order.shipping_cost,
            )
    return dict(sorted(per_day.items()))


def discrepancies(orders: Iterable[Order]) -> list[int]:
    """Orders whose stored total no longer matches a recomputation (price changes, bugs)."""
    # TODO: also flag orders whose payment amount differs from the stored total.
    return [order.order_id for order in orders if order.recalculate_total() != order.total]
