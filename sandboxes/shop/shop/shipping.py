"""Shipping quotes by weight and zone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from shop.models import Address, LineItem

FREE_SHIPPING_OVER = Decimal("75.00")
ZONE_BASE = {
    "local": Decimal("4.99"),
    "domestic": Decimal("7.99"),
    "international": Decimal("24.99"),
}
PER_KG = Decimal("1.25")


@dataclass(frozen=True)
class ShippingQuote:
    zone: str
    cost: Decimal
    days: int


def zone_for(address: Address, warehouse_region: str = "WA") -> str:
    if address.country != "US":
        return "international"
    if address.region.upper() == warehouse_region:
        return "local"
    return "domestic"


def delivery_days(zone: str) -> int:
    return {"local": 1, "domestic": 4, "international": 12}[zone]


def zone_number(address: Address) -> int:
    """The carrier's numeric zone: 1 local, 2 domestic, 8 international."""
    return {"local": 1, "domestic": 2, "international": 8}[zone_for(address)]


def quote(items: Iterable[LineItem], address: Address, order_value: Decimal) -> ShippingQuote:
    """A shipping quote; orders over FREE_SHIPPING_OVER ship free within the US."""
    zone = zone_for(address)
    weight = sum(item.weight_kg for item in items)
    if zone != "international" and order_value >= FREE_SHIPPING_OVER:
        return ShippingQuote(zone, Decimal(0), delivery_days(zone))
    cost = ZONE_BASE[zone] + PER_KG * Decimal(str(round(weight, 2)))
    return ShippingQuote(zone, cost.quantize(Decimal("0.01")), delivery_days(zone))


def carrier_label(address: Address) -> str:
    """The label line the carrier prints: zone number and expected days."""
    number = zone_number(address)
    return f"Z{number} / {delivery_days(number)}d"
