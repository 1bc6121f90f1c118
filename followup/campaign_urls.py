"""Pages of the service campaigns (under /followup/campaigns/)."""

from django.urls import path

from followup import campaign_views as views

urlpatterns = [
    path("", views.campaign_list, name="campaigns"),
    path("new/", views.campaign_new, name="campaign_new"),
    path("preview/", views.campaign_preview, name="campaign_preview"),
    path("<int:pk>/", views.campaign_detail, name="campaign"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/<slug:action>/", views.campaign_action, name="campaign_action"),
]
