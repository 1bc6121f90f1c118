"""Pages of the service campaigns: the list, the campaign form with a live
count of its segment, and the campaign's progress with its start, pause,
resume and finish buttons. The service manager and the customer-service
specialists run campaigns; the sweep sends the batches."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.models import Lifecycle
from dealers.access import role_required
from dealers.models import Role
from followup import campaigns
from followup.campaign_forms import CampaignFilterForm, CampaignForm
from followup.models import Campaign, CampaignStatus, ContactTask

CAMPAIGN_ROLES = (Role.SERVICE_MANAGER, Role.SPECIALIST)

# Button → (the status it starts from, None for any; the status it leads to).
ACTIONS: dict[str, tuple[str | None, str]] = {
    "start": (CampaignStatus.DRAFT, CampaignStatus.RUNNING),
    "pause": (CampaignStatus.RUNNING, CampaignStatus.PAUSED),
    "resume": (CampaignStatus.PAUSED, CampaignStatus.RUNNING),
    "finish": (None, CampaignStatus.FINISHED),
}


def _campaign_for(request: HttpRequest, pk: int) -> Campaign:
    """A campaign of one of the person's stations; 404 otherwise."""
    return get_object_or_404(Campaign.objects.visible_to(request).select_related("dealer"), pk=pk)


@role_required(*CAMPAIGN_ROLES)
def campaign_list(request: HttpRequest) -> HttpResponse:
    """The station's campaigns, newest start first, searched by code or name."""
    form = CampaignFilterForm(request.GET)
    form.is_valid()
    q, status = form.cleaned_data.get("q", "").strip(), form.cleaned_data.get("status", "")
    qs = Campaign.objects.for_station(request.station).annotate(notified=Count("tasks"))
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if status:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-starts_at", "-pk"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "q": q, "status": status, "page": page, "query": query.urlencode()}
    return render(request, "followup/campaign_list.html", context)


def _save(request: HttpRequest, form: CampaignForm) -> Campaign | None:
    """Validate the form and save through the service; None when refused."""
    if not form.is_valid():
        return None
    try:
        return campaigns.campaign_save(campaign=form.instance, by=request.user)
    except campaigns.CampaignError as error:
        form.add_error(None, error)
        return None


def _segment_count(form: CampaignForm) -> int | None:
    """The vehicles the form's segment matches; None while a target field is wrong."""
    if not form.is_bound:
        return campaigns.segment(form.instance).count()
    form.is_valid()
    return None if form.segment_errors() else campaigns.segment(form.segment_campaign()).count()


def _form_page(request: HttpRequest, form: CampaignForm, campaign: Campaign | None) -> HttpResponse:
    context = {"form": form, "campaign": campaign, "count": _segment_count(form)}
    return render(request, "followup/campaign_form.html", context)


@role_required(*CAMPAIGN_ROLES)
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, station=request.station)
    if request.method == "POST" and (campaign := _save(request, form)):
        messages.success(
            request, _("Campaign %(code)s saved as a draft: start it when ready.") % {"code": campaign.code}
        )
        return redirect("followup:campaign", campaign.pk)
    return _form_page(request, form, None)


@role_required(*CAMPAIGN_ROLES)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_for(request, pk)
    if campaign.status == CampaignStatus.FINISHED:
        messages.error(request, _("This campaign is finished and can no longer be changed."))
        return redirect("followup:campaign", campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign, station=campaign.dealer)
    if request.method == "POST" and _save(request, form):
        messages.success(request, _("Campaign %(code)s saved.") % {"code": campaign.code})
        return redirect("followup:campaign", campaign.pk)
    return _form_page(request, form, campaign)


@role_required(*CAMPAIGN_ROLES)
@require_POST
def campaign_preview(request: HttpRequest) -> HttpResponse:
    """The live count of the segment as typed on the form (htmx)."""
    form = CampaignForm(request.POST, station=request.station)
    count = _segment_count(form)
    problems = [
        f"{form[name].label}: {' '.join(form.errors[name])}" for name in campaigns.SEGMENT_FIELDS if name in form.errors
    ]
    return render(request, "followup/campaign_form.html#preview", {"count": count, "problems": problems})


@role_required(*CAMPAIGN_ROLES)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_for(request, pk)
    recent = (
        ContactTask.objects.filter(campaign=campaign)
        .select_related("customer", "vehicle")
        .order_by("-due_from", "-pk")[:10]
    )
    context = {
        "campaign": campaign,
        "progress": campaigns.progress(campaign),
        "lifecycle_labels": [Lifecycle(v).label for v in campaign.lifecycles if v in Lifecycle.values],
        "recent": recent,
        "actions": [name for name, (source, to) in ACTIONS.items() if _fits(campaign, source, to)],
        "now": timezone.now(),
    }
    return render(request, "followup/campaign_detail.html", context)


def _fits(campaign: Campaign, source: str | None, to: str) -> bool:
    return campaign.status == source if source else to in campaigns.TRANSITIONS[campaign.status]


@role_required(*CAMPAIGN_ROLES)
@require_POST
def campaign_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Start, pause, resume or finish: one button each, checked against the status."""
    campaign = _campaign_for(request, pk)
    source, to = ACTIONS.get(action, (None, ""))
    if not to or not _fits(campaign, source, to):
        messages.error(
            request,
            _("This campaign is %(status)s: that button does not apply.") % {"status": campaign.get_status_display()},
        )
        return redirect("followup:campaign", campaign.pk)
    try:
        campaigns.campaign_transition(campaign=campaign, to=to, by=request.user)
    except campaigns.CampaignError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("followup:campaign", campaign.pk)
    done = {
        "start": _("Campaign started: the sweep sends the first batch at its start."),
        "pause": _("Campaign paused: no batch goes out until it is resumed."),
        "resume": _("Campaign resumed: the next batch goes out when it is due."),
        "finish": _("Campaign finished: no more batches go out."),
    }
    messages.success(request, done[action])
    return redirect("followup:campaign", campaign.pk)
