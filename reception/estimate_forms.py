"""Forms of the estimate, consent and parts pages. They parse; the services
in reception.estimates and reception.parts decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dealers.models import LabourOperation, ServicePackage
from reception.models import ConsentMethod, PaymentMethod, PayType

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VehicleConfirmForm(forms.Form):
    model = forms.CharField(label=_("model"), max_length=50)
    vin = forms.CharField(label=_("VIN"), max_length=17)
    engine_number = forms.CharField(label=_("engine number"), max_length=30, required=False)
    model_year = forms.IntegerField(label=_("model year"), min_value=1980, max_value=2100, required=False)
    variant = forms.CharField(label=_("variant"), max_length=80, required=False)


class TermsForm(forms.Form):
    promised_at = forms.DateTimeField(label=_("promised completion"), required=False, widget=DATETIME_WIDGET)
    wished_pickup_at = forms.DateTimeField(label=_("customer's wished pickup"), required=False, widget=DATETIME_WIDGET)
    tolerance_amount = forms.DecimalField(
        label=_("price tolerance (¥)"), min_value=Decimal(0), max_digits=10, decimal_places=2, initial=Decimal(0)
    )
    tolerance_minutes = forms.IntegerField(label=_("time tolerance (minutes)"), min_value=0, initial=0)
    discount_reason = forms.CharField(label=_("discount reason"), max_length=200, required=False)


class LabourAddForm(forms.Form):
    operation = forms.ModelChoiceField(
        label=_("labour operation"),
        queryset=LabourOperation.objects.none(),
        error_messages={"invalid_choice": _("This labour operation is not in the station's catalogue.")},
    )
    hours = forms.DecimalField(label=_("hours"), required=False, max_digits=8, decimal_places=2)
    rate = forms.DecimalField(label=_("rate"), required=False, max_digits=10, decimal_places=2)

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].queryset = LabourOperation.objects.for_dealer(station).active()


class PartAddForm(forms.Form):
    """By catalogue number; a number not in the catalogue comes back with
    description and price to add it as a free-text part."""

    part_number = forms.CharField(label=_("part number"), max_length=40)
    quantity = forms.DecimalField(label=_("quantity"), max_digits=8, decimal_places=2, initial=Decimal(1))
    description = forms.CharField(label=_("description"), max_length=160, required=False)
    unit_price = forms.DecimalField(label=_("unit price"), required=False, max_digits=10, decimal_places=2)
    free_text = forms.BooleanField(label=_("add as a part not in the catalogue"), required=False)


class PackageAddForm(forms.Form):
    package = forms.ModelChoiceField(
        label=_("service package"),
        queryset=ServicePackage.objects.none(),
        error_messages={"invalid_choice": _("This service package is not in the station's catalogue.")},
    )

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = ServicePackage.objects.for_dealer(station).active()


class LineForm(forms.Form):
    quantity = forms.DecimalField(label=_("quantity / hours"), max_digits=8, decimal_places=2)
    unit_price = forms.DecimalField(label=_("unit price / rate"), max_digits=10, decimal_places=2)
    discount_percent = forms.DecimalField(
        label=_("discount (%)"), max_digits=5, decimal_places=2, required=False, initial=Decimal(0)
    )
    pay_type = forms.ChoiceField(label=_("paid by"), choices=PayType.choices, initial=PayType.CUSTOMER)
    discount_reason = forms.CharField(label=_("discount reason"), max_length=200, required=False)
    manager_username = forms.CharField(label=_("manager's user name"), max_length=150, required=False)
    manager_password = forms.CharField(
        label=_("manager's password"), required=False, widget=forms.PasswordInput(render_value=False)
    )


class ConsentForm(forms.Form):
    method = forms.ChoiceField(
        label=_("how the customer agrees"),
        choices=[(m.value, m.label) for m in (ConsentMethod.SIGNATURE_PAD, ConsentMethod.PRINTED)],
        initial=ConsentMethod.SIGNATURE_PAD,
        widget=forms.RadioSelect,
    )
    signed_by_name = forms.CharField(label=_("signed by"), max_length=60)
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("note"), max_length=300, required=False)


class DepositForm(forms.Form):
    amount = forms.DecimalField(label=_("deposit (¥)"), min_value=Decimal(0), max_digits=10, decimal_places=2)
    method = forms.ChoiceField(label=_("paid by"), choices=[("", "---------"), *PaymentMethod.choices], required=False)
    receipt = forms.CharField(label=_("receipt number"), max_length=30, required=False)


class ExpectedForm(forms.Form):
    expected_on = forms.DateField(
        label=_("expected on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
