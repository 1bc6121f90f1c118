from django.urls import path
from django.utils.translation import gettext_lazy as _

from dealers.models import Role
from dealers.views import coming_page

app_name = "workshop"
urlpatterns = [
    path(
        "board/",
        coming_page(
            _("Dispatch board"),
            _("Every car in the workshop by status (维修进度看板), for the dispatcher's tablet."),
            Role.DISPATCHER,
            Role.SERVICE_MANAGER,
            Role.SERVICE_ADVISOR,
        ),
        name="board",
    ),
    path(
        "my-jobs/",
        coming_page(_("My jobs"), _("The jobs dispatched to you today, with the job clock."), Role.TECHNICIAN),
        name="my_jobs",
    ),
]
