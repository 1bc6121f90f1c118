"""Forms of the additional-work and delay pages. They parse; workshop.findings
and workshop.delays decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, LabourOperation, Part
from reception.models import ConsentMethod, RepairOrder
from workshop.delays import AGREE_METHODS
from workshop.findings import MAX_PHOTOS, ProposedLine
from workshop.models import Decision, DecisionVia, FindingLine, Job, Urgency

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
LINE_ROWS = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; each is checked to be a real picture by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(count)s photos per finding.") % {"count": MAX_PHOTOS})
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files]


class FindingForm(forms.Form):
    description = forms.CharField(label=_("what was found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    urgency = forms.ChoiceField(label=_("urgency"), choices=Urgency.choices, widget=forms.RadioSelect)
    job = forms.ModelChoiceField(label=_("found during the job"), queryset=Job.objects.none(), required=False)
    photos = MultiplePhotoField(label=_("photos"), required=False)

    def __init__(self, *args, repair_order: RepairOrder, **kwargs):
        super().__init__(*args, **kwargs)
        self.station: Dealer = repair_order.dealer
        self.fields["job"].queryset = Job.objects.filter(repair_order=repair_order).select_related("estimate_line")
        self.fields["job"].label_from_instance = lambda job: job.estimate_line.description
        for i in range(LINE_ROWS):
            self.fields[f"code_{i}"] = forms.CharField(label=_("operation code or part number"), required=False)
            self.fields[f"quantity_{i}"] = forms.DecimalField(
                label=_("quantity / hours"), required=False, min_value=Decimal("0.01"), max_digits=8, decimal_places=2
            )
            self.fields[f"extra_hours_{i}"] = forms.DecimalField(
                label=_("extra time (hours)"), required=False, min_value=Decimal(0), max_digits=5, decimal_places=2
            )

    def line_rows(self) -> list[tuple]:
        return [(self[f"code_{i}"], self[f"quantity_{i}"], self[f"extra_hours_{i}"]) for i in range(LINE_ROWS)]

    def clean(self):
        data = super().clean()
        proposed: list[ProposedLine] = []
        for i in range(LINE_ROWS):
            code = (data.get(f"code_{i}") or "").strip()
            if not code:
                continue
            operation = LabourOperation.objects.for_dealer(self.station).active().filter(code__iexact=code).first()
            part = None
            if operation is None:
                part = Part.objects.for_dealer(self.station).active().filter(number__iexact=code).first()
            if operation is None and part is None:
                self.add_error(f"code_{i}", _("%(code)s is not in the station's catalogue.") % {"code": code})
                continue
            proposed.append(
                ProposedLine(
                    operation=operation,
                    part=part,
                    quantity=data.get(f"quantity_{i}"),
                    extra_hours=data.get(f"extra_hours_{i}"),
                )
            )
        if not proposed and not self.errors:
            self.add_error(None, _("Propose at least one operation or part."))
        data["lines"] = proposed
        return data


class DecisionForm(forms.Form):
    """The customer's decision on a finding's pending lines, recorded by the advisor."""

    via = forms.ChoiceField(
        label=_("how the customer decided"),
        choices=[(v.value, v.label) for v in (DecisionVia.IN_PERSON, DecisionVia.PHONE, DecisionVia.TOLERANCE)],
        initial=DecisionVia.PHONE,
        widget=forms.RadioSelect,
    )
    contact = forms.CharField(label=_("who decided"), max_length=60, required=False)
    contacted_at = forms.DateTimeField(label=_("when"), required=False, widget=DATETIME_WIDGET)
    note = forms.CharField(label=_("call note"), max_length=300, required=False)
    signature = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, lines: list[FindingLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        choices = [("", _("not yet")), (Decision.APPROVED, _("approve")), (Decision.DECLINED, _("decline"))]
        for line in lines:
            self.fields[f"line_{line.pk}"] = forms.ChoiceField(
                label=line.description, choices=choices, required=False, widget=forms.RadioSelect
            )
            self.fields[f"due_{line.pk}"] = forms.DateField(
                label=_("recommended by (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"km_{line.pk}"] = forms.IntegerField(
                label=_("recommended by (km)"), required=False, min_value=0, max_value=2_000_000
            )

    def rows(self) -> list[tuple]:
        return [(line, self[f"line_{line.pk}"], self[f"due_{line.pk}"], self[f"km_{line.pk}"]) for line in self.lines]

    def decisions(self) -> dict[int, str]:
        return {x.pk: self.cleaned_data.get(f"line_{x.pk}") or "" for x in self.lines}

    def recommend(self) -> dict[int, tuple]:
        return {x.pk: (self.cleaned_data.get(f"due_{x.pk}"), self.cleaned_data.get(f"km_{x.pk}")) for x in self.lines}


class DelayReportForm(forms.Form):
    forecast_ready_at = forms.DateTimeField(label=_("forecast completion"), widget=DATETIME_WIDGET)
    reason = forms.CharField(label=_("reason"), max_length=300, required=False)


class DelayAgreeForm(forms.Form):
    new_promised_at = forms.DateTimeField(label=_("new promised time"), widget=DATETIME_WIDGET)
    method = forms.ChoiceField(
        label=_("how the customer agreed"),
        choices=[(m.value, ConsentMethod(m).label) for m in AGREE_METHODS],
        initial=ConsentMethod.PHONE,
        widget=forms.RadioSelect,
    )
    signed_by_name = forms.CharField(label=_("who agreed"), max_length=60)
    note = forms.CharField(label=_("call note"), max_length=300, required=False)
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
