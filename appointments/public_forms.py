"""Forms of the public self-booking page, each guarded against spam."""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.forms import PART_OF_DAY
from appointments.public import offered_operations, offered_packages
from customers.validators import normalize_phone, normalize_plate, normalize_vin, validate_phone, validate_plate
from customers.validators import validate_vin as _validate_vin

STAMP_SALT = "appointments.public.form"
STAMP_MAX_AGE = 2 * 60 * 60  # a form left open longer is reloaded


def min_fill_seconds() -> float:
    """People need a few seconds to fill a form; scripts do not."""
    return float(getattr(settings, "PUBLIC_BOOKING_MIN_FILL_SECONDS", 3))


def make_stamp(at: float | None = None) -> str:
    return signing.dumps(time.time() if at is None else at, salt=STAMP_SALT)


class SpamGuardForm(forms.Form):
    """A honeypot field people never see and a signed time the form was
    shown: a filled honeypot or a form sent too fast is refused."""

    website = forms.CharField(required=False, label=_("Leave this field empty"))
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def _stamp_age(self, value: str) -> float | None:
        try:
            return time.time() - float(signing.loads(value, salt=STAMP_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            return None

    @property
    def stamp_value(self) -> str:
        """The posted stamp while it is usable, else a fresh one."""
        posted = self.data.get("stamp", "") if self.is_bound else ""
        age = self._stamp_age(posted) if posted else None
        return posted if age is not None and age <= STAMP_MAX_AGE else make_stamp()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise forms.ValidationError(
                _("Your request looks automated and was not accepted. Please fill the form again."), code="honeypot"
            )
        age = self._stamp_age(cleaned.get("stamp") or "")
        if age is None or age > STAMP_MAX_AGE:
            raise forms.ValidationError(
                _("The form has expired. Please check your entries and send it again."), code="stamp"
            )
        if age < min_fill_seconds():
            raise forms.ValidationError(
                _("The form was sent too quickly. Please check your entries and send it again."), code="too_fast"
            )
        return cleaned


class PlateField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Plate number"),
            max_length=12,
            validators=[validate_plate],
            help_text=_("E.g. 京A12345"),
            widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
            **kwargs,
        )

    def clean(self, value):
        return normalize_plate(super().clean(value))


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Mobile phone"),
            max_length=30,
            validators=[validate_phone],
            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            **kwargs,
        )

    def clean(self, value):
        return normalize_phone(super().clean(value))


class IdentifyForm(SpamGuardForm):
    plate = PlateField()
    phone = PhoneField()


class RegisterForm(SpamGuardForm):
    name = forms.CharField(label=_("Your name"), max_length=50)
    phone = PhoneField()
    plate = PlateField()
    make = forms.CharField(label=_("Make"), max_length=30, help_text=_("E.g. 大众"))
    model = forms.CharField(label=_("Model"), max_length=50, help_text=_("E.g. 帕萨特"))
    vin = forms.CharField(
        label=_("VIN (optional)"),
        max_length=20,
        required=False,
        help_text=_("17 characters, on the vehicle registration certificate (行驶证)."),
    )

    def clean_vin(self) -> str:
        vin = normalize_vin(self.cleaned_data.get("vin", ""))
        if vin:
            _validate_vin(vin)
        return vin


class ChooseForm(SpamGuardForm):
    """Services, wish and the chosen slot. `arrives_at` is needed to book;
    without it the page only shows the proposed times."""

    packages = forms.ModelMultipleChoiceField(
        label=_("Service packages"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    operations = forms.ModelMultipleChoiceField(
        label=_("Other work"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    wished_day = forms.DateField(
        label=_("Wished day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    part_of_day = forms.ChoiceField(label=_("Part of day"), choices=PART_OF_DAY, required=False)
    request = forms.CharField(
        label=_("Anything we should know? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    arrives_at = forms.DateTimeField(
        label=_("Time"), required=False, input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M"]
    )

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.station = station
        self.fields["packages"].queryset = offered_packages(station)
        self.fields["packages"].to_field_name = "code"
        self.fields["operations"].queryset = offered_operations(station)
        self.fields["operations"].to_field_name = "code"

    def clean_wished_day(self):
        day = self.cleaned_data.get("wished_day")
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("The wished day has already passed."))
        return day

    def clean_arrives_at(self):
        value = self.cleaned_data.get("arrives_at")
        if value and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("operations") and not cleaned.get("packages"):
            self.add_error("packages", _("Choose at least one service."))
        return cleaned


class MoveForm(forms.Form):
    arrives_at = forms.DateTimeField(
        label=_("New time"), input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M"]
    )

    def clean_arrives_at(self):
        value = self.cleaned_data["arrives_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value
