"""Customer accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import count

from shop.models import Address

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class DuplicateEmail(ValueError):
    """An account with this email address already exists."""


@dataclass
class Customer:
    user_id: int
    name: str
    email: str
    addresses: list[Address] = field(default_factory=list)
    loyalty_points: int = 0

    @property
    def default_address(self) -> Address | None:
        return self.addresses[0] if self.addresses else None


class UserService:
    """Registers and looks up customers. Emails are unique, compared case-insensitively."""

    def __init__(self) -> None:
        self._users: dict[int, Customer] = {}
        self._ids = count(1)

    def register_user(self, name: str, email: str) -> Customer:
        email = email.strip()
        if not EMAIL_RE.match(email):
            raise ValueError(f"invalid email address {email!r}")
        if self.find_by_email(email) is not None:
            raise DuplicateEmail(email)
        customer = Customer(next(self._ids), name.strip(), email)
        self._users[customer.user_id] = customer
        return customer

    def get_user(self, user_id: int) -> Customer:
        """The customer with this id."""
        return self._users.get(user_id)

    def find_by_email(self, email: str) -> Customer | None:
        wanted = email.casefold()
        for customer in self._users.values():
            if customer.email.casefold() == wanted:
                return customer
        return None

    def add_points(self, user_id: int, points: int) -> int:
        customer = self._users[user_id]
        customer.loyalty_points += points
        return customer.loyalty_points

    def all_users(self) -> list[Customer]:
        return sorted(self._users.values(), key=lambda customer: customer.user_id)
