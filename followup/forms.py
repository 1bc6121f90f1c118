from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from followup.models import Kind, Outcome, Score, Survey
from followup.selectors import DUE_NOW, LATER_TODAY, OVERDUE, SCHEDULED

SECTIONS = [
    (OVERDUE, _("Overdue")),
    (DUE_NOW, _("Due now")),
    (LATER_TODAY, _("Later today")),
    (SCHEDULED, _("Scheduled later")),
]


class CallFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of call"), required=False, choices=[("", _("All kinds")), *Kind.choices])
    when = forms.ChoiceField(label=_("When"), required=False, choices=[("", _("All of today")), *SECTIONS])
    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    mine = forms.BooleanField(label=_("Only mine"), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=_("Call note"), required=False, max_length=300)
    reason = forms.CharField(label=_("Reason for leaving"), required=False, max_length=300)
    odometer_km = forms.IntegerField(label=_("Odometer now (km)"), required=False, min_value=0, max_value=2_000_000)


def _score_field(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=Score.choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class SurveyForm(forms.Form):
    """1–5 per question (only the overall score is required: the customer
    may not answer everything), the dissatisfied box and their own words."""

    reception = _score_field(Survey._meta.get_field("reception").verbose_name)
    repair_quality = _score_field(Survey._meta.get_field("repair_quality").verbose_name)
    on_time = _score_field(Survey._meta.get_field("on_time").verbose_name)
    price_explained = _score_field(Survey._meta.get_field("price_explained").verbose_name)
    overall = _score_field(Survey._meta.get_field("overall").verbose_name)
    dissatisfied = forms.BooleanField(label=_("The customer says they are dissatisfied"), required=False)
    comment = forms.CharField(
        label=_("In the customer's words"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_overall(self):
        overall = self.cleaned_data.get("overall")
        if overall is None:
            raise forms.ValidationError(_("Ask for the overall score: 1 to 5."))
        return overall
