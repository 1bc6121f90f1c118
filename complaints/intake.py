"""What the agent is shown and asked at intake: the level criteria
(投诉等级判断标准) and the intake questions of each subject (有效提问).

Plain tables, no database: the intake form, the ticket page and the service
that checks the level all read them from here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.models import Level, Subject


@dataclass(frozen=True)
class Criterion:
    code: str
    label: Promise
    level: int  # the lowest level a complaint meeting it may have


CRITERIA: tuple[Criterion, ...] = (
    Criterion("time_demand", _("Demands a fixed time or a particular department"), Level.URGENT),
    Criterion("rejects_solution", _("Does not accept the proposed solution"), Level.URGENT),
    Criterion("repeat_contact", _("Has called about this before"), Level.URGENT),
    Criterion("safety", _("Safety risk (brakes, steering, fire, airbags…)"), Level.MAJOR),
    Criterion("media", _("Threatens to go to the media or the internet"), Level.MAJOR),
    Criterion("legal", _("Threatens legal action or the consumer association"), Level.MAJOR),
    Criterion("threat", _("Threats or extreme behaviour"), Level.MAJOR),
    Criterion("repeated_failure", _("Repeated failure: the same problem repaired again and again"), Level.MAJOR),
)
CRITERIA_BY_CODE = {c.code: c for c in CRITERIA}
REPEATED_FAILURE = "repeated_failure"

# Shown beside each level so the agent chooses by the same rule every time.
LEVEL_DESCRIPTIONS = {
    Level.GENERAL: _("No demands on time or department; accepts the solution the company proposes."),
    Level.URGENT: _("Demands a time or a department, rejects the proposed solution, or calls again."),
    Level.MAJOR: _("Safety, media, legal action, threats or a repeated failure."),
}


def lowest_level(criteria: list[str]) -> int:
    """The lowest level the ticked criteria allow."""
    return max((CRITERIA_BY_CODE[c].level for c in criteria if c in CRITERIA_BY_CODE), default=Level.GENERAL)


# Questions of the seeds' flows (投诉产品质量流程, 投诉维修质量流程, ...): key, question.
_FAULT = ("fault", _("What fault does the vehicle have?"))
_CONTACTED = ("contacted_station", _("Has the customer contacted a station about it?"))
_HANDLED = ("station_handling", _("How did the station handle it?"))
_WANTS = ("wants", _("If not satisfied, what does the customer want?"))
_OTHERWISE = ("otherwise", _("What will the customer do if the demand is not met?"))

QUESTIONS: dict[str, tuple[tuple[str, Promise], ...]] = {
    Subject.PRODUCT_QUALITY: (_FAULT, _CONTACTED, _HANDLED, _WANTS, _OTHERWISE),
    # The repair count itself comes from the RO history (complaints.selectors.repeat_repairs).
    Subject.REPAIR_QUALITY: (_FAULT, _CONTACTED, _HANDLED, _WANTS, _OTHERWISE),
    Subject.PARTS: (
        ("part", _("Which part, and what about it (not available, delayed, price)?")),
        _CONTACTED,
        ("promised", _("What did the station promise (date, price)?")),
        _WANTS,
    ),
    Subject.CHARGES: (
        ("charged", _("Which items does the customer think are charged unreasonably, and how much?")),
        ("explained", _("Did the station explain the bill at delivery?")),
        _WANTS,
    ),
    Subject.ATTITUDE: (
        ("who", _("Who was it (name or role), when and where?")),
        ("what_happened", _("What happened, in the customer's words?")),
        _WANTS,
    ),
    Subject.POLICY: (("policy", _("Which policy (warranty, goodwill, campaign…)?")), _WANTS, _OTHERWISE),
    Subject.CALL_CENTER: (
        ("agent", _("Which agent or call, and when?")),
        ("what_happened", _("What happened, in the customer's words?")),
        _WANTS,
    ),
}

# Subjects about the work of a station: the dispatch rule decides whether the station gets them.
STATION_SUBJECTS = (
    Subject.PRODUCT_QUALITY,
    Subject.REPAIR_QUALITY,
    Subject.PARTS,
    Subject.CHARGES,
    Subject.ATTITUDE,
    Subject.POLICY,
)


def clean_answers(subject: str, answers: dict[str, str]) -> dict[str, str]:
    """Keep only the answers to the subject's own questions, trimmed."""
    keys = {key for key, _label in QUESTIONS.get(subject, ())}
    return {key: str(value).strip()[:1000] for key, value in answers.items() if key in keys and str(value).strip()}
