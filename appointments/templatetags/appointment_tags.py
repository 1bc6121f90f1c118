"""How a customer and a plate are written on forms and on the welcome board."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def honorific(name: str) -> str:
    """The customer's name with a polite form of address.

    The customer file records no gender, so the neutral 先生/女士 is used."""
    return pgettext("name with honorific", "%(name)s (Mr/Ms)") % {"name": name}


@register.filter
def masked_plate(plate: str) -> str:
    """京AB1234 → 京A·***34: enough to recognise one's own car on a public
    screen, not enough to identify a stranger's."""
    if not plate:
        return ""
    if len(plate) <= 4:
        return plate
    return f"{plate[:2]}·***{plate[-2:]}"
