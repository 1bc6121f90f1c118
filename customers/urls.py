from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_pk>/vehicles/new/", views.vehicle_create, name="vehicle_create"),
    path("vehicles/<int:pk>/", views.vehicle_detail, name="vehicle"),
    path("vehicles/<int:pk>/edit/", views.vehicle_edit, name="vehicle_edit"),
    path("vehicles/<int:pk>/odometer/", views.odometer_add, name="odometer_add"),
    path("vehicles/<int:pk>/transfer/", views.vehicle_transfer, name="vehicle_transfer"),
]
