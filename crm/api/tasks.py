"""``/api/v1/tasks/`` and ``/api/v1/notes/``: follow-ups (``task_create``,
``task_complete``) and notes on leads (``note_add``), with the pages' rules."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm import access, services
from crm.api.common import WorksWithCrm
from crm.api.fields import IDEMPOTENCY_KEY, MomentFilter, PersonSerializer, VisiblePrimaryKeyField, created_once
from crm.models import Activity, ActivityKind, Client, Lead, Task


class TaskSerializer(serializers.ModelSerializer):
    assignee = PersonSerializer(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = ["id", "title", "description", "due_at", "lead", "client", "assignee", "done_at", "is_overdue",
                  "created_at"]
        read_only_fields = fields


class TaskCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    due_at = serializers.DateTimeField()
    lead = VisiblePrimaryKeyField(queryset=Lead.objects.select_related("client"), required=False, allow_null=True)
    client = VisiblePrimaryKeyField(queryset=Client.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False,
        allow_null=True, help_text="By default the lead's agent, else you; only managers give tasks to others.",
    )

    def validate(self, attrs):
        if not attrs.get("lead") and not attrs.get("client"):
            raise serializers.ValidationError({"lead": [_("Give the lead or the client the task is about.")]})
        return attrs


class TaskFilter(django_filters.FilterSet):
    lead = django_filters.NumberFilter(field_name="lead_id")
    client = django_filters.NumberFilter(field_name="client_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True)
    due_before = MomentFilter(field_name="due_at", lookup_expr="lt")
    due_after = MomentFilter(field_name="due_at", lookup_expr="gte")

    class Meta:
        model = Task
        fields = ["lead", "client", "assignee", "done"]


class TaskViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [WorksWithCrm]
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = ["due_at", "created_at", "done_at", "id"]
    ordering = ["due_at", "id"]

    def get_queryset(self):
        return access.visible_to(self.request.user, Task.objects.select_related("assignee"))

    def _answer(self, task_id: int, *, code=status.HTTP_200_OK) -> Response:
        return Response(TaskSerializer(self.get_queryset().get(pk=task_id)).data, status=code)

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer, 200: TaskSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    def create(self, request, *args, **kwargs):
        """A due-dated follow-up on a lead (and so its client) or on a client alone."""
        data = TaskCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        task_id, created = created_once(
            request, kind="task", create=lambda: services.task_create(user=request.user, **data.validated_data).pk,
        )
        return self._answer(task_id, code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark the task done (its assignee, or a manager); done once."""
        task = services.task_complete(task=self.get_object(), user=request.user)
        return self._answer(task.pk)


class NoteSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Activity
        fields = ["id", "lead", "client", "author", "text", "created_at"]
        read_only_fields = fields


class NoteCreateSerializer(serializers.Serializer):
    lead = VisiblePrimaryKeyField(queryset=Lead.objects.select_related("client"))
    text = serializers.CharField(max_length=5000)


class NoteFilter(django_filters.FilterSet):
    lead = django_filters.NumberFilter(field_name="lead_id")
    client = django_filters.NumberFilter(field_name="client_id")
    author = django_filters.NumberFilter(field_name="author_id")

    class Meta:
        model = Activity
        fields = ["lead", "client", "author"]


class NoteViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Notes on the leads a person may see, newest first."""

    permission_classes = [WorksWithCrm]
    serializer_class = NoteSerializer
    filterset_class = NoteFilter
    search_fields = ["text"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return access.visible_to(self.request.user,
                                 Activity.objects.filter(kind=ActivityKind.NOTE).select_related("author"))

    @extend_schema(request=NoteCreateSerializer, responses={201: NoteSerializer, 200: NoteSerializer},
                   parameters=[IDEMPOTENCY_KEY])
    def create(self, request, *args, **kwargs):
        data = NoteCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        note_id, created = created_once(request, kind="note", create=lambda: services.note_add(
            lead=data.validated_data["lead"], user=request.user, text=data.validated_data["text"]).pk)
        note = self.get_queryset().get(pk=note_id)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
