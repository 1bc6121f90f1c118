"""Reception views: the five-part repair order (接车单一式五联) as a PDF.

Who may print: the front desk (advisor, manager, cashier) and the workshop
(dispatcher, technician), since the repair card travels with the car. Each
prints all five parts; which part goes where is a matter of the paper."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from dealers.access import role_required
from dealers.http import pdf_response
from dealers.models import Role
from reception import documents
from reception.models import RepairOrder

PRINT_ROLES = (Role.SERVICE_ADVISOR, Role.SERVICE_MANAGER, Role.CASHIER, Role.DISPATCHER, Role.TECHNICIAN)


@role_required(*PRINT_ROLES)
def repair_order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = documents.for_print(RepairOrder.objects.for_station(request.station)).get(pk=pk)
    except RepairOrder.DoesNotExist:
        raise Http404 from None
    pdf = documents.repair_order_pdf(order, base_url=request.build_absolute_uri("/"))
    return pdf_response(pdf, f"repair-order-{order.number}.pdf")


urlpatterns = [
    path("orders/<int:pk>/repair-order.pdf", repair_order_pdf, name="repair_order_pdf"),
]
