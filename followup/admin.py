from django.contrib import admin

from dealers.admin import StationScopedAdmin
from dealers.models import Dealer, StaffMember
from followup.models import ContactAttempt, ContactTask


class ContactAttemptInline(admin.TabularInline):
    model = ContactAttempt
    extra = 0
    fields = ["at", "by", "channel", "outcome", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # attempts are recorded from the call list, through the service


@admin.register(ContactTask)
class ContactTaskAdmin(StationScopedAdmin):
    """Contact tasks are made by the sweep's rules; the admin is for looking
    and for reassigning, not for creating them by hand."""

    list_display = ["kind", "customer", "vehicle", "dealer", "due_from", "due_until", "role", "assignee", "status"]
    list_filter = ["dealer", "kind", "status", "role", "channel"]
    search_fields = ["customer__name", "customer__phone", "vehicle__plate", "dedupe_key"]
    date_hierarchy = "due_from"
    list_select_related = ["customer", "vehicle", "dealer", "assignee"]
    readonly_fields = [
        "kind",
        "dealer",
        "customer",
        "vehicle",
        "source_type",
        "source_id",
        "due_from",
        "due_until",
        "outcome",
        "dedupe_key",
        "created_at",
        "closed_at",
    ]
    fields = [*readonly_fields[:8], "role", "assignee", "channel", "status", *readonly_fields[8:]]
    inlines = [ContactAttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee" and not request.user.is_superuser:
            stations = Dealer.objects.for_user(request.user)
            kwargs["queryset"] = StaffMember.objects.filter(dealers__in=stations).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
