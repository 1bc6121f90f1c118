from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from followup.models import Kind, Outcome
from followup.selectors import DUE_NOW, LATER_TODAY, OVERDUE

SECTIONS = [(OVERDUE, _("Overdue")), (DUE_NOW, _("Due now")), (LATER_TODAY, _("Later today"))]


class CallFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of call"), required=False, choices=[("", _("All kinds")), *Kind.choices])
    when = forms.ChoiceField(label=_("When"), required=False, choices=[("", _("All of today")), *SECTIONS])
    q = forms.CharField(label=_("Search"), required=False, max_length=50)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=_("Call note"), required=False, max_length=300)
