"""Workshop URLs: each views module lists its own patterns."""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from dealers.models import Role
from dealers.views import coming_page
from workshop.views import board, cases, dispatch, findings, quality, technician

app_name = "workshop"
urlpatterns = [
    *board.urlpatterns,
    *dispatch.urlpatterns,
    *technician.urlpatterns,
    *findings.urlpatterns,
    *quality.urlpatterns,
    *cases.urlpatterns,
]

# Pages still to come; each goes when its view module defines the name.
_COMING = {
    "board": path(
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
    "my_jobs": path(
        "my-jobs/",
        coming_page(_("My jobs"), _("The jobs dispatched to you today, with the job clock."), Role.TECHNICIAN),
        name="my_jobs",
    ),
}
_defined = {pattern.name for pattern in urlpatterns}
urlpatterns += [pattern for name, pattern in _COMING.items() if name not in _defined]
