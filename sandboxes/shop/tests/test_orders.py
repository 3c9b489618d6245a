from decimal import Decimal

from shop.cart import Cart
from shop.inventory import Inventory
from shop.orders import OrderService, OrderStatus
from shop.payments import PaymentDeclined, PaymentGateway
from shop.reports import summarize, top_products
from tests.helpers import AUSTIN, DECLINED_CARD, GOOD_CARD, KETTLE, MUG, SEATTLE


def make_service() -> OrderService:
    return OrderService(Inventory({MUG.sku: 20, KETTLE.sku: 5}), PaymentGateway())


def test_place_order_charges_total_with_tax_and_shipping():
    service = make_service()
    cart = Cart(customer_id=7)
    cart.add_item(MUG, 2)
    order = service.place_order(cart, AUSTIN, GOOD_CARD)
    # 25.00 goods + 1.56 tax (6.25%) + 7.99 base + 1.00 for 0.8 kg
    assert order.total == Decimal("35.55")
    assert order.status is OrderStatus.PAID
    assert len(cart) == 0


def test_free_shipping_over_threshold():
    service = make_service()
    cart = Cart(customer_id=7)
    cart.add_item(KETTLE, 3)
    order = service.place_order(cart, SEATTLE, GOOD_CARD)
    assert order.shipping_cost == Decimal(0)


def test_declined_card_releases_stock():
    service = make_service()
    cart = Cart(customer_id=7)
    cart.add_item(KETTLE, 5)
    try:
        service.place_order(cart, SEATTLE, DECLINED_CARD)
    except PaymentDeclined:
        pass
    else:
        raise AssertionError("the card should have been declined")
    assert service.inventory.available(KETTLE.sku) == 5


def test_cancel_refunds_and_releases():
    service = make_service()
    cart = Cart(customer_id=7)
    cart.add_item(KETTLE, 1)
    order = service.place_order(cart, SEATTLE, GOOD_CARD)
    service.cancel(order.order_id)
    assert order.status is OrderStatus.CANCELLED
    assert order.payment_id is not None
    assert service.gateway.payments[order.payment_id].refunded == order.total
    assert service.inventory.available(KETTLE.sku) == 5


def test_reports_skip_cancelled_orders():
    service = make_service()
    for quantity in (1, 3):
        cart = Cart(customer_id=8)
        cart.add_item(MUG, quantity)
        service.place_order(cart, SEATTLE, GOOD_CARD)
    service.cancel(1000)
    summary = summarize(service.orders.values())
    assert summary.orders == 1
    assert summary.units == 3
    assert top_products(service.orders.values()) == [(MUG.sku, 3)]
