from django.urls import path

from complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("intake/", views.intake_page, name="intake"),
    path("coordination/<int:pk>/close/", views.coordination_close, name="coordination_close"),
    path("pre-report/", views.pre_report, name="pre_report"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/step/", views.ticket_step, name="step"),
    path("<int:pk>/take/", views.ticket_take, name="take"),
    path("<int:pk>/close/", views.ticket_close, name="close"),
    path("<int:pk>/level/", views.ticket_level, name="level"),
    path("<int:pk>/extend/", views.ticket_extend, name="extend"),
    path("<int:pk>/dispatch/", views.ticket_dispatch, name="dispatch"),
    path("<int:pk>/bill/", views.ticket_bill, name="bill"),
    path("<int:pk>/bill/file/", views.ticket_bill_file, name="bill_file"),
    path("<int:pk>/review/", views.ticket_review, name="review"),
]
