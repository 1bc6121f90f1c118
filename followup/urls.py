from django.urls import path
from django.utils.translation import gettext_lazy as _

from dealers.models import Role
from dealers.views import coming_page

app_name = "followup"
urlpatterns = [
    path(
        "calls/",
        coming_page(
            _("Call list"),
            _("Confirmations, callbacks and reminders due today, with one-click outcomes."),
            Role.SPECIALIST,
            Role.SERVICE_ADVISOR,
            Role.SERVICE_MANAGER,
        ),
        name="calls",
    ),
]
