"""Reception views: the parts clerk's list of issue notices (备件出库通知)
and parts orders, with the issue, ordered and arrived actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealers.access import role_required
from dealers.models import Role
from reception import parts as services
from reception.estimate_forms import ExpectedForm
from reception.models import IssueNoticeStatus, PartsIssueNotice, PartsOrder, PartsOrderStatus

PARTS_ROLES = (Role.PARTS_CLERK, Role.SERVICE_MANAGER)
TABS = ("notices", "orders")


def _back(request: HttpRequest) -> str:
    keep = {k: request.POST.get(k) for k in ("tab", "q", "status") if request.POST.get(k)}
    return reverse("reception:parts") + (f"?{urlencode(keep)}" if keep else "")


@role_required(*PARTS_ROLES)
def parts(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "notices"
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if tab == "notices":
        if status not in IssueNoticeStatus.values:
            status = IssueNoticeStatus.OPEN
        rows = services.issue_notices(request.station, status=status, q=q)
        statuses = IssueNoticeStatus.choices
    else:
        if status and status not in PartsOrderStatus.values:
            status = ""
        rows = services.parts_orders(request.station, status=status, q=q)
        statuses = PartsOrderStatus.choices
    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {
        "notices": PartsIssueNotice.objects.for_station(request.station).filter(status=IssueNoticeStatus.OPEN).count(),
        "orders": PartsOrder.objects.for_station(request.station)
        .filter(status__in=[PartsOrderStatus.REQUESTED, PartsOrderStatus.ORDERED])
        .count(),
    }
    context = {
        "tab": tab,
        "q": q,
        "status": status,
        "statuses": statuses,
        "page": page,
        "counts": counts,
        "expected_form": ExpectedForm(),
        "filtered": bool(q),
    }
    template = "reception/parts.html"
    if request.htmx and request.htmx.target == "parts-results":
        template += "#results"
    return render(request, template, context)


@role_required(*PARTS_ROLES)
@require_POST
def parts_issue(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(
        PartsIssueNotice.objects.for_station(request.station).select_related("repair_order"), pk=pk
    )
    try:
        services.issue_notice_issue(notice=notice, by=getattr(request.user, "staff", None))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Parts issued for %(number)s.") % {"number": notice.repair_order.number})
    return redirect(_back(request))


@role_required(*PARTS_ROLES)
@require_POST
def parts_order_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("ordered", "arrived"):
        raise Http404
    order = get_object_or_404(PartsOrder.objects.for_station(request.station).select_related("repair_order"), pk=pk)
    staff = getattr(request.user, "staff", None)
    try:
        if action == "ordered":
            form = ExpectedForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the expected date as a date."))
            services.parts_order_mark_ordered(order=order, expected_on=form.cleaned_data["expected_on"], by=staff)
            text = _("Parts for %(number)s marked as ordered.")
        else:
            services.parts_order_mark_arrived(order=order, by=staff)
            text = _("Parts for %(number)s arrived: the customer will be told; issue them from the notices.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, text % {"number": order.repair_order.number})
    return redirect(_back(request))


urlpatterns = [
    path("parts/", parts, name="parts"),
    path("parts/notices/<int:pk>/issue/", parts_issue, name="parts_issue"),
    path("parts/orders/<int:pk>/<slug:action>/", parts_order_act, name="parts_order_act"),
]
