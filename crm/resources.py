"""CSV import and export of clients and leads in the admin (django-import-export).

An import is shown first as a dry run — every row marked new, skipped (already
there) or invalid, with the reason — and written only when confirmed. Rows go
through the same services as every other surface:

- a client row is the client with that phone or e-mail when one exists
  (``client_find``, the usual normalisation) and is then skipped; otherwise it is
  created by ``client_get_or_create``, so two rows of one person in a file make
  one client;
- a lead row finds or creates its client the same way, enters its stage through
  ``lead_create`` (the pipeline's first stage when none is named; never a won
  stage without an order) and is assigned through ``lead_assign``; a row whose
  ``id`` is already a lead is skipped.

Only managers and admins import; exports hold only the rows the person sees.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV

from crm import access, services
from crm.models import Channel, Client, Lead, Pipeline, Stage


def _text(row, column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def _phone(row, column: str) -> str:
    try:
        return services.phone_normalize(_text(row, column)) or ""
    except ValidationError as exc:
        raise ValidationError({column: exc.messages}) from None


def _fill_defaults(instance) -> None:
    """A blank cell of a column that has a default (adults, language, dates of
    creation…) takes the default, as a form left blank would."""
    for field in instance._meta.concrete_fields:
        if field.has_default() and not field.null and getattr(instance, field.attname) in (None, ""):
            setattr(instance, field.attname, field.get_default())


class FindFirstResource(resources.ModelResource):
    """A row that ``get_instance`` finds among the existing rows is skipped (shown
    as such in the preview); the others are created by ``save_instance``."""

    def get_or_init_instance(self, instance_loader, row):
        existing = self.get_instance(instance_loader, row)
        return (existing, False) if existing else (self.init_instance(row), True)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return instance.pk is not None


class ClientResource(FindFirstResource):
    phone = fields.Field(attribute="phone", column_name="phone")

    class Meta:
        model = Client
        fields = ("id", "full_name", "phone", "email", "telegram_username", "whatsapp_id", "city", "language",
                  "source", "marketing_consent", "notes", "created_at")
        export_order = fields
        import_id_fields = ()
        skip_unchanged = False
        clean_model_instances = False

    def before_import_row(self, row, **kwargs):
        row["phone"] = _phone(row, "phone")
        row["email"] = _text(row, "email").lower()
        if not row.get("source"):
            row["source"] = Channel.IMPORT

    def get_instance(self, instance_loader, row):
        return services.client_find(phone=row.get("phone"), email=row.get("email"))

    def save_instance(self, instance, is_create, row, **kwargs):
        client, _created = services.client_get_or_create(
            full_name=instance.full_name, phone=instance.phone and str(instance.phone), email=instance.email,
            user=kwargs["user"], source=instance.source,
        )
        details = {name: getattr(instance, name) for name in (
            "telegram_username", "whatsapp_id", "city", "language", "marketing_consent", "notes")}
        for name, value in details.items():
            setattr(client, name, value)
        _fill_defaults(client)
        client.full_clean(exclude=["phone", "email", "owner", "tags"], validate_unique=False,
                          validate_constraints=False)
        client.save()
        instance.pk = client.pk


class LeadResource(FindFirstResource):
    client_name = fields.Field(attribute="client__full_name", column_name="client_name", readonly=True)
    client_phone = fields.Field(attribute="client__phone", column_name="client_phone", readonly=True)
    client_email = fields.Field(attribute="client__email", column_name="client_email", readonly=True)
    pipeline = fields.Field(attribute="pipeline", column_name="pipeline",
                            widget=widgets.ForeignKeyWidget(Pipeline, "slug"))
    stage = fields.Field(attribute="stage__code", column_name="stage", readonly=True)
    assignee = fields.Field(attribute="assignee__username", column_name="assignee", readonly=True)

    class Meta:
        model = Lead
        fields = ("id", "client_name", "client_phone", "client_email", "pipeline", "stage", "assignee", "source",
                  "departure_city", "destination_country", "destination_resort", "date_from", "date_to",
                  "nights_from", "nights_to", "adults", "children", "budget", "budget_currency", "hotel_stars",
                  "meal_plan", "notes", "created_at")
        export_order = fields
        import_id_fields = ()
        skip_unchanged = False
        clean_model_instances = False

    def get_instance(self, instance_loader, row):
        lead_id = _text(row, "id")
        return Lead.objects.filter(pk=int(lead_id)).first() if lead_id.isdecimal() else None

    def before_import_row(self, row, **kwargs):
        row["client_phone"] = _phone(row, "client_phone")
        if not (row["client_phone"] or _text(row, "client_email")):
            raise ValidationError(_("Give the client's phone or e-mail."))
        if not row.get("source"):
            row["source"] = Channel.IMPORT

    def save_instance(self, instance, is_create, row, **kwargs):
        user = kwargs["user"]
        instance.client, _created = services.client_get_or_create(
            full_name=_text(row, "client_name"), phone=row["client_phone"], email=_text(row, "client_email"),
            user=user, source=Channel.IMPORT,
        )
        instance.pk = None  # ids of another system are not ours: a new lead gets its own
        if instance.pipeline_id is None:
            instance.pipeline = Pipeline.objects.order_by("-is_default", "position", "pk").first()
        _fill_defaults(instance)
        instance.full_clean(exclude=["client", "pipeline", "stage", "assignee", "created_by"], validate_unique=False)
        if code := _text(row, "stage"):
            stage = Stage.objects.filter(pipeline=instance.pipeline, code=code).first()
            if stage is None:
                raise ValidationError({"stage": [_("There is no stage “%(code)s” in this pipeline.") % {"code": code}]})
            instance.stage = stage
        lead = services.lead_create(lead=instance, user=user)
        if username := _text(row, "assignee"):
            assignee = get_user_model().objects.filter(username=username).first()
            if assignee is None:
                raise ValidationError({"assignee": [_("There is no user “%(name)s”.") % {"name": username}]})
            services.lead_assign(lead=lead, assignee=assignee, user=user)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("client", "pipeline", "stage", "assignee")


class CrmImportExportMixin(ImportExportMixin):
    """CSV in and out of an admin changelist: managers and admins import (with a
    dry-run preview); whoever may view the list exports what they see."""

    import_formats = [CSV]
    export_formats = [CSV]

    def has_import_permission(self, request):
        return access.is_supervisor(request.user) and self.has_add_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)
