"""Core value objects shared by the whole package."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    """A sellable product. ``weight_kg`` is used for shipping quotes."""

    sku: str
    name: str
    unit_price: Decimal
    weight_kg: float = 0.5
    category: str = "general"
    tags: frozenset[str] = field(default_factory=frozenset)

    def is_taxable(self) -> bool:
        """Gift cards are the only untaxed category."""
        return self.category != "gift-card"


@dataclass
class LineItem:
    """A product and a quantity, as held in a cart or an order."""

    product: Product
    quantity: int = 1

    @property
    def line_total(self) -> Decimal:
        return self.product.unit_price * self.quantity

    @property
    def weight_kg(self) -> float:
        return self.product.weight_kg * self.quantity


@dataclass(frozen=True)
class Address:
    """A postal address; ``region`` is a two-letter state or province code."""

    street: str
    city: str
    region: str
    postcode: str
    country: str = "US"

    def one_line(self) -> str:
        return f"{self.street}, {self.city}, {self.region} {self.postcode}, {self.country}"
