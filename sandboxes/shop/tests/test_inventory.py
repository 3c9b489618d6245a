import unittest

from shop.inventory import InsufficientStock, Inventory
from shop.models import LineItem
from tests.helpers import KETTLE, MUG


class InventoryTests(unittest.TestCase):
    def setUp(self) -> None:
        self.inventory = Inventory({MUG.sku: 10, KETTLE.sku: 2})

    def test_reserve_reduces_availability(self) -> None:
        self.inventory.reserve([LineItem(MUG, 4)])
        self.assertEqual(self.inventory.available(MUG.sku), 6)

    def test_reserve_is_all_or_nothing(self) -> None:
        with self.assertRaises(InsufficientStock) as caught:
            self.inventory.reserve([LineItem(MUG, 1), LineItem(KETTLE, 3)])
        self.assertEqual(caught.exception.available, 2)
        self.assertEqual(self.inventory.available(MUG.sku), 10)

    def test_release_and_commit(self) -> None:
        self.inventory.reserve([LineItem(KETTLE, 2)])
        self.inventory.release([LineItem(KETTLE, 1)])
        self.inventory.commit([LineItem(KETTLE, 1)])
        self.assertEqual(self.inventory.available(KETTLE.sku), 1)

    def test_low_stock(self) -> None:
        self.assertEqual(self.inventory.low_stock(threshold=5), [KETTLE.sku])
