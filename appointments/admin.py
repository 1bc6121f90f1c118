from django.contrib import admin

from appointments.models import LoanerCar
from dealers.admin import StationScopedAdmin


@admin.register(LoanerCar)
class LoanerCarAdmin(StationScopedAdmin):
    """The station's substitute-car fleet (替代车), kept by the service manager."""

    list_display = ["plate", "model", "dealer", "is_active"]
    list_filter = ["dealer", "is_active"]
    search_fields = ["plate", "model"]
