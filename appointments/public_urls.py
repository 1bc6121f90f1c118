from django.urls import path

from appointments.views import public

app_name = "public_booking"
urlpatterns = [
    # The link first: a station code never reaches this two-part path.
    path("link/<str:token>/", public.manage, name="manage"),
    path("<slug:code>/", public.start, name="start"),
    path("<slug:code>/register/", public.register, name="register"),
    path("<slug:code>/services/", public.choose, name="choose"),
]
