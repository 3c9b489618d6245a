"""Placing orders: stock, pricing, payment and status."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from shop.cart import Cart
from shop.inventory import Inventory
from shop.models import Address, LineItem
from shop.payments import PaymentDeclined, PaymentGateway
from shop.pricing import calculate_total
from shop.shipping import quote
from shop.tax import tax_rate_for


class OrderStatus(enum.Enum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@dataclass
class Order:
    order_id: int
    customer_id: int
    items: list[LineItem]
    shipping_address: Address
    discount: Decimal
    tax_rate: Decimal
    shipping_cost: Decimal
    total: Decimal
    status: OrderStatus = OrderStatus.PENDING
    payment_id: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def recalculate_total(self) -> Decimal:
        return calculate_total(
            self.items,
            discount=self.discount,
            tax_rate=self.tax_rate,
            shipping=self.shipping_cost,
        )


class OrderService:
    """Turns carts into paid orders."""

    def __init__(self, inventory: Inventory, gateway: PaymentGateway) -> None:
        self.inventory = inventory
        self.gateway = gateway
        self.orders: dict[int, Order] = {}
        self._ids = count(1000)

    def place_order(self, cart: Cart, address: Address, card_number: str) -> Order:
        """Reserve stock, charge the card and record the order.

        Stock is released again if the payment is declined.
        """
        if cart.customer_id is None:
            raise ValueError("guest checkout is not supported")
        if len(cart) == 0:
            raise ValueError("cannot place an order for an empty cart")
        items = [LineItem(line.product, line.quantity) for line in cart.items]
        discount = cart.discount()
        goods_value = calculate_total(items, discount=discount)
        shipping = quote(items, address, goods_value)
        tax_rate = tax_rate_for(address)
        total = calculate_total(items, discount=discount, tax_rate=tax_rate, shipping=shipping.cost)
        self.inventory.reserve(items)
        try:
            payment = self.gateway.charge(card_number, total)
        except PaymentDeclined:
            self.inventory.release(items)
            raise
        order = Order(
            order_id=next(self._ids),
            customer_id=cart.customer_id,
            items=items,
            shipping_address=address,
            discount=discount,
            tax_rate=tax_rate,
            shipping_cost=shipping.cost,
            total=total,
            status=OrderStatus.PAID,
            payment_id=payment.payment_id,
        )
        self.orders[order.order_id] = order
        cart.clear()
        return order

    def cancel(self, order_id: int) -> Order:
        """Cancel a paid order that has not shipped: refund it and release the stock."""
        order = self.orders[order_id]
        if order.status is not OrderStatus.PAID:
            raise ValueError(f"order {order_id} is {order.status.value}, cannot cancel")
        previous_status = order.status
        if order.payment_id is not None:
            self.gateway.refund(order.payment_id)
        self.inventory.release(order.items)
        order.status = OrderStatus.CANCELLED
        return order

    def ship(self, order_id: int) -> Order:
        order = self.orders[order_id]
        if order.status is not OrderStatus.PAID:
            raise ValueError(f"order {order_id} is {order.status.value}, cannot ship")
        self.inventory.commit(order.items)
        order.status = OrderStatus.SHIPPED
        # FIXME: send the shipping confirmation email once the mailer is wired up.
        return order

    def orders_for(self, customer_id: int) -> list[Order]:
        return [order for order in self.orders.values() if order.customer_id == customer_id]
