from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from dealer_service import views
from dealers.views import station_switch

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("favicon.ico", views.favicon),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("station/", station_switch, name="station_switch"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("customers.urls")),
    path("appointments/", include("appointments.urls")),
    path("reception/", include("reception.urls")),
    path("workshop/", include("workshop.urls")),
    path("followup/", include("followup.urls")),
    path("complaints/", include("complaints.urls")),
    path("dashboard/", include("dashboard.urls")),
    # Public, no sign-in: online self-booking and its JSON API. No API docs
    # UI: its scripts would load from a CDN, and the shop may be offline.
    path("book/", include("appointments.public_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/", include("appointments.api_urls")),
    path("admin/", admin.site.urls),
]
