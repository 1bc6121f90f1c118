"""The monthly review (月度分析) for the staff meeting, rendered by WeasyPrint:
every figure with the month before, the trends of the year as bars, the
people tables, the top comebacks and the month's complaints.

The CJK font is named on the template's `html` element (the page-margin
boxes do not inherit from `body`), as in reception.documents. No script runs
in WeasyPrint, so the trends are drawn as plain bars in HTML.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone, translation

from complaints.models import Complaint
from dashboard import figures as f
from dashboard import selectors
from dashboard.periods import Period
from dealers.models import Dealer
from dealers.pdf import render_pdf

TOP_COMPLAINTS = 10


def _bars(labels: list[str], values: list[float | None], unit: str) -> list[dict]:
    """Bars scaled to the largest value: label, value text, width in per cent."""
    top = max((v for v in values if v), default=0) or 1
    return [
        {
            "label": label,
            "text": "—" if value is None else f.display(f.dec(value), unit),
            "width": 0 if not value else round(100 * value / top, 1),
        }
        for label, value in zip(labels, values, strict=True)
    ]


def review_context(station: Dealer, month: Period, now: dt.datetime) -> dict:
    context = selectors.dashboard_context(station, month, now)
    trends = context["trends"]
    labels = trends["labels"]
    revenue = [a + b for a, b in zip(trends["labour"], trends["parts"], strict=True)]
    complaints = list(
        Complaint.objects.filter(dealer=station, **month.window.q("created_at"))
        .select_related("contact", "handler")
        .order_by("-level", "created_at")[:TOP_COMPLAINTS]
    )
    context.update(
        month=month,
        revenue_bars=_bars(labels, revenue, f.MONEY),
        hours_bars=_bars(labels, trends["hours"], f.HOURS),
        satisfaction_bars=_bars(labels, trends["satisfaction"], f.SCORE),
        complaint_rows=complaints,
        language=translation.get_language(),
        display=[
            (
                r,
                f.display(r.current.value, r.figure.unit),
                f.display(r.previous.value, r.figure.unit) if r.previous else "",
                f.display_change(r),
            )
            for r in context["results"]
        ],
    )
    return context


def monthly_review_pdf(station: Dealer, month: Period, now: dt.datetime, *, base_url: str | None = None) -> bytes:
    with timezone.override(month.tz):
        html = render_to_string("dashboard/print/review.html", review_context(station, month, now))
    return render_pdf(html, base_url=base_url)
