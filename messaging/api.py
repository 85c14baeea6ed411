"""``/api/v1/conversations/<id>/messages``: read a thread (GET) and reply (POST
``{"text": …}``) through the same service as the inbox. An ``Idempotency-Key``
header (a UUID) becomes the reply's id: the same key twice sends once; the key
again on another conversation, by another person or with another text is a 409.
``/api/v1/conversations/``: the conversations a person may see (the inbox's list)."""

import uuid

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import access
from crm.api.common import WorksWithCrm, service_error
from crm.api.fields import ClientBriefSerializer, PersonSerializer
from messaging import selectors
from messaging.models import Conversation, Message, Platform
from messaging.services.outbound import KEY_REUSED, MAX_LENGTH, reply_create


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "crm_id", "direction", "platform", "sender_name", "text", "status", "error", "created_at",
                  "sent_at"]


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_LENGTH)


class ConversationMessagesAPIView(APIView):
    def _conversation(self, request, pk):
        if not (access.is_agent(request.user) or access.can_read_all(request.user)):
            raise PermissionDenied
        return selectors.conversation_for_user(user=request.user, pk=pk)

    @extend_schema(responses=MessageSerializer(many=True))
    def get(self, request, pk: int):
        conversation = self._conversation(request, pk)
        return Response(MessageSerializer(selectors.thread_messages(conversation=conversation), many=True).data)

    @extend_schema(request=ReplySerializer, responses={201: MessageSerializer, 200: MessageSerializer},
                   parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.UUID, OpenApiParameter.HEADER)])
    def post(self, request, pk: int):
        conversation = self._conversation(request, pk)
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "")
        try:
            crm_id = uuid.UUID(key) if key else None
        except ValueError:
            return Response({"errors": {"Idempotency-Key": ["Must be a UUID."]}}, status=status.HTTP_400_BAD_REQUEST)
        try:
            message, created = reply_create(conversation=conversation, user=request.user,
                                            text=serializer.validated_data["text"], crm_id=crm_id)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            if getattr(exc, "code", None) == KEY_REUSED:
                raise service_error(exc) from exc
            return Response({"errors": {"text": exc.messages}}, status=status.HTTP_400_BAD_REQUEST)
        return Response(MessageSerializer(message).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ConversationSerializer(serializers.ModelSerializer):
    client = ClientBriefSerializer(read_only=True, allow_null=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Conversation
        fields = ["id", "platform", "chat_id", "title", "client", "lead", "assignee", "status", "unread_count",
                  "last_message_at", "preview", "created_at"]
        read_only_fields = fields


class ConversationFilter(django_filters.FilterSet):
    platform = django_filters.ChoiceFilter(choices=Platform.choices)
    status = django_filters.ChoiceFilter(choices=Conversation.Status.choices)
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    client = django_filters.NumberFilter(field_name="client_id")
    lead = django_filters.NumberFilter(field_name="lead_id")
    unread = django_filters.BooleanFilter(method="filter_unread")

    class Meta:
        model = Conversation
        fields = ["platform", "status", "assignee", "unassigned", "client", "lead", "unread"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(unread_count__gt=0) if value else queryset.filter(unread_count=0)


class ConversationViewSet(viewsets.ReadOnlyModelViewSet):
    """The inbox's conversations a person may see (``selectors.conversations_visible``);
    a thread's messages are at ``/api/v1/conversations/<id>/messages``."""

    permission_classes = [WorksWithCrm]
    serializer_class = ConversationSerializer
    filterset_class = ConversationFilter
    search_fields = ["title", "chat_id", "preview", "client__full_name", "client__phone", "client__email"]
    ordering_fields = ["last_message_at", "created_at", "unread_count", "id"]
    ordering = ["-last_message_at", "-id"]

    def get_queryset(self):
        return selectors.conversations_visible(self.request.user).select_related("client", "assignee")
