from django.urls import path
from django.utils.translation import gettext_lazy as _

from dealers.models import Role
from dealers.views import coming_page

app_name = "dashboard"
urlpatterns = [
    path(
        "",
        coming_page(
            _("Dashboard"),
            _("The service manager's figures, charts and overdue lists."),
            Role.SERVICE_MANAGER,
        ),
        name="index",
    ),
]
