"""``/api/v1/conversations/<id>/messages``: read a thread (GET) and reply (POST
``{"text": …}``) through the same service as the inbox. An ``Idempotency-Key``
header (a UUID) becomes the reply's id: the same key twice sends once."""

import uuid

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import access
from messaging import selectors
from messaging.models import Message
from messaging.services.outbound import MAX_LENGTH, reply_create


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

    def get(self, request, pk: int):
        conversation = self._conversation(request, pk)
        return Response(MessageSerializer(selectors.thread_messages(conversation=conversation), many=True).data)

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
            return Response({"errors": {"text": exc.messages}}, status=status.HTTP_400_BAD_REQUEST)
        return Response(MessageSerializer(message).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
