import unittest
from decimal import Decimal

from shop.cart import Cart
from shop.discounts import Coupon
from tests.helpers import KETTLE, MUG, SOCKS


class CartTests(unittest.TestCase):
    def setUp(self) -> None:
        self.cart = Cart(customer_id=1)

    def test_add_item_merges_lines(self) -> None:
        self.cart.add_item(MUG)
        self.cart.add_item(MUG, 2)
        self.assertEqual(len(self.cart.items), 1)
        self.assertEqual(len(self.cart), 3)

    def test_add_item_rejects_non_positive_quantity(self) -> None:
        with self.assertRaises(ValueError):
            self.cart.add_item(MUG, 0)

    def test_quantity_limit(self) -> None:
        self.cart.add_item(SOCKS, 98)
        with self.assertRaises(ValueError):
            self.cart.add_item(SOCKS, 2)

    def test_update_quantity_to_zero_removes_line(self) -> None:
        self.cart.add_item(KETTLE)
        self.cart.update_quantity(KETTLE.sku, 0)
        self.assertEqual(self.cart.items, [])

    def test_total_uses_coupon(self) -> None:
        self.cart.add_item(KETTLE, 2)
        self.cart.apply_coupon(Coupon("SPRING", percent_off=Decimal(25)))
        self.assertEqual(self.cart.total(), Decimal("51.00"))

    def test_clear_drops_coupon(self) -> None:
        self.cart.add_item(MUG)
        self.cart.apply_coupon(Coupon("TENOFF", amount=Decimal(10)))
        self.cart.clear()
        self.assertIsNone(self.cart.coupon)
        self.assertEqual(self.cart.total(), Decimal("0.00"))


if __name__ == "__main__":
    unittest.main()
