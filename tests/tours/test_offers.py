"""Attaching an offer to a lead and booking it, through the pages."""

import re
import uuid
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.http import urlencode

from crm.models import Activity, ActivityKind, Lead, Order, OrderStatus
from tests.crm.factories import ClientFactory, LeadFactory
from tests.tours.conftest import search_params
from tours.models import KztRate, OfferSnapshot, RateSource

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def first_offer_url(client) -> str:
    html = client.get("/tours/search/", search_params(), **EN).content.decode()
    return re.search(r'<a class="btn btn-sm btn-primary attach-link" href="([^"]+)"', html).group(1).replace("&amp;", "&")


def attach(client, url, **data):
    return client.post(url, {"token": str(uuid.uuid4()), "then": "attach", **data}, **EN)


@pytest.fixture
def my_lead(agent):
    return LeadFactory(assignee=agent)


def test_an_agent_attaches_an_offer_to_their_lead_and_sees_it_on_the_timeline(client, fake_samo, agent, my_lead):
    client.force_login(agent)
    url = first_offer_url(client)

    form = client.get(url, **EN).content.decode()
    assert f'<option value="{my_lead.pk}">#{my_lead.pk} ' in form
    response = attach(client, url, lead=my_lead.pk)

    snapshot = OfferSnapshot.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tours/offers/{snapshot.pk}/"
    assert snapshot.lead == my_lead and snapshot.client == my_lead.client and snapshot.created_by == agent
    assert snapshot.currency == "USD" and snapshot.price > 0
    assert snapshot.rate_kzt == Decimal("512.35") and snapshot.rate_source == RateSource.SAMO
    assert snapshot.price_kzt == (snapshot.price * snapshot.rate_kzt).quantize(Decimal("1"))
    assert snapshot.demo is True
    assert snapshot.priced_at is not None and snapshot.raw["id"] == snapshot.offer_key
    assert snapshot.check_out > snapshot.check_in and snapshot.nights >= 7 and snapshot.room and snapshot.meal
    entry = Activity.objects.get(kind=ActivityKind.OFFER)
    assert entry.lead == my_lead and entry.author == agent
    assert entry.data["offer_snapshot"] == snapshot.pk and entry.data["url"] == f"/tours/offers/{snapshot.pk}/"
    assert entry.data["hotel"] == snapshot.hotel and entry.data["price"] == str(snapshot.price)
    assert snapshot.hotel in entry.text and "USD" in entry.text

    page = client.get(f"/tours/offers/{snapshot.pk}/", **EN).content.decode()
    assert snapshot.hotel.replace("&", "&amp;") in page and "Book into an order" in page and "Demo data" in page


def test_the_same_form_submitted_twice_attaches_once(client, fake_samo, agent, my_lead):
    client.force_login(agent)
    url = first_offer_url(client)
    token = str(uuid.uuid4())

    first = client.post(url, {"token": token, "lead": my_lead.pk}, **EN)
    second = client.post(url, {"token": token, "lead": my_lead.pk}, **EN)

    assert first["Location"] == second["Location"]
    assert OfferSnapshot.objects.count() == 1
    assert Activity.objects.filter(kind=ActivityKind.OFFER).count() == 1


def test_a_new_lead_is_opened_for_a_client_and_given_to_the_agent_once(client, fake_samo, agent):
    customer = ClientFactory(full_name="Айдана Бекова")
    LeadFactory(client=customer, assignee=agent)  # makes the client the agent's
    client.force_login(agent)
    url = first_offer_url(client)
    token = str(uuid.uuid4())

    client.post(url, {"token": token, "lead": "", "client": customer.pk}, **EN)
    client.post(url, {"token": token, "lead": "", "client": customer.pk}, **EN)

    snapshot = OfferSnapshot.objects.get()
    lead = snapshot.lead
    assert Lead.objects.filter(client=customer).count() == 2
    assert lead.assignee == agent and lead.client == customer
    assert (lead.departure_city, lead.destination_country) == ("Алматы", "Вьетнам")
    assert lead.destination_resort == snapshot.resort and lead.adults == 2 and lead.nights_from == 7


@pytest.mark.parametrize(("person", "opens"), [("agent", True), ("colleague", False), ("manager", True)])
def test_a_new_lead_for_a_client_only_of_someone_who_may_see_it(client, fake_samo, agent, request, person, opens):
    customer = ClientFactory(full_name="Айдана Бекова", owner=agent)
    LeadFactory(client=customer, assignee=agent)
    client.force_login(request.getfixturevalue(person))
    url = first_offer_url(client)
    assert ("Айдана Бекова" in client.get(url, **EN).content.decode()) is opens

    response = client.post(url, {"token": str(uuid.uuid4()), "lead": "", "client": customer.pk}, **EN)

    assert OfferSnapshot.objects.exists() is opens
    assert Lead.objects.filter(client=customer).count() == (2 if opens else 1)
    if not opens:
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        assert client.get(f"/api/v1/clients/{customer.pk}/").status_code == 404


