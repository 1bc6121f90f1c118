from django.contrib import admin

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
class DealerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "phone", "time_zone", "currency", "vat_rate", "labour_rate", "is_active"]
    search_fields = ["code", "name"]
    inlines = [OpeningHoursInline, HolidayInline, BayInline]


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
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
class BayAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "dealer", "bay_type", "is_active"]
    list_filter = ["dealer", "bay_type", "is_active"]
    search_fields = ["code", "name"]


@admin.register(RosterEntry)
class RosterEntryAdmin(admin.ModelAdmin):
    list_display = ["date", "technician", "dealer", "starts", "ends", "break_minutes"]
    list_filter = ["dealer", "date"]
    date_hierarchy = "date"
    search_fields = ["technician__display_name"]
    list_select_related = ["technician", "dealer"]
    autocomplete_fields = ["technician"]


@admin.register(LabourOperation)
class LabourOperationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "dealer", "job_type", "flat_rate_hours", "required_skill_grade", "is_active"]
    list_filter = ["dealer", "job_type", "required_skill_grade", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "dealer", "unit", "unit_price", "stock_on_hand", "is_active"]
    list_filter = ["dealer", "is_active"]
    search_fields = ["number", "name"]


class PackagePartInline(admin.TabularInline):
    model = PackagePart
    extra = 0
    autocomplete_fields = ["part"]


@admin.register(ServicePackage)
class ServicePackageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "dealer", "job_type", "is_active"]
    list_filter = ["dealer", "job_type", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["operations"]
    inlines = [PackagePartInline]
