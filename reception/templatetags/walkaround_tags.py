"""`{% walkaround_summary walk_around as summary %}`: the walk-around's summary
for any page or print that has only the walk-around at hand."""

from __future__ import annotations

from django import template

from reception.models import WalkAround
from reception.walkaround import Summary, summary_of

register = template.Library()


@register.simple_tag
def walkaround_summary(walk_around: WalkAround | None) -> Summary | None:
    return summary_of(walk_around) if walk_around else None
