"""The inquiry sheet's closed questions (问诊表): when does the fault occur?

`InquirySheet.conditions` stores the codes answered yes. The order here is the
order on the sheet; a code is never renamed (old sheets keep their answers).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reception.models import InquirySheet

CONDITIONS: list[tuple[str, str]] = [
    ("cold_start", _("Cold engine")),
    ("warm_engine", _("Warm engine")),
    ("idle", _("At idle")),
    ("accelerating", _("When accelerating")),
    ("braking", _("When braking")),
    ("steering", _("When steering")),
    ("rough_road", _("On rough roads")),
    ("high_speed", _("At high speed")),
    ("rain", _("In rain")),
    ("air_conditioning", _("With air conditioning on")),
]
CONDITION_CODES = frozenset(code for code, _label in CONDITIONS)
CONDITION_LABELS = dict(CONDITIONS)


def condition_labels(codes: list[str]) -> list[str]:
    """The labels of the answered questions, in the sheet's order."""
    chosen = set(codes or ())
    return [str(label) for code, label in CONDITIONS if code in chosen]


class InquiryForm(forms.ModelForm):
    """询问故障现象 → 故障再次确认 → 推测故障原因, in the sheet's three steps."""

    conditions = forms.MultipleChoiceField(
        label=_("When does it occur?"), choices=CONDITIONS, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = InquirySheet
        fields = [
            "symptom",
            "first_noticed",
            "frequency",
            "where_when",
            "conditions",
            "warning_lights",
            "reconfirmed",
            "reconfirmation_note",
            "presumed_cause",
            "road_test_needed",
        ]
        widgets = {
            "symptom": forms.Textarea(attrs={"rows": 4}),
            "presumed_cause": forms.Textarea(attrs={"rows": 3}),
        }
