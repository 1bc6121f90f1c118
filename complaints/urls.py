from django.urls import path
from django.utils.translation import gettext_lazy as _

from dealers.models import Role
from dealers.views import coming_page

app_name = "complaints"
urlpatterns = [
    path(
        "intake/",
        coming_page(
            _("Call-center intake"),
            _("Consultations, coordination requests and complaints with their deadlines."),
            Role.CALL_CENTER,
            Role.SERVICE_MANAGER,
        ),
        name="intake",
    ),
]
