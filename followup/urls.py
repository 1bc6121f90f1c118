from django.urls import include, path

from followup import views

app_name = "followup"
urlpatterns = [
    path("calls/", views.calls, name="calls"),
    path("calls/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("calls/<int:pk>/file/", views.customer_file, name="file"),
    path("calls/<int:pk>/survey/", views.survey, name="survey"),
    path("campaigns/", include("followup.campaign_urls")),
    path("letters/", include("followup.letter_urls")),
]
