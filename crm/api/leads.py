"""``/api/v1/leads/``, ``/api/v1/pipelines/`` and ``/api/v1/stages/``.

Leads are created, edited, moved and assigned through the same services as the
board and the lead card (``lead_quick_create``, ``lead_update``, ``lead_move``,
``lead_assign``), so the rules hold here too: a won stage needs an order, the
lost stage a reason, an edit made from an older ``version`` is refused (409).
"""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm import access, services
from crm.api.common import WorksWithCrm
from crm.api.fields import (
    IDEMPOTENCY_KEY,
    ClientBriefSerializer,
    MomentFilter,
    PersonSerializer,
    RowSerializer,
    VisiblePrimaryKeyField,
    created_once,
    phone_field,
)
from crm.models import Channel, Client, Lead, Pipeline, Stage, StageKind, Tag
from crm.services.leads import TRAVEL_FIELDS

# --- Pipelines and stages -----------------------------------------------------------


class StageSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Stage
        fields = ["id", "pipeline", "code", "label", "name", "name_en", "position", "kind", "sla_hours", "color"]
        read_only_fields = fields


class PipelineSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    stages = StageSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "slug", "label", "name", "name_en", "is_default", "position", "stages"]
        read_only_fields = fields


class PipelineViewSet(viewsets.ReadOnlyModelViewSet):
    """Pipelines with their stages in board order (everyone who works leads reads them)."""

    permission_classes = [WorksWithCrm]
    serializer_class = PipelineSerializer
    filterset_fields = ["slug", "is_default"]
    search_fields = ["name", "name_en", "slug"]
    ordering_fields = ["position", "id"]
    ordering = ["position", "id"]
    queryset = Pipeline.objects.prefetch_related(Prefetch("stages", queryset=Stage.objects.order_by("position", "id")))


class StageViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [WorksWithCrm]
    serializer_class = StageSerializer
    filterset_fields = ["pipeline", "kind", "code"]
    search_fields = ["name", "name_en", "code"]
    ordering_fields = ["position", "id"]
    ordering = ["pipeline__position", "pipeline_id", "position", "id"]
    queryset = Stage.objects.all()


# --- Leads ---------------------------------------------------------------------------


class StageBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=StageKind.choices, read_only=True)


class LeadSerializer(RowSerializer):
    client = ClientBriefSerializer(read_only=True)
    stage = StageBriefSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id", "client", "pipeline", "stage", "position", "assignee", *TRAVEL_FIELDS, "tags", "sla_due_at",
            "stage_changed_at", "ai_score", "ai_category", "lost_reason", "version", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, lead):
        """The declared fields, written out by hand: the lead list is the API's
        busiest answer, and DRF's walk field by field cost more than its SQL.
        Values are formatted by DRF's own fields; a test compares the two."""
        client, stage, assignee = lead.client, lead.stage, lead.assignee
        row = {name: getattr(lead, name) for name in PLAIN_LEAD_FIELDS}
        row.update({
            "id": lead.pk,
            "pipeline": lead.pipeline_id,
            "client": {"id": client.pk, "full_name": client.full_name,
                       "phone": str(client.phone) if client.phone else None, "email": client.email},
            "stage": {"id": stage.pk, "code": stage.code, "label": stage.label, "kind": stage.kind},
            "assignee": None if assignee is None else {
                "id": assignee.pk, "name": assignee.get_full_name() or assignee.get_username()},
            "tags": [tag.name for tag in lead.tags.all()],
            "budget": None if lead.budget is None else MONEY_FIELD.to_representation(lead.budget),
            **{name: None if (day := getattr(lead, name)) is None else day.isoformat() for name in ("date_from", "date_to")},
            **{name: None if (moment := getattr(lead, name)) is None else MOMENT_FIELD.to_representation(moment)
               for name in ("sla_due_at", "stage_changed_at", "created_at", "updated_at")},
        })
        return {name: row[name] for name in self.Meta.fields}


PLAIN_LEAD_FIELDS = ("position", "source", "departure_city", "destination_country", "destination_resort",
                     "nights_from", "nights_to", "adults", "children", "children_ages", "budget_currency", "hotel_stars",
                     "meal_plan", "notes", "ai_score", "ai_category", "lost_reason", "version")
MONEY_FIELD = serializers.DecimalField(max_digits=14, decimal_places=2)
MOMENT_FIELD = serializers.DateTimeField()


class TravelSerializer(serializers.ModelSerializer):
    """The travel request as the lead card edits it, with the same checks."""

    children_ages = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=17), required=False,
                                          max_length=10)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True)

    class Meta:
        model = Lead
        fields = list(TRAVEL_FIELDS)
        extra_kwargs = {
            "adults": {"min_value": 1, "max_value": 20},
            "children": {"min_value": 0, "max_value": 10},
            "nights_from": {"min_value": 1, "max_value": 60},
            "nights_to": {"min_value": 1, "max_value": 60},
        }

    def validate(self, attrs):
        current = self.instance

        def value(name):
            return attrs[name] if name in attrs else getattr(current, name, None)

        errors = {}
        if value("date_from") and value("date_to") and value("date_to") < value("date_from"):
            errors["date_to"] = [_("The latest departure is before the earliest.")]
        if value("nights_from") and value("nights_to") and value("nights_to") < value("nights_from"):
            errors["nights_to"] = [_("The most nights are fewer than the fewest.")]
        ages, children = value("children_ages") or [], value("children")
        if ages and children is not None and len(ages) != children:
            errors["children_ages"] = [_("Give one age per child (%(count)s).") % {"count": children}]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class LeadUpdateSerializer(TravelSerializer):
    version = serializers.IntegerField(required=False, help_text="The version you read; refused (409) if it changed.")

    class Meta(TravelSerializer.Meta):
        fields = [*TRAVEL_FIELDS, "version"]


