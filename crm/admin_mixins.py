"""What every CRM admin page shares: rows narrowed by role, choices narrowed the
same way, service errors reported per row, and one CSV export.

Other apps' admins (messaging, tours) import these, so a rule is enforced once.
"""

import csv
import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ForeignKey, ManyToManyField, OneToOneField, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import access
from crm.roles import Role

# The roles that work leads, orders and chats; an accountant is never given one.
WORKING_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)


def staff_users():
    """The people work can be given to: active staff in one of the working roles."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name__in=WORKING_ROLES)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "—"


def person_column(field: str, description):
    """A changelist column showing a user by name (the row's query must join ``field``)."""

    @admin.display(description=description, ordering=f"{field}__first_name")
    def column(obj):
        return person_name(getattr(obj, field))

    column.__name__ = field
    return column


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_name(obj)


class KeepCurrentChoicesForm(forms.ModelForm):
    """Narrowed choices still hold the value a row already has (an agent who has
    left, a client the editor cannot see), so saving the form never clears it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            current = self.initial.get(name)
            single = isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField)
            if single and current not in (None, ""):
                narrowed = field.queryset
                field.queryset = narrowed.model._default_manager.filter(
                    Q(pk__in=narrowed.values("pk")) | Q(pk=current)
                ).order_by(*narrowed.query.order_by)


class VisibleChoicesMixin:
    """Foreign-key choices narrowed to what the user may see (ModelAdmins and inlines)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if related is get_user_model():
            kwargs.setdefault("queryset", staff_users())
            kwargs.setdefault("form_class", StaffChoiceField)
        elif hasattr(related, "access_owner_field"):
            kwargs.setdefault("queryset", access.visible_to(request.user, related._default_manager.all()))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RowAccessAdminMixin(VisibleChoicesMixin):
    """For models whose rows belong to someone (``access_owner_field``): the
    changelist, the object pages and the choices follow ``crm.access``."""

    form = KeepCurrentChoicesForm

    def get_queryset(self, request):
        return access.visible_to(request.user, super().get_queryset(request))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or access.can_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or self.row_change_allowed(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and access.is_supervisor(request.user)

    def row_change_allowed(self, user, obj) -> bool:
        return access.can_change(user, obj)


class ReadOnlyAdminMixin:
    """Logs and records written by the system: viewed, never added or edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class InlineAccessMixin(VisibleChoicesMixin):
    """Inline rows narrowed like the changelists (a colleague's task on my lead stays hidden)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset.model, "access_owner_field"):
            return access.visible_to(request.user, queryset)
        return queryset


class ReadOnlyInline(ReadOnlyAdminMixin, InlineAccessMixin):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


def pretty_json(value, *, limit: int = 20_000):
    """A JSON field as readable, escaped text for a read-only admin field."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    if len(text) > limit:
        text = text[:limit] + "\n…"
    return format_html('<pre style="white-space:pre-wrap;max-width:60rem">{}</pre>', text)


def report_service_call(modeladmin, request, obj, service: Callable, **kwargs) -> bool:
    """Call one service for one row; a refusal becomes an error message naming the
    row, so the other rows of a bulk action still go through."""
    try:
        service(**kwargs)
    except (ValidationError, PermissionDenied) as exc:
        request.service_refused = True
        reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        modeladmin.message_user(
            request, _("%(object)s: %(reason)s") % {"object": obj, "reason": reason or _("not allowed")},
            messages.ERROR,
        )
        return False
    return True


class ServiceFormMixin:
    """For change forms whose save calls services: when a service refuses, the
    person stays on the form with the reason instead of reading "changed successfully"."""

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "service_refused", False):
            self.message_user(request, _("The other changes were saved."), messages.WARNING)
            return HttpResponseRedirect(self._change_url(obj))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "service_refused", False):
            self.message_user(request, _("The other changes were saved."), messages.WARNING)
            return HttpResponseRedirect(self._change_url(obj))
        return super().response_change(request, obj)

    def _change_url(self, obj):
        opts = obj._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk], current_app=self.admin_site.name)


def action_input(modeladmin, request) -> dict:
    """The extra fields of the changelist's action form, as the admin validated them."""
    form = modeladmin.action_form(request.POST, auto_id=None)
    form.fields["action"].choices = modeladmin.get_action_choices(request)
    form.is_valid()
    return form.cleaned_data


# --- CSV export ------------------------------------------------------------------

# A cell Excel would run as a formula; a phone number or a signed number is left alone.
_FORMULA_START = re.compile(r"^(?:[=@\t\r]|[+-](?![\d\s().-]*$))")


def _field_path(model, path: str):
    """The fields along ``client__phone``: relations first, the column's field last."""
    fields = []
    for name in path.split("__"):
        field = model._meta.get_field(name)
        fields.append(field)
        model = field.related_model
    return fields


def _cell(obj, fields) -> str:
    *relations, field = fields
    for relation in relations:
        obj = getattr(obj, relation.name)
        if obj is None:
            return ""
    if isinstance(field, ManyToManyField):
        return ", ".join(str(item) for item in getattr(obj, field.name).all())
    value = getattr(obj, field.name)
    if value is None:
        return ""
    if field.choices:
        value = getattr(obj, f"get_{field.name}_display")()
    elif isinstance(value, dt.datetime):
        value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, dt.date | Decimal):
        value = str(value)
    elif isinstance(value, bool):
        value = _("yes") if value else _("no")
    elif isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return "'" + text if _FORMULA_START.match(text) else text


@admin.action(description=gettext_lazy("Export selected to CSV"))
def export_as_csv(modeladmin, request, queryset):
    """The selected rows (only ever the ones the user sees) as a CSV file Excel
    opens with Cyrillic intact: UTF-8 with a BOM, headers = the columns' names."""
    model = queryset.model
    paths = modeladmin.csv_fields
    columns = [_field_path(model, path) for path in paths]
    joins = {
        "__".join(f.name for f in fields[: i + 1])
        for fields in columns
        for i, f in enumerate(fields)
        if isinstance(f, ForeignKey | OneToOneField)
    }
    m2m = {path for path, fields in zip(paths, columns, strict=True) if isinstance(fields[-1], ManyToManyField)}
    rows = queryset.select_related(*joins).prefetch_related(*m2m)

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{model._meta.model_name}s-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([capfirst(str(fields[-1].verbose_name)) for fields in columns])
    for obj in rows.iterator(chunk_size=2000):
        writer.writerow([_cell(obj, fields) for fields in columns])
    return response
