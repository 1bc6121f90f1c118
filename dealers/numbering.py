"""Document numbers per station and year: PREFIX + YYYY + "-" + a running number.

Numbers run without gaps within a station and year, so the caller must hold
the station row lock (`Dealer.objects.select_for_update()`) in the
transaction that saves the new row; the database's unique constraint on
(dealer, number) is the last line.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Length


def next_number(rows: QuerySet, letter: str, year: int, *, width: int = 5) -> str:
    """The next number after the highest of `rows` (already filtered to one
    station) that starts with `letter` + `year`."""
    prefix = f"{letter}{year}-"
    # Longest first: past 99,999 in a year "…-100000" sorts below "…-99999" as text.
    last = (
        rows.filter(number__startswith=prefix)
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{seq:0{width}d}"
