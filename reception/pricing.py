"""Estimate arithmetic, in one place: line amounts, discounts, VAT, totals.

Money is `Decimal` throughout. Each line is rounded to 0.01 once, when its
amount is computed (half-up, as on a Chinese invoice); every total is a plain
sum of rounded line figures, so the printed lines always add up to the
printed totals. Prices are net; VAT is computed per line at the station's
rate and rounded there too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_gross(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Before discount, rounded."""
    return round_money(quantity * unit_price)


def line_amount(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal = ZERO) -> Decimal:
    """Net amount of a line after its discount, rounded to 0.01 once."""
    return round_money(quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED)


def line_vat(amount: Decimal, vat_rate: Decimal) -> Decimal:
    return round_money(amount * vat_rate)


@dataclass(frozen=True)
class Totals:
    labour: Decimal
    parts: Decimal
    discount: Decimal  # gross − net over all lines, for display
    net: Decimal
    vat: Decimal
    total: Decimal  # what the customer pays: net + VAT
    hours: Decimal  # flat-rate hours of the labour lines

    def as_dict(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in self.__dataclass_fields__}


def totals(lines: Iterable, vat_rate: Decimal, *, customer_only: bool = False) -> Totals:
    """Totals of estimate lines (anything with kind, quantity, unit_price,
    discount_percent, amount, pay_type). `customer_only` leaves out the lines
    paid by warranty, internal or goodwill: what the customer is charged."""
    labour = parts = gross = vat = hours = ZERO
    for line in lines:
        if customer_only and line.pay_type != "customer":
            continue
        gross += line_gross(line.quantity, line.unit_price)
        vat += line_vat(line.amount, vat_rate)
        if line.kind == "labour":
            labour += line.amount
            hours += line.quantity
        else:
            parts += line.amount
    net = labour + parts
    return Totals(labour=labour, parts=parts, discount=gross - net, net=net, vat=vat, total=net + vat, hours=hours)
