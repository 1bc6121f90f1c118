from django.urls import include, path

from followup import views

app_name = "followup"
urlpatterns = [
    path("calls/", views.calls, name="calls"),
    path("calls/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("campaigns/", include("followup.campaign_urls")),
    path("letters/", include("followup.letter_urls")),
]
