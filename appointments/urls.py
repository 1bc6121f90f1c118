from django.urls import path

from appointments import views

app_name = "appointments"
urlpatterns = [
    path("", views.day_list, name="list"),
    path("new/", views.book, name="book"),
    path("proposals/", views.proposals, name="proposals"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
