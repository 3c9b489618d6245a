"""Shared test data."""

from decimal import Decimal

from shop.catalog import Catalog
from shop.models import Address, Product

MUG = Product(
    "MUG-01",
    "Enamel mug",
    Decimal("12.50"),
    weight_kg=0.4,
    category="kitchen",
    tags=frozenset({"camping", "coffee"}),
)
KETTLE = Product("KET-02", "Stovetop kettle", Decimal("34.00"), weight_kg=1.1, category="kitchen")
GIFT_CARD = Product("GIFT-25", "Gift card", Decimal("25.00"), weight_kg=0.0, category="gift-card")
SOCKS = Product(
    "SOK-07",
    "Wool socks",
    Decimal("9.99"),
    weight_kg=0.1,
    category="apparel",
    tags=frozenset({"hiking"}),
)

SEATTLE = Address("1 Pike St", "Seattle", "WA", "98101")
AUSTIN = Address("200 Congress Ave", "Austin", "TX", "78701")
BERLIN = Address("Unter den Linden 1", "Berlin", "BE", "10117", country="DE")

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def make_catalog() -> Catalog:
    return Catalog([MUG, KETTLE, GIFT_CARD, SOCKS])
