from django.urls import path

from appointments.views import booking, documents, preparation, worklists

app_name = "appointments"
urlpatterns = [
    path("", booking.day_list, name="list"),
    path("new/", booking.book, name="book"),
    path("proposals/", booking.proposals, name="proposals"),
    path("<int:pk>/", booking.detail, name="detail"),
    path("<int:pk>/reschedule/", booking.reschedule, name="reschedule"),
    path("readiness/", preparation.readiness, name="readiness"),
    path("work/<slug:kind>/", worklists.work_list, name="work_list"),
    path("welcome/", worklists.welcome_board, name="welcome_board"),
    path("<int:pk>/registration.pdf", documents.registration_form, name="registration_form"),
    path("<int:pk>/preparation/", preparation.preparation, name="preparation"),
    path("<int:pk>/preparation/<slug:action>/", preparation.preparation_act, name="preparation_act"),
    path("<int:pk>/<slug:action>/", booking.act, name="act"),
]
