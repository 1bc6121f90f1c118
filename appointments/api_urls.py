from django.urls import path

from appointments import api

app_name = "api"
urlpatterns = [
    path("stations/<slug:code>/services/", api.ServicesView.as_view(), name="services"),
    path("stations/<slug:code>/slots/", api.SlotsView.as_view(), name="slots"),
    path("stations/<slug:code>/bookings/", api.BookingsView.as_view(), name="bookings"),
    path("bookings/<str:token>/", api.BookingView.as_view(), name="booking"),
    path("bookings/<str:token>/cancel/", api.BookingCancelView.as_view(), name="booking_cancel"),
    path("bookings/<str:token>/move/", api.BookingMoveView.as_view(), name="booking_move"),
]
