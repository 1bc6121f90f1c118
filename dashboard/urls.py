"""The service manager's dashboard: figures, drill-down, exports, the monthly review."""

from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("rows/<slug:key>/", views.rows, name="rows"),
    path("export/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("review.pdf", views.monthly_review, name="review"),
    path("audit/", views.audit_history, name="audit"),
]
