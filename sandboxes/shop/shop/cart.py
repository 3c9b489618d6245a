"""Shopping carts."""

from __future__ import annotations

from decimal import Decimal

from shop.discounts import Coupon, bulk_discount
from shop.models import LineItem, Product
from shop.pricing import calculate_total, subtotal


class Cart:
    """A customer's cart: at most one line per SKU."""

    MAX_QUANTITY = 99

    def __init__(self, customer_id: int | None = None) -> None:
        self.customer_id = customer_id
        self._lines: dict[str, LineItem] = {}
        self.coupon: Coupon | None = None

    def __len__(self) -> int:
        return sum(line.quantity for line in self._lines.values())

    @property
    def items(self) -> list[LineItem]:
        return list(self._lines.values())

    def add_item(self, product: Product, quantity: int = 1) -> LineItem:
        """Add ``quantity`` of ``product``, merging with an existing line for the same SKU."""
        if quantity <= 0:
            raise ValueError(f"quantity must be positive, got {quantity}")
        line = self._lines.get(product.sku)
        if line is None:
            line = LineItem(product, 0)
            self._lines[product.sku] = line
        if line.quantity + quantity > self.MAX_QUANTITY:
            raise ValueError(f"at most {self.MAX_QUANTITY} of {product.sku!r} per order")
        line.quantity += quantity
        return line

    def remove_item(self, sku: str) -> None:
        self._lines.pop(sku, None)

    def update_quantity(self, sku: str, quantity: int) -> None:
        """Set the quantity of a line; zero removes it."""
        if quantity == 0:
            self.remove_item(sku)
            return
        if sku not in self._lines:
            raise KeyError(sku)
        self._lines[sku].quantity = quantity

    def apply_coupon(self, coupon: Coupon) -> None:
        self.coupon = coupon

    def clear(self) -> None:
        self._lines.clear()
        self.coupon = None

    def discount(self) -> Decimal:
        """Bulk discounts plus the coupon, never more than the subtotal."""
        amount = sum((bulk_discount(line) for line in self._lines.values()), Decimal(0))
        if self.coupon is not None:
            amount += self.coupon.amount_off(subtotal(self.items) - amount)
        return min(amount, subtotal(self.items))

    def total(self, tax_rate: Decimal = Decimal(0), shipping: Decimal = Decimal(0)) -> Decimal:
        return calculate_total(
            self.items, discount=self.discount(), tax_rate=tax_rate, shipping=shipping
        )
