"""shop: a small e-commerce backend.

The public API is re-exported here; everything else is an implementation detail.
"""

from shop.cart import Cart
from shop.catalog import Catalog
from shop.customers import Customer, UserService
from shop.inventory import InsufficientStock, Inventory
from shop.models import Address, LineItem, Product
from shop.orders import Order, OrderService, OrderStatus
from shop.payments import PaymentDeclined, PaymentGateway
from shop.pricing import calculate_total, round_money, subtotal

__all__ = [
    "Address",
    "Cart",
    "Catalog",
    "Customer",
    "InsufficientStock",
    "Inventory",
    "LineItem",
    "Order",
    "OrderService",
    "OrderStatus",
    "PaymentDeclined",
    "PaymentGateway",
    "Product",
    "UserService",
    "calculate_total",
    "round_money",
    "subtotal",
]

__version__ = "0.3.1"
