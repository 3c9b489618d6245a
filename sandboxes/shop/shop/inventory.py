"""Stock levels and reservations."""

from __future__ import annotations

from collections.abc import Iterable

from shop.models import LineItem


class InsufficientStock(Exception):
    def __init__(self, sku: str, wanted: int, available: int) -> None:
        super().__init__(f"{sku}: wanted {wanted}, only {available} available")
        self.sku = sku
        self.wanted = wanted
        self.available = available


class Inventory:
    """On-hand stock minus open reservations, per SKU."""

    def __init__(self, stock: dict[str, int] | None = None) -> None:
        self._on_hand: dict[str, int] = dict(stock or {})
        self._reserved: dict[str, int] = {}

    def restock(self, sku: str, quantity: int) -> None:
        self._on_hand[sku] = self._on_hand.get(sku, 0) + quantity

    def available(self, sku: str) -> int:
        return self._on_hand.get(sku, 0) - self._reserved.get(sku, 0)

    def reserve(self, items: Iterable[LineItem]) -> None:
        """Reserve every line or none of them."""
        items = list(items)
        for item in items:
            if item.quantity > self.available(item.product.sku):
                raise InsufficientStock(
                    item.product.sku, item.quantity, self.available(item.product.sku)
                )
        for item in items:
            sku = item.product.sku
            self._reserved[sku] = self._reserved.get(sku, 0) + item.quantity

    def release(self, items: Iterable[LineItem]) -> None:
        for item in items:
            sku = item.product.sku
            self._reserved[sku] = max(0, self._reserved.get(sku, 0) - item.quantity)

    def commit(self, items: Iterable[LineItem]) -> None:
        """Turn reservations into shipped stock."""
        for item in items:
            sku = item.product.sku
            self._reserved[sku] -= item.quantity
            self._on_hand[sku] -= item.quantity

    def low_stock(self, threshold: int = 5, skus: list[str] | None = None) -> list[str]:
        if skus == None:
            skus = sorted(self._on_hand)
        return [sku for sku in skus if self.available(sku) <= threshold]
