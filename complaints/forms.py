"""Forms of the intake page, the ticket's actions and the list's filters.
They parse input only; the rules live in complaints.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints import intake
from complaints.models import (
    HANDLING_STEPS,
    ComplainerType,
    ContactType,
    CustomerType,
    Deadline,
    EventKind,
    InboundChannel,
    Level,
    Status,
    Subject,
)
from dealers.models import LabourOperation

TEXTAREA = {"rows": 3}


def question_field_name(subject: str, key: str) -> str:
    return f"q_{subject}_{key}"


class IntakeForm(forms.Form):
    """One form for every inbound contact; which fields count depends on the type."""

    contact_type = forms.ChoiceField(
        label=_("Type of contact"), choices=ContactType.choices, widget=forms.RadioSelect, initial=ContactType.COMPLAINT
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=InboundChannel.choices, initial=InboundChannel.HOTLINE)
    station = forms.TypedChoiceField(label=_("Station concerned"), coerce=int, choices=())
    caller_name = forms.CharField(label=_("Caller's name"), required=False, max_length=50)
    caller_phone = forms.CharField(label=_("Caller's phone"), required=False, max_length=30)
    words = forms.CharField(
        label=_("What the customer says, in their words"), max_length=5000, widget=forms.Textarea(attrs=TEXTAREA)
    )
    answer = forms.CharField(
        label=_("Answer given in the call"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    department = forms.CharField(label=_("Department that must answer"), required=False, max_length=100)
    subject = forms.ChoiceField(label=_("Subject"), required=False, choices=[("", "—"), *Subject.choices])
    level = forms.TypedChoiceField(
        label=_("Level"), coerce=int, choices=Level.choices, initial=Level.GENERAL, widget=forms.RadioSelect
    )
    criteria = forms.MultipleChoiceField(
        label=_("Criteria met"),
        required=False,
        choices=[(c.code, c.label) for c in intake.CRITERIA],
        widget=forms.CheckboxSelectMultiple,
    )
    expected_outcome = forms.CharField(
        label=_("What the customer expects"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    related_orders = forms.TypedMultipleChoiceField(
        label=_("Repair orders about it at this station"),
        coerce=int,
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    visit_confirmed = forms.BooleanField(
        label=_("The customer has been to the station about it (no repair order on file)"), required=False
    )
    guidance = forms.CharField(
        label=_("Guidance given (when not dispatched)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    problem_operation = forms.ModelChoiceField(
        label=_("Problem: labour operation"), required=False, queryset=LabourOperation.objects.none()
    )
    problem_symptom = forms.CharField(label=_("Problem: symptom keyword"), required=False, max_length=100)
    complainer_type = forms.ChoiceField(
        label=_("Complainer type"), required=False, choices=[("", "—"), *ComplainerType.choices]
    )
    customer_type = forms.ChoiceField(
        label=_("Customer type"), required=False, choices=[("", "—"), *CustomerType.choices]
    )

    def __init__(self, *args, stations, orders=(), operations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = [(s.pk, s.name) for s in stations]
        self.fields["related_orders"].choices = [(o.pk, o.number) for o in orders]
        if operations is not None:
            self.fields["problem_operation"].queryset = operations
        for subject, questions in intake.QUESTIONS.items():
            for key, label in questions:
                self.fields[question_field_name(subject, key)] = forms.CharField(
                    label=label, required=False, max_length=1000
                )

    def answers(self) -> dict[str, str]:
        subject = self.cleaned_data.get("subject") or ""
        return {
            key: self.cleaned_data.get(question_field_name(subject, key), "")
            for key, _label in intake.QUESTIONS.get(subject, ())
        }

    def question_groups(self):
        """(subject, [bound fields]) for the template: one block per subject."""
        return [
            (subject, [self[question_field_name(subject, key)] for key, _label in questions])
            for subject, questions in intake.QUESTIONS.items()
        ]


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=[(k.value, k.label) for k in (*HANDLING_STEPS, EventKind.NOTE)])
    note = forms.CharField(required=False, max_length=5000)
    value = forms.CharField(required=False, max_length=20)


class CloseForm(forms.Form):
    satisfied = forms.TypedChoiceField(
        label=_("Customer satisfied?"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Closing note"), required=False, max_length=2000)


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("New level"), coerce=int, choices=Level.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ExtendForm(forms.Form):
    deadline = forms.ChoiceField(label=_("Deadline"), choices=Deadline.choices)
    until = forms.DateTimeField(
        label=_("New deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)


class DispatchForm(forms.Form):
    related_orders = forms.TypedMultipleChoiceField(
        label=_("Repair orders of the visit"),
        coerce=int,
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("When and where the customer went"), required=False, max_length=500)

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["related_orders"].choices = [(o.pk, o.number) for o in orders]


class BillForm(forms.Form):
    bill = forms.FileField(
        label=_("Itemised bill (scan or photo)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
    )
    invoice = forms.TypedChoiceField(label=_("or the repair order's invoice"), coerce=int, required=False, choices=())

    def __init__(self, *args, invoices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].choices = [("", "—"), *[(i.pk, f"{i.number} · ¥{i.total}") for i in invoices]]
        self.fields["invoice"].empty_value = None


class ReviewForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[("reasonable", _("Charge reasonable")), ("unreasonable", _("Charge unreasonable"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("What the review found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PreReportForm(forms.Form):
    plate_or_phone = forms.CharField(label=_("Plate or phone of the customer"), max_length=30)
    note = forms.CharField(label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))


class CoordinationCloseForm(forms.Form):
    answer = forms.CharField(label=_("Answer given to the customer"), max_length=5000)


class TicketFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50)
    level = forms.TypedChoiceField(
        label=_("Level"), required=False, coerce=int, empty_value=None, choices=[("", _("All levels")), *Level.choices]
    )
    subject = forms.ChoiceField(label=_("Subject"), required=False, choices=[("", _("All subjects")), *Subject.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Open")), ("all", _("All")), *Status.choices]
    )
    station = forms.TypedChoiceField(label=_("Station"), required=False, coerce=int, empty_value=None, choices=())
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Only mine"), required=False)

    def __init__(self, *args, stations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = [("", _("All stations")), *[(s.pk, s.name) for s in stations]]
