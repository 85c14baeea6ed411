import factory

from messaging.models import Conversation, Message, Platform
from tests.crm.factories import ClientFactory


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    platform = Platform.TELEGRAM
    chat_id = factory.Sequence(lambda n: str(500000000 + n))
    client = factory.SubFactory(ClientFactory)
    title = factory.LazyAttribute(lambda c: c.client.full_name)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    platform = factory.LazyAttribute(lambda m: m.conversation.platform)
    chat_id = factory.LazyAttribute(lambda m: m.conversation.chat_id)
    message_id = factory.Sequence(lambda n: str(1000 + n))
    direction = Message.Direction.IN
    status = Message.Status.RECEIVED
    text = "Здравствуйте! Хотим в Нячанг в марте"
