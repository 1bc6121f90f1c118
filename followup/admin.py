from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.template import Template, TemplateSyntaxError
from django.utils.translation import gettext as _

from dealers.admin import StationScopedAdmin
from dealers.models import Dealer, StaffMember
from followup.models import ContactAttempt, ContactTask, Message, MessageTemplate


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


class MessageTemplateForm(forms.ModelForm):
    """Refuses a subject or text that the template engine cannot compile, so
    a typo never reaches the sweep."""

    class Meta:
        model = MessageTemplate
        fields = ["dealer", "kind", "channel", "language", "subject", "body"]

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "body"):
            try:
                Template(cleaned.get(name) or "")
            except TemplateSyntaxError as error:
                self.add_error(name, _("This is not a valid template: %(error)s") % {"error": error})
        return cleaned


@admin.register(MessageTemplate)
class MessageTemplateAdmin(StationScopedAdmin):
    """Wording of the automated messages. A row without a station is the
    group's default (superusers only); a station's own row wins over it; with
    neither, the text in followup/messaging/texts.py applies. Variables:
    customer, vehicle, dealer, task, due_date, appointment, sign."""

    form = MessageTemplateForm
    list_display = ["kind", "channel", "language", "dealer", "subject"]
    list_filter = ["dealer", "kind", "channel", "language"]
    search_fields = ["subject", "body"]
    list_select_related = ["dealer"]

    def get_queryset(self, request) -> QuerySet:
        if request.user.is_superuser:
            return super().get_queryset(request)
        # A manager sees the group's defaults (to copy from) and their stations' rows.
        stations = Dealer.objects.for_user(request.user)
        return MessageTemplate.objects.filter(Q(dealer__in=stations) | Q(dealer__isnull=True)).select_related("dealer")

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.dealer_id is None and not request.user.is_superuser:
            return False  # the group's default is the group's to change
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.dealer_id is None and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "dealer" in form.base_fields:
            form.base_fields["dealer"].required = True
        return form


@admin.register(Message)
class MessageAdmin(StationScopedAdmin):
    """What went out to customers. Read-only: messages are made by the sweep
    and letters marked sent by printing them."""

    list_display = ["created_at", "channel", "to", "customer", "dealer", "status", "tries", "sent_at"]
    list_filter = ["dealer", "channel", "status"]
    search_fields = ["to", "customer__name", "customer__phone", "occurrence_key", "provider_id"]
    date_hierarchy = "created_at"
    list_select_related = ["customer", "dealer"]
    readonly_fields = [
        "dealer",
        "customer",
        "task",
        "channel",
        "to",
        "subject",
        "body",
        "occurrence_key",
        "status",
        "tries",
        "error",
        "provider_id",
        "created_at",
        "sent_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
