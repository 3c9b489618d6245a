from decimal import Decimal

from shop.models import LineItem
from shop.pricing import calculate_total, round_money, subtotal
from tests.helpers import GIFT_CARD, KETTLE, MUG


def test_round_money_rounds_half_up():
    assert round_money(Decimal("2.345")) == Decimal("2.35")
    assert round_money(Decimal("2.344")) == Decimal("2.34")


def test_subtotal_sums_lines():
    items = [LineItem(MUG, 2), LineItem(KETTLE, 1)]
    assert subtotal(items) == Decimal("59.00")


def test_total_with_tax_and_shipping():
    items = [LineItem(MUG, 2)]
    total = calculate_total(items, tax_rate=Decimal("0.10"), shipping=Decimal("5.00"))
    assert total == Decimal("32.50")


def test_gift_cards_are_not_taxed():
    items = [LineItem(GIFT_CARD, 1), LineItem(MUG, 1)]
    total = calculate_total(items, tax_rate=Decimal("0.10"))
    assert total == Decimal("38.75")


def test_discount_never_makes_total_negative():
    items = [LineItem(MUG, 1)]
    assert calculate_total(items, discount=Decimal(100)) == Decimal("0.00")


def test_empty_order_costs_only_shipping():
    assert calculate_total([], shipping=Decimal("4.99")) == Decimal("4.99")
