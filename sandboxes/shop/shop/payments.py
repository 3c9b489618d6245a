"""A thin wrapper around the card payment processor."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

log = logging.getLogger(__name__)


class PaymentDeclined(Exception):
    """The processor refused the charge."""


@dataclass(frozen=True)
class Payment:
    payment_id: str
    amount: Decimal
    card_last4: str
    refunded: Decimal = Decimal(0)


class PaymentGateway:
    """Charges and refunds. The in-memory version is used in development and tests."""

    DECLINED_CARDS = frozenset({"4000000000000002"})

    def __init__(self) -> None:
        self._ids = count(1)
        self.payments: dict[str, Payment] = {}

    def charge(self, card_number: str, amount: Decimal) -> Payment:
        if amount <= 0:
            raise ValueError(f"cannot charge {amount}")
        if card_number in self.DECLINED_CARDS:
            raise PaymentDeclined(f"card ending {card_number[-4:]} was declined")
        payment = Payment(f"pay_{next(self._ids):06d}", amount, card_number[-4:])
        self.payments[payment.payment_id] = payment
        return payment

    def refund(self, payment_id: str, amount: Decimal | None = None) -> Payment:
        """Refund all or part of a payment; returns the updated payment."""
        payment = self.payments[payment_id]
        amount = payment.amount - payment.refunded if amount is None else amount
        if payment.refunded + amount > payment.amount:
            raise ValueError(f"refund of {amount} exceeds what is left on {payment_id}")
        updated = Payment(
            payment.payment_id, payment.amount, payment.card_last4, payment.refunded + amount
        )
        self.payments[payment_id] = updated
        return updated

    def try_void(self, payment_id: str) -> bool:
        """Best-effort void used when an order fails after the charge went through."""
        try:
            self.refund(payment_id)
        except:
            log.warning("could not void %s", payment_id)
            return False
        return True
