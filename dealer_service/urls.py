from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dealer_service import views
from dealers.views import station_switch

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
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
    path("admin/", admin.site.urls),
]
