import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from tests.crm.factories import LeadFactory
from tours.models import OfferSnapshot


class OfferSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfferSnapshot

    lead = factory.SubFactory(LeadFactory)
    client = factory.LazyAttribute(lambda offer: offer.lead.client)
    offer_key = factory.Sequence(lambda n: f"offer-{n}")
    operator = "Crystal Bay"
    departure_city = "Алматы"
    country = "Вьетнам"
    resort = "Нячанг"
    hotel = "Sunrise Nha Trang Beach Hotel"
    stars = 5
    room = "Deluxe"
    meal = "BB"
    check_in = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=45))
    check_out = factory.LazyAttribute(lambda offer: offer.check_in + dt.timedelta(days=9))
    nights = 9
    adults = 2
    price = Decimal("1240000")
    currency = "KZT"
    price_kzt = Decimal("1240000")
    priced_at = factory.LazyFunction(timezone.now)
