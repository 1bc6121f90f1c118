"""Filters that print a figure's value, its previous value and the change the
one way dashboard.figures.display says, on the page and in the PDF."""

from __future__ import annotations

from decimal import Decimal

from django import template

from dashboard import figures as f

register = template.Library()


@register.filter
def current(result: f.Result) -> str:
    return f.display(result.current.value, result.figure.unit)


@register.filter
def previous(result: f.Result) -> str:
    return f.display(result.previous.value, result.figure.unit) if result.previous else ""


@register.filter
def change(result: f.Result) -> str:
    return f.display_change(result)


@register.filter
def basis(result: f.Result) -> str:
    """The numbers behind a ratio, e.g. "12 / 40", for the tooltip."""
    value = result.current
    if value.numerator is None or value.denominator is None:
        return ""
    return f"{_plain(value.numerator)} / {_plain(value.denominator)}"


@register.filter
def percent(value: Decimal | None) -> str:
    return f.display(value, f.PERCENT)


@register.filter
def hours(value: Decimal | None) -> str:
    return f.display(None if value is None else f.hours(value), f.HOURS)


@register.filter
def lookup(mapping: dict, key):
    return mapping.get(key, "") if mapping else ""


def _plain(value) -> str:
    number = f.dec(value).quantize(Decimal("0.01"))
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