def test_an_agent_cannot_attach_to_a_colleagues_lead(client, fake_samo, agent, colleague):
    theirs = LeadFactory(assignee=colleague)
    client.force_login(agent)
    url = first_offer_url(client)

    response = attach(client, url, lead=theirs.pk)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not OfferSnapshot.objects.exists()


def test_outsiders_and_accountants_cannot_attach(client, fake_samo, outsider, accountant, my_lead):
    for person in (outsider, accountant):
        client.force_login(person)
        query = urlencode({**search_params(), "offer": "x"})
        assert client.get(f"/tours/offers/attach/?{query}").status_code == 403
        assert attach(client, f"/tours/offers/attach/?{query}", lead=my_lead.pk).status_code == 403
    assert not OfferSnapshot.objects.exists()


def test_an_offer_no_longer_in_samo_is_not_attached(client, fake_samo, agent, my_lead):
    client.force_login(agent)
    query = urlencode({**search_params(), "offer": "1344301601111:7:20200101"})

    response = attach(client, f"/tours/offers/attach/?{query}", lead=my_lead.pk)

    assert "SAMO no longer offers this at this price" in response.content.decode()
    assert not OfferSnapshot.objects.exists()


def test_booking_a_snapshot_creates_one_new_order_in_tenge_and_operator_currency(client, fake_samo, agent, my_lead):
    client.force_login(agent)
    attach(client, first_offer_url(client), lead=my_lead.pk)
    snapshot = OfferSnapshot.objects.get()

    first = client.post(f"/tours/offers/{snapshot.pk}/book/", {"operator_booking_number": "CB-778812"}, **EN)
    second = client.post(f"/tours/offers/{snapshot.pk}/book/", {}, **EN)

    order = Order.objects.get()
    assert first.status_code == second.status_code == 302
    assert order.status == OrderStatus.NEW and order.lead == my_lead and order.client == my_lead.client
    assert (order.price, order.currency, order.exchange_rate) == (snapshot.price, "USD", snapshot.rate_kzt)
    assert order.price_kzt == snapshot.price_kzt
    assert (order.hotel, order.date_from, order.date_to, order.nights) == (
        snapshot.hotel, snapshot.check_in, snapshot.check_out, snapshot.nights)
    assert order.operator_booking_number == "CB-778812"
    assert order.offer_snapshot["offer_key"] == snapshot.offer_key and order.offer_snapshot["demo"] is True
    snapshot.refresh_from_db()
    assert snapshot.order == order
    page = client.get(f"/tours/offers/{snapshot.pk}/", **EN).content.decode()
    assert f"Order №{order.pk}" in page and "New" in page
    assert Activity.objects.filter(kind=ActivityKind.ORDER, lead=my_lead).count() == 1


def test_attach_and_book_in_one_step(client, fake_samo, agent, my_lead):
    client.force_login(agent)

    response = client.post(first_offer_url(client), {"token": str(uuid.uuid4()), "lead": my_lead.pk, "then": "book"},
                           HTTP_HX_REQUEST="true", **EN)

    snapshot = OfferSnapshot.objects.get()
    assert response["HX-Redirect"] == f"/tours/offers/{snapshot.pk}/"
    assert snapshot.order.status == OrderStatus.NEW


def test_the_offer_page_is_seen_by_the_owner_and_managers_only(client, fake_samo, agent, colleague, outsider, manager,
                                                               my_lead):
    client.force_login(agent)
    attach(client, first_offer_url(client), lead=my_lead.pk)
    url = f"/tours/offers/{OfferSnapshot.objects.get().pk}/"

    for person, status in ((agent, 200), (manager, 200), (colleague, 404), (outsider, 404)):
        client.force_login(person)
        assert client.get(url).status_code == status, person
    client.force_login(colleague)
    assert client.post(f"{url}book/").status_code == 404
    assert not Order.objects.exists()


def test_the_admin_rate_is_used_when_samo_gives_none(fake_samo, agent):
    from integrations.samo.records import Currency
    from tours.services.reference import DirectionOptions, kzt_rate

    options = DirectionOptions(resorts=[], hotels=[], meals=[], stars=[], fetched=[],
                               currencies=[Currency(id=2, name="USD", code="USD")])
    assert kzt_rate(currency=options.currencies[0], options=options) is None
    KztRate.objects.create(currency="usd", rate=Decimal("515.00"), updated_by=agent)

    rate = kzt_rate(currency=options.currencies[0], options=options)

    with translation.override("en"):
        assert (rate.value, rate.source, str(rate.source_label)) == (
            Decimal("515.00"), RateSource.ADMIN, "rate set by an admin"
        )
