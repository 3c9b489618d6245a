"""The product catalog: lookup by SKU, search and category listings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from shop.models import Product


class UnknownProduct(KeyError):
    """Raised when a SKU is not in the catalog."""


class Catalog:
    """An in-memory product catalog keyed by SKU."""

    def __init__(self, products: Iterable[Product] = ()) -> None:
        self._products: dict[str, Product] = {}
        for product in products:
            self.add(product)

    def __len__(self) -> int:
        return len(self._products)

    def __iter__(self) -> Iterator[Product]:
        return iter(self._products.values())

    def __contains__(self, sku: object) -> bool:
        return sku in self._products

    def add(self, product: Product) -> None:
        if product.sku in self._products:
            raise ValueError(f"duplicate SKU {product.sku!r}")
        self._products[product.sku] = product

    def get(self, sku: str) -> Product:
        try:
            return self._products[sku]
        except KeyError:
            raise UnknownProduct(sku) from None

    def search(self, text: str) -> list[Product]:
        """Products whose name or tags contain ``text`` (case-insensitive), sorted by name."""
        needle = text.casefold()
        hits = [
            product
            for product in self._products.values()
            if needle in product.name.casefold()
            or any(needle in tag.casefold() for tag in product.tags)
        ]
        return sorted(hits, key=lambda product: product.name)

    def in_category(self, category: str) -> list[Product]:
        return [product for product in self._products.values() if product.category == category]
