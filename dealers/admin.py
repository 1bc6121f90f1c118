from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from dealers.models import (
    Bay,
    Dealer,
    Holiday,
    LabourOperation,
    OpeningHours,
    PackagePart,
    Part,
    RosterEntry,
    ServicePackage,
    StaffMember,
    StaffRole,
)


class StationScopedAdmin(admin.ModelAdmin):
    """Admin pages for rows that carry a dealer: a service manager edits only
    their own stations' master data; superusers see every station."""

    station_field = "dealer"

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.station_field}__in": Dealer.objects.for_user(request.user)}).distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "dealer" and not request.user.is_superuser:
            kwargs["queryset"] = Dealer.objects.for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            stations = Dealer.objects.for_user(request.user)
            if db_field.name == "dealers":
                kwargs["queryset"] = stations
            elif db_field.name == "operations":
                kwargs["queryset"] = LabourOperation.objects.filter(dealer__in=stations)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


class BayInline(admin.TabularInline):
    model = Bay
    extra = 0


@admin.register(Dealer)
class DealerAdmin(StationScopedAdmin):
    station_field = "pk"

    list_display = ["code", "name", "phone", "time_zone", "currency", "vat_rate", "labour_rate", "is_active"]
    search_fields = ["code", "name"]
    inlines = [OpeningHoursInline, HolidayInline, BayInline]


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1


@admin.register(StaffMember)
class StaffMemberAdmin(StationScopedAdmin):
    station_field = "dealers"

    list_display = ["display_name", "user", "skill_grade", "roles_label"]
    list_filter = ["dealers", "roles__role", "skill_grade"]
    search_fields = ["display_name", "user__username", "phone"]
    filter_horizontal = ["dealers"]
    inlines = [StaffRoleInline]
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description="roles")
    def roles_label(self, obj: StaffMember) -> str:
        return ", ".join(r.get_role_display() for r in obj.roles.all())


@admin.register(Bay)
class BayAdmin(StationScopedAdmin):
    list_display = ["code", "name", "dealer", "bay_type", "is_active"]
    list_filter = ["dealer", "bay_type", "is_active"]
    search_fields = ["code", "name"]


@admin.register(RosterEntry)
class RosterEntryAdmin(StationScopedAdmin):
    list_display = ["date", "technician", "dealer", "starts", "ends", "break_minutes"]
    list_filter = ["dealer", "date"]
    date_hierarchy = "date"
    search_fields = ["technician__display_name"]
    list_select_related = ["technician", "dealer"]
    autocomplete_fields = ["technician"]


@admin.register(LabourOperation)
class LabourOperationAdmin(StationScopedAdmin):
    list_display = ["code", "name", "dealer", "job_type", "flat_rate_hours", "required_skill_grade", "is_active"]
    list_filter = ["dealer", "job_type", "required_skill_grade", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Part)
class PartAdmin(StationScopedAdmin):
    list_display = ["number", "name", "dealer", "unit", "unit_price", "stock_on_hand", "is_active"]
    list_filter = ["dealer", "is_active"]
    search_fields = ["number", "name"]


class PackagePartInline(admin.TabularInline):
    model = PackagePart
    extra = 0
    autocomplete_fields = ["part"]


class ServicePackageForm(forms.ModelForm):
    class Meta:
        model = ServicePackage
        fields = ["dealer", "code", "name", "description", "job_type", "operations", "is_active"]

    def clean(self):
        cleaned = super().clean()
        dealer, operations = cleaned.get("dealer"), cleaned.get("operations")
        if dealer and operations and any(op.dealer_id != dealer.pk for op in operations):
            raise forms.ValidationError(_("A package can only contain labour operations of its own station."))
        return cleaned


@admin.register(ServicePackage)
class ServicePackageAdmin(StationScopedAdmin):
    form = ServicePackageForm
    list_display = ["code", "name", "dealer", "job_type", "is_active"]
    list_filter = ["dealer", "job_type", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["operations"]
    inlines = [PackagePartInline]