class LeadCreateSerializer(TravelSerializer):
    """A lead for ``client`` when given, else for the client with this phone or
    e-mail, else for a new client (``full_name`` and a phone or e-mail)."""

    client = VisiblePrimaryKeyField(queryset=Client.objects.all(), required=False, allow_null=True)
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(), required=False, allow_null=True)

    class Meta(TravelSerializer.Meta):
        fields = ["client", "full_name", "phone", "email", "pipeline", *TRAVEL_FIELDS]

    def validate_phone(self, value):
        return phone_field(value)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs.get("client") and not (attrs.get("phone") or attrs.get("email")):
            raise serializers.ValidationError(
                {"client": [_("Give the client's phone or e-mail, or choose a client found by name.")]}
            )
        return attrs


class MoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    version = serializers.IntegerField(required=False, allow_null=True,
                                       help_text="The version you read; refused (409) if it changed.")
    lost_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    before = serializers.IntegerField(required=False, allow_null=True, help_text="Id of the card just above.")
    after = serializers.IntegerField(required=False, allow_null=True, help_text="Id of the card just below.")
    place = serializers.ChoiceField(choices=[("end", "end"), ("top", "top")], required=False, default="end")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True),
                                                  allow_null=True)


class LeadFilter(django_filters.FilterSet):
    pipeline = django_filters.NumberFilter(field_name="pipeline_id")
    stage = django_filters.NumberFilter(field_name="stage_id")
    stage_kind = django_filters.ChoiceFilter(field_name="stage__kind", choices=StageKind.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    source = django_filters.ChoiceFilter(choices=Channel.choices)
    tag = django_filters.CharFilter(field_name="tags__name", distinct=True)
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")
    sla_overdue_at = MomentFilter(
        field_name="sla_due_at", lookup_expr="lt", label="SLA due before this time (overdue at it)",
    )

    class Meta:
        model = Lead
        fields = ["pipeline", "stage", "stage_kind", "client", "assignee", "unassigned", "source", "tag"]


class LeadViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Agents see and change their own and unassigned leads, managers and admins
    all; accountants read all and change none (``crm.access``)."""

    permission_classes = [WorksWithCrm]
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    search_fields = ["client__full_name", "client__phone", "client__email", "destination_country",
                     "destination_resort", "departure_city", "notes"]
    ordering_fields = ["created_at", "updated_at", "budget", "sla_due_at", "stage_changed_at", "position", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        leads = Lead.objects.select_related("client", "stage", "assignee").prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name"))
        )
        return access.visible_to(self.request.user, leads)

    def _answer(self, lead: Lead, *, code=status.HTTP_200_OK) -> Response:
        return Response(LeadSerializer(self.get_queryset().get(pk=lead.pk)).data, status=code)

    @extend_schema(request=LeadCreateSerializer, responses={201: LeadSerializer, 200: LeadSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    def create(self, request, *args, **kwargs):
        """A new lead in the pipeline's first stage, as the board's quick create
        makes it: an agent who creates it takes it; a manager's goes round-robin
        when that is on."""
        data = LeadCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        client = fields.pop("client", None)
        who = {name: fields.pop(name, "") or "" for name in ("full_name", "phone", "email")}
        pipeline = fields.pop("pipeline", None) or Pipeline.objects.order_by("-is_default", "position", "pk").first()

        def create() -> int:
            return services.lead_quick_create(lead=Lead(pipeline=pipeline, **fields), user=request.user,
                                              client=client, **who).pk

        lead_id, created = created_once(request, kind="lead", create=create)
        return self._answer(Lead(pk=lead_id), code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=LeadUpdateSerializer, responses=LeadSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change the travel request (the fields sent); ``version`` guards against
        overwriting a colleague's change."""
        lead = self.get_object()
        data = LeadUpdateSerializer(lead, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        version = changes.pop("version", None)
        lead = services.lead_update(lead=lead, user=request.user, changes=changes, expected_version=version)
        return self._answer(lead)

    @extend_schema(request=MoveSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the lead to a stage of its pipeline (or within its column)."""
        lead = self.get_object()
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        move = data.validated_data
        lead = services.lead_move(
            lead=lead, stage=move["stage"], user=request.user, lost_reason=move.get("lost_reason", ""),
            expected_version=move.get("version"), before_id=move.get("before"), after_id=move.get("after"),
            place=move["place"],
        )
        return self._answer(lead)

    @extend_schema(request=AssignSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give the lead to an agent (managers), or take an unassigned one (agents, to themselves)."""
        lead = self.get_object()
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_assign(lead=lead, assignee=data.validated_data["assignee"], user=request.user)
        return self._answer(lead)
