import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import Activity, ActivityKind, Channel, Client, Lead, Order, OrderStatus, Pipeline, Stage, Task

PASSWORD = "Test-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="ru_RU")
    last_name = factory.Faker("last_name", locale="ru_RU")
    email = factory.LazyAttribute(lambda u: f"{u.username}@crystalbay.test")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            user.groups.add(Group.objects.get(name=extracted))
        if create:
            user.save()


def default_stage(code: str = "new") -> Stage:
    return Stage.objects.get(pipeline__slug="default", code=code)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    full_name = factory.Faker("name", locale="ru_RU")
    phone = factory.Sequence(lambda n: f"+7701{n:07d}")
    email = factory.Sequence(lambda n: f"client{n}@example.kz")
    city = "Алматы"
    source = Channel.TELEGRAM


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    client = factory.SubFactory(ClientFactory)
    pipeline = factory.LazyFunction(lambda: Pipeline.objects.get(slug="default"))
    stage = factory.LazyAttribute(lambda lead: default_stage("new"))
    position = factory.Sequence(lambda n: float(n * 1024))
    source = Channel.TELEGRAM
    departure_city = "Алматы"
    destination_country = "Вьетнам"
    destination_resort = "Нячанг"
    date_from = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=60))
    date_to = factory.LazyAttribute(lambda lead: lead.date_from + dt.timedelta(days=10))
    nights_from = 10
    nights_to = 12
    adults = 2
    budget = Decimal("1500000")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = "Перезвонить клиенту"
    lead = factory.SubFactory(LeadFactory)
    client = factory.LazyAttribute(lambda task: task.lead.client)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    lead = factory.SubFactory(LeadFactory)
    client = factory.LazyAttribute(lambda activity: activity.lead.client)
    kind = ActivityKind.NOTE
    text = "Клиент просит отель у моря"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    lead = factory.SubFactory(LeadFactory)
    client = factory.LazyAttribute(lambda order: order.lead.client)
    assignee = factory.LazyAttribute(lambda order: order.lead.assignee)
    status = OrderStatus.NEW
    operator = "ANEX Tour"
    departure_city = "Алматы"
    destination_country = "Вьетнам"
    destination_resort = "Нячанг"
    hotel = "Vinpearl Resort Nha Trang"
    hotel_stars = 5
    room = "Deluxe Ocean View"
    meal_plan = "AI"
    date_from = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=60))
    date_to = factory.LazyAttribute(lambda order: order.date_from + dt.timedelta(days=10))
    nights = 10
    price = Decimal("1850000")
    currency = "KZT"
    price_kzt = Decimal("1850000")
    cost_kzt = Decimal("1650000")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Tag"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"тег-{n}")


class LeadStageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.LeadStageChange"

    lead = factory.SubFactory(LeadFactory)
    to_stage = factory.LazyAttribute(lambda change: change.lead.stage)


class OrderLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.OrderLog"

    order = factory.SubFactory(OrderFactory)
    from_status = ""
    to_status = OrderStatus.NEW


class SlaBreachFactory(factory.django.DjangoModelFactory):
    """A lead left two hours past a two-hour SLA, as the periodic check records it."""

    class Meta:
        model = "crm.SlaBreach"

    lead = factory.SubFactory(LeadFactory)
    stage = factory.LazyAttribute(lambda breach: breach.lead.stage)
    assignee = factory.LazyAttribute(lambda breach: breach.lead.assignee)
    stage_entered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=4))
    due_at = factory.LazyAttribute(lambda breach: breach.stage_entered_at + dt.timedelta(hours=2))


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Notification"

    user = factory.SubFactory(UserFactory)
    kind = "task_reminder"
    text = "Задача к сроку: перезвонить клиенту"
