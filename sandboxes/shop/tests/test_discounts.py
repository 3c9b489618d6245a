from datetime import date
from decimal import Decimal

from shop.discounts import Coupon, bulk_discount, parse_coupon_code
from shop.models import LineItem
from tests.helpers import SOCKS


def test_coupon_expiry():
    coupon = Coupon("XMAS", percent_off=Decimal(10), expires=date(2024, 12, 31))
    assert coupon.is_valid(date(2024, 12, 31))
    assert not coupon.is_valid(date(2025, 1, 1))


def test_coupon_minimum_spend():
    coupon = Coupon("BIG", amount=Decimal(15), minimum_spend=Decimal(100))
    assert coupon.amount_off(Decimal("99.99")) == Decimal(0)
    assert coupon.amount_off(Decimal(100)) == Decimal("15.00")


def test_no_bulk_discount_below_threshold():
    assert bulk_discount(LineItem(SOCKS, 9)) == Decimal(0)


def test_bulk_discount_applies_at_threshold():
    # Ten pairs of socks: 10% off 99.90.
    assert bulk_discount(LineItem(SOCKS, 10)) == Decimal("9.99")


def test_parse_coupon_code():
    assert parse_coupon_code(" spring-25 ") == "SPRING25"
