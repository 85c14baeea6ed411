import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from analytics.models import MarketingSpend, SurveyResponse
from crm.models import Channel
from tests.crm.factories import OrderFactory

ALMATY = ZoneInfo("Asia/Almaty")


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment of an Almaty day."""
    return dt.datetime.combine(day, dt.time(hour, minute), ALMATY)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    order = factory.SubFactory(OrderFactory)
    score = 10


class MarketingSpendFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketingSpend

    month = dt.date(2026, 3, 1)
    channel = Channel.TELEGRAM
    amount_kzt = Decimal("1000000")
