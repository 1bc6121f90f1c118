from django.urls import path
from django.utils.translation import gettext_lazy as _

from dealers.models import Role
from dealers.views import coming_page

app_name = "reception"
urlpatterns = [
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
