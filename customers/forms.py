from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, OdometerReading, OdometerSource, Vehicle
from customers.validators import normalize_phone, normalize_plate, normalize_vin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "name",
            "phone",
            "phone2",
            "email",
            "address",
            "birthday",
            "preferred_channel",
            "preferred_time",
            "marketing_consent",
            "lifecycle",
            "club_since",
            "notes",
        ]
        widgets = {"birthday": DateInput(), "club_since": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("name", css_class="col-md-4"),
                Column("phone", css_class="col-md-4"),
                Column("phone2", css_class="col-md-4"),
            ),
            Row(Column("email", css_class="col-md-4"), Column("address", css_class="col-md-8")),
            Row(
                Column("birthday", css_class="col-md-3"),
                Column("preferred_channel", css_class="col-md-3"),
                Column("preferred_time", css_class="col-md-3"),
                Column("lifecycle", css_class="col-md-3"),
            ),
            Row(Column("club_since", css_class="col-md-3"), Column("marketing_consent", css_class="col-md-9 pt-md-4")),
            "notes",
            Submit("save", _("Save")),
        )

    def clean_birthday(self):
        birthday = self.cleaned_data.get("birthday")
        if birthday and birthday > timezone.localdate():
            raise forms.ValidationError(_("The birthday cannot be in the future."))
        return birthday


class VehicleForm(forms.ModelForm):
    odometer_km = forms.IntegerField(label=_("Current odometer (km)"), required=False, min_value=0, max_value=2_000_000)

    class Meta:
        model = Vehicle
        fields = [
            "plate",
            "vin",
            "engine_number",
            "make",
            "model",
            "model_year",
            "variant",
            "colour",
            "sale_date",
            "warranty_end",
        ]
        widgets = {"sale_date": DateInput(), "warranty_end": DateInput()}

    def __init__(self, *args, dealer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if dealer is not None:
            # The unique (dealer, VIN) check needs the station before validation.
            self.instance.dealer = dealer
        # The desk reads the VIN from the vehicle documents: only the public
        # booking page may leave it blank.
        self.fields["vin"].required = True
        if self.instance.pk:
            del self.fields["odometer_km"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("plate", css_class="col-md-4"), Column("vin", css_class="col-md-8")),
            Row(
                Column("make", css_class="col-md-4"),
                Column("model", css_class="col-md-4"),
                Column("model_year", css_class="col-md-4"),
            ),
            Row(
                Column("variant", css_class="col-md-4"),
                Column("colour", css_class="col-md-4"),
                Column("engine_number", css_class="col-md-4"),
            ),
            Row(
                Column("sale_date", css_class="col-md-4"),
                Column("warranty_end", css_class="col-md-4"),
                *([Column("odometer_km", css_class="col-md-4")] if "odometer_km" in self.fields else []),
            ),
            Submit("save", _("Save")),
        )

    def clean_vin(self):
        vin = normalize_vin(self.cleaned_data["vin"])
        if self._taken(vin=vin):
            raise forms.ValidationError(_("A vehicle with this VIN is already on file at this station."))
        return vin

    def clean_plate(self):
        plate = normalize_plate(self.cleaned_data["plate"])
        if plate and self._taken(plate=plate):
            raise forms.ValidationError(_("A vehicle with this plate is already on file at this station."))
        return plate

    def _taken(self, **lookup) -> bool:
        if not self.instance.dealer_id:
            return False
        return Vehicle.objects.filter(dealer_id=self.instance.dealer_id, **lookup).exclude(pk=self.instance.pk).exists()


class OdometerForm(forms.ModelForm):
    class Meta:
        model = OdometerReading
        fields = ["km", "read_on", "source", "correction_reason"]
        widgets = {"read_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["read_on"].initial = timezone.localdate
        self.fields["source"].initial = OdometerSource.CUSTOMER
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("km", css_class="col-md-4"),
                Column("read_on", css_class="col-md-4"),
                Column("source", css_class="col-md-4"),
            ),
            "correction_reason",
            Submit("save", _("Record reading")),
        )


class TransferForm(forms.Form):
    new_owner_phone = forms.CharField(label=_("New owner's phone"), max_length=30)
    on = forms.DateField(label=_("Date of transfer"), widget=DateInput(), initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, station=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.station = station
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("new_owner_phone", css_class="col-md-4"),
                Column("on", css_class="col-md-4"),
                Column("note", css_class="col-md-4"),
            ),
            Submit("save", _("Transfer ownership")),
        )

    def clean_new_owner_phone(self):
        phone = normalize_phone(self.cleaned_data["new_owner_phone"])
        matches = list(Customer.objects.for_station(self.station).filter(phone=phone)[:2])
        if not matches:
            raise forms.ValidationError(
                _("No customer of this station has this phone number: create the customer first.")
            )
        if len(matches) > 1:
            raise forms.ValidationError(
                _("Several customers share this phone number: open the new owner's file instead.")
            )
        self.cleaned_data["new_owner"] = matches[0]
        return phone
