"""complaints: the stations' deadline settings and the tickets, for the group's administrators."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from complaints.models import ChargeReview, Complaint, ComplaintEvent, ComplaintSettings, Contact, Escalation, PreReport


@admin.register(ComplaintSettings)
class ComplaintSettingsAdmin(admin.ModelAdmin):
    list_display = ("dealer", "answer_hours_1", "callback_days_1", "resolution_days_1", "hotline_answer_hours")
    autocomplete_fields = ()


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "at", "by", "note", "data")

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # events are written by the services only


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("number", "dealer", "subject", "level", "status", "next_due_at", "escalation_stage")
    list_filter = ("dealer", "level", "subject", "status")
    readonly_fields = [f.name for f in Complaint._meta.fields]
    inlines = [EventInline]

    def has_add_permission(self, request) -> bool:
        return False  # intake goes through the call-center page and its rules


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("received_at", "dealer", "contact_type", "caller", "closed_at")
    list_filter = ("dealer", "contact_type")


admin.site.register(PreReport)
admin.site.register(Escalation)


@admin.register(ChargeReview)
class ChargeReviewAdmin(admin.ModelAdmin):
    # The bill is uploaded on the ticket only, where its content is checked and
    # its name made random; here it links to the checked view, not /media/.
    readonly_fields = ("bill_file",)
    exclude = ("bill",)

    @admin.display(description=_("bill"))
    def bill_file(self, review: ChargeReview) -> str:
        if not review.bill:
            return "–"
        url = reverse("complaints:bill_file", args=[review.complaint_id])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("open"))
