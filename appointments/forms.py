from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import ArrivalMode, Source, Status
from customers.models import ContactChannel
from dealers.models import JobType, LabourOperation, Role, ServicePackage, StaffMember

PART_OF_DAY = [("", _("Any time of day")), ("morning", _("Morning")), ("afternoon", _("Afternoon"))]


class JobForm(forms.Form):
    """What the customer wants and when: enough to propose slots."""

    job_type = forms.ChoiceField(label=_("Job type"), choices=JobType.choices)
    operations = forms.ModelMultipleChoiceField(
        label=_("Labour operations"),
        queryset=LabourOperation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    packages = forms.ModelMultipleChoiceField(
        label=_("Service packages"),
        queryset=ServicePackage.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    wished_day = forms.DateField(
        label=_("Customer's wished day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    part_of_day = forms.ChoiceField(label=_("Part of day"), choices=PART_OF_DAY, required=False)

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, **kwargs)
        self.station = station
        self.fields["operations"].queryset = (
            LabourOperation.objects.for_dealer(station).active().order_by("job_type", "code")
        )
        self.fields["packages"].queryset = (
            ServicePackage.objects.for_dealer(station).active().prefetch_related("operations", "package_parts__part")
        )

    def clean_wished_day(self):
        day = self.cleaned_data.get("wished_day")
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("The wished day has already passed."))
        return day

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("operations") and not cleaned.get("packages"):
            raise forms.ValidationError(_("Choose at least one labour operation or service package."))
        return cleaned


class BookingForm(JobForm):
    arrives_at = forms.DateTimeField(
        label=_("Arrival"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Pick a proposed time, or type one agreed with the customer."),
    )
    advisor = forms.ModelChoiceField(label=_("Service advisor"), queryset=StaffMember.objects.none())
    request = forms.CharField(
        label=_("Request in the customer's words"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    arrival_mode = forms.ChoiceField(label=_("Arrival"), choices=ArrivalMode.choices, initial=ArrivalMode.DRIVE_IN)
    substitute_car = forms.BooleanField(label=_("Substitute car needed"), required=False)
    contact_channel = forms.ChoiceField(label=_("Channel for reminders"), choices=ContactChannel.choices)
    offers = forms.CharField(label=_("Special offers proposed"), max_length=200, required=False)
    offers_accepted = forms.BooleanField(label=_("Offers accepted"), required=False)
    # The appointment card (walk-in waiting) is its own button, not a choice here.
    source = forms.ChoiceField(
        label=_("The customer reached us"),
        choices=[(Source.PHONE, Source.PHONE.label), (Source.WALK_IN, Source.WALK_IN.label)],
        initial=Source.PHONE,
        required=False,
    )

    def __init__(self, *args, station, **kwargs):
        super().__init__(*args, station=station, **kwargs)
        self.fields["advisor"].queryset = (
            StaffMember.objects.filter(dealers=station, roles__role=Role.SERVICE_ADVISOR)
            .distinct()
            .order_by("display_name")
        )

    def clean_arrives_at(self):
        value = self.cleaned_data["arrives_at"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


class RescheduleForm(forms.Form):
    arrives_at = BookingForm.base_fields["arrives_at"]
    note = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def clean_arrives_at(self):
        value = self.cleaned_data["arrives_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Reason for cancelling"), max_length=300)


class DayFilterForm(forms.Form):
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    q = forms.CharField(label=_("Search"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"day": timezone.localdate()})  # the picker shows the day listed
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All states")), *Status.choices]

    def day_or_today(self) -> dt.date:
        return (self.cleaned_data.get("day") if self.is_valid() else None) or timezone.localdate()


# --- step 2 preparation -------------------------------------------------------


class TechnicianForm(forms.Form):
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=StaffMember.objects.none())

    def __init__(self, *args, appointment, **kwargs):
        from appointments.preparation import eligible_technicians

        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = eligible_technicians(appointment)
        self.fields["technician"].label_from_instance = lambda s: f"{s.display_name} · {s.get_skill_grade_display()}"


class ToolsForm(forms.Form):
    note = forms.CharField(
        label=_("What is arranged"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. diagnostic tester booked, wiring diagram printed."),
    )


class LoanerForm(forms.Form):
    loaner = forms.ModelChoiceField(
        label=_("Substitute car"), queryset=None, required=False, empty_label=_("First free car")
    )

    def __init__(self, *args, appointment, **kwargs):
        from appointments.preparation import free_loaners

        super().__init__(*args, **kwargs)
        self.fields["loaner"].queryset = free_loaners(appointment)


class DraftForm(forms.Form):
    request = forms.CharField(
        label=_("Customer's request for the work order"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ShortageForm(forms.Form):
    note = forms.CharField(label=_("What is wrong"), max_length=200)


class ReadinessFilterForm(forms.Form):
    STATES = [
        ("", _("All")),
        ("ready", _("Ready")),
        ("open", _("Open items")),
        ("problem", _("Problems")),
    ]
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    state = forms.ChoiceField(label=_("Readiness"), choices=STATES, required=False)
    q = forms.CharField(label=_("Search"), required=False)


# --- work lists (the copies of the registration form) ---------------------------


class WorkListForm(forms.Form):
    """Day and search of a work list; each list shows the fields it needs."""

    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("Search"), required=False, help_text=None)
    advisor = forms.ChoiceField(label=_("Service advisor"), required=False)
    open_only = forms.BooleanField(label=_("Only parts still to reserve or short"), required=False)
    job_type = forms.ChoiceField(label=_("Job type"), required=False)

    def __init__(self, *args, station, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].choices = [("all", _("All advisors"))]
        if kind == "advisor":
            advisors = (
                StaffMember.objects.filter(dealers=station, roles__role=Role.SERVICE_ADVISOR)
                .distinct()
                .order_by("display_name")
                .values_list("pk", "display_name")
            )
            self.fields["advisor"].choices += [(str(pk), name) for pk, name in advisors]
        self.fields["job_type"].choices = [("", _("All job types")), *JobType.choices]
        self.fields["q"].widget.attrs["placeholder"] = _("Number, name, phone or plate")

    def day_or_today(self) -> dt.date:
        return (self.cleaned_data.get("day") if self.is_valid() else None) or timezone.localdate()
