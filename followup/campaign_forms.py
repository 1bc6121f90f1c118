"""Forms of the service campaign pages: the campaign with its segment and
batches, and the list's search and status filter."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.forms import DateInput
from customers.models import Lifecycle
from customers.validators import VIN_RE, normalize_vin
from dealers.models import Dealer
from followup.campaigns import SEGMENT_FIELDS
from followup.models import Campaign, CampaignStatus

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_BATCH = 5000


class CampaignFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *CampaignStatus.choices]
    )


class CampaignForm(forms.ModelForm):
    """One campaign. Ranges are checked in order (from ≤ to); the VIN bounds
    are whole VINs because VINs are compared character by character."""

    lifecycles = forms.MultipleChoiceField(
        label=_("Lifecycle classes"),
        required=False,
        choices=Lifecycle.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Owners of these classes only; none ticked for all."),
    )

    class Meta:
        model = Campaign
        fields = [
            "code",
            "name",
            "is_oem",
            "channel",
            "description",
            *SEGMENT_FIELDS,
            "batch_size",
            "batch_interval_hours",
            "starts_at",
            "ends_at",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "last_visit_before": DateInput(),
            "last_visit_after": DateInput(),
            "starts_at": DATETIME_WIDGET,
            "ends_at": DATETIME_WIDGET,
        }
        # The models' own labels read as a person's name and a shift's start in Chinese.
        labels = {
            "name": _("Campaign name"),
            "starts_at": _("Campaign starts"),
            "ends_at": _("Campaign ends"),
        }
        help_texts = {
            "last_visit_before": _("Vehicles not seen since this day (or never)."),
            "last_visit_after": _("Vehicles seen after this day."),
            "km_from": _("From the latest odometer reading."),
            "ends_at": _("Empty: open-ended, and each call stays owed for 14 days."),
        }

    def __init__(self, *args, station: Dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.station = station
        self.instance.dealer = station
        self.fields["models_text"].widget.attrs["placeholder"] = _("e.g. 帕萨特, 迈腾")
        for name in ("model_year_from", "model_year_to"):
            self.fields[name].validators += [MinValueValidator(1980), MaxValueValidator(2100)]
            self.fields[name].widget.attrs.update(min=1980, max=2100)
        for name in ("vin_from", "vin_to"):
            self.fields[name].widget.attrs.update(minlength=17, maxlength=17, spellcheck="false")
        self.fields["batch_size"].widget.attrs.update(min=1, max=MAX_BATCH)
        self.fields["batch_interval_hours"].widget.attrs.update(min=1, max=24 * 30)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        taken = Campaign.objects.filter(dealer=self.station, code__iexact=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("The station already has a campaign with this code."))
        return code

    def _clean_vin(self, name: str) -> str:
        vin = normalize_vin(self.cleaned_data.get(name, ""))
        if not vin:
            return ""
        if len(vin) != 17:
            raise forms.ValidationError(
                _("A VIN has 17 characters; this one has %(count)d."), params={"count": len(vin)}
            )
        if not VIN_RE.match(vin):
            raise forms.ValidationError(_("A VIN contains only digits and the letters A–Z without I, O and Q."))
        return vin

    def clean_vin_from(self) -> str:
        return self._clean_vin("vin_from")

    def clean_vin_to(self) -> str:
        return self._clean_vin("vin_to")

    def _check_order(self, low: str, high: str, message: str) -> None:
        a, b = self.cleaned_data.get(low), self.cleaned_data.get(high)
        if a not in (None, "") and b not in (None, "") and a > b:
            self.add_error(high, message)

    def clean(self) -> dict:
        data = super().clean()
        self._check_order("model_year_from", "model_year_to", _("The last model year comes before the first."))
        self._check_order("vin_from", "vin_to", _("The VIN range must run from the lower VIN to the higher one."))
        self._check_order("km_from", "km_to", _("The upper odometer bound is below the lower one."))
        after, before = data.get("last_visit_after"), data.get("last_visit_before")
        if after and before and after >= before:
            self.add_error("last_visit_before", _("“Last visit before” must be later than “last visit after”."))
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The campaign must end after it starts."))
        elif ends and ends <= timezone.now() and ends != self.initial.get("ends_at"):
            self.add_error("ends_at", _("The end has already passed."))
        size = data.get("batch_size")
        if size is not None and not 1 <= size <= MAX_BATCH:
            self.add_error("batch_size", _("A batch holds 1 to %(max)d customers.") % {"max": MAX_BATCH})
        return data

    def segment_errors(self) -> bool:
        """Whether a segment field is invalid (the live preview then counts nothing)."""
        return any(name in self.errors for name in SEGMENT_FIELDS)

    def segment_campaign(self) -> Campaign:
        """An unsaved campaign with the segment as typed so far, for the preview."""
        data = self.cleaned_data
        values = {name: data.get(name) for name in SEGMENT_FIELDS}
        values["models_text"] = values["models_text"] or ""
        values["vin_from"], values["vin_to"] = values["vin_from"] or "", values["vin_to"] or ""
        values["lifecycles"] = list(values["lifecycles"] or [])
        return Campaign(dealer=self.station, **values)
