from django.urls import path

from appointments.views import booking

app_name = "appointments"
urlpatterns = [
    path("", booking.day_list, name="list"),
    path("new/", booking.book, name="book"),
    path("proposals/", booking.proposals, name="proposals"),
    path("<int:pk>/", booking.detail, name="detail"),
    path("<int:pk>/reschedule/", booking.reschedule, name="reschedule"),
    path("<int:pk>/<slug:action>/", booking.act, name="act"),
]
