from django.contrib import admin

from customers.models import Customer, OdometerReading, Ownership, Vehicle
from dealers.admin import StationScopedAdmin


class VehicleInline(admin.TabularInline):
    model = Vehicle
    extra = 0
    fields = ["plate", "vin", "make", "model", "model_year"]
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(StationScopedAdmin):
    list_display = ["name", "phone", "dealer", "lifecycle", "preferred_channel", "marketing_consent", "updated_at"]
    list_filter = ["dealer", "lifecycle", "preferred_channel", "marketing_consent"]
    search_fields = ["name", "phone", "phone2", "vehicles__plate", "vehicles__vin"]
    inlines = [VehicleInline]


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ["customer"]
    readonly_fields = ["recorded_by", "created_at"]


class OdometerReadingInline(admin.TabularInline):
    model = OdometerReading
    extra = 0
    readonly_fields = ["recorded_by", "created_at"]


@admin.register(Vehicle)
class VehicleAdmin(StationScopedAdmin):
    list_display = ["plate", "vin", "make", "model", "model_year", "owner", "dealer", "warranty_end"]
    list_filter = ["dealer", "make"]
    search_fields = ["plate", "vin", "engine_number", "owner__name", "owner__phone"]
    list_select_related = ["owner", "dealer"]
    autocomplete_fields = ["owner"]
    inlines = [OwnershipInline, OdometerReadingInline]
