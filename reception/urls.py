"""Reception's URLs: each views module lists its own patterns, so the areas
(arrivals, repair orders, walk-around, estimate, documents, parts) stay apart."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from dealers.models import Role
from dealers.views import coming_page
from reception.views import arrivals, documents, estimate, orders, parts, walkaround

app_name = "reception"
urlpatterns = [
    *arrivals.urlpatterns,
    *orders.urlpatterns,
    *walkaround.urlpatterns,
    *estimate.urlpatterns,
    *documents.urlpatterns,
    *parts.urlpatterns,
    path(
        "cashier/",
        coming_page(
            _("Cashier"),
            _("Repair orders ready for payment, invoices and receipts."),
            Role.CASHIER,
            Role.SERVICE_MANAGER,
        ),
        name="cashier",
    ),
]
