"""The tour search flow in a browser: search, expand a hotel, attach an offer to a
lead, see it on the lead's timeline, book it and see the order — and the SAMO
console. Screenshots go to /tmp/crystalbay-screens."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from crm.models import Order, OrderStatus
from tests.crm.factories import PASSWORD, LeadFactory, UserFactory
from tests.integrations.samo.servers import fake_samo  # noqa: F401  (a fixture)
from tours.models import OfferSnapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("fake_samo")]

SCREENSHOTS = "/tmp/crystalbay-screens"


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def log_in(page, base_url: str, username: str, next_path: str):
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}{next_path}")


def test_search_expand_attach_to_a_lead_see_the_timeline_book_and_see_the_order(live_server, new_page):
    agent = UserFactory(username="aigerim", first_name="Айгерим", last_name="Сейтова", role="agent")
    lead = LeadFactory(assignee=agent, client__full_name="Айдана Бекова")
    page = new_page()
    log_in(page, live_server.url, "aigerim", f"/tours/search/?lead={lead.pk}")
    expect(page.locator('[data-search-state="idle"]')).to_be_visible()

    page.locator("#search-form button[type=submit]").click()
    cards = page.locator(".hotel-card")
    expect(cards).to_have_count(10)
    expect(page.locator(".demo-banner")).to_be_visible()
    assert "town_from=1344" in page.url  # the search is in the address bar
    page.screenshot(path=f"{SCREENSHOTS}/tour-search-results.png")

    first = cards.first
    hotel = first.locator(".hotel-name").inner_text().strip()
    first.locator(".expand-link").click()
    rows = first.locator(".offer-table tbody tr[data-offer]")
    expect(rows.first).to_be_visible()
    assert rows.count() > 1
    page.screenshot(path=f"{SCREENSHOTS}/tour-search-expanded.png")

    second_row = rows.nth(1)
    offer_key = second_row.get_attribute("data-offer")
    second_row.locator(".attach-link").click()
    panel = first.locator("[data-attach-panel]")
    expect(panel.locator("select[name=lead]")).to_have_value(str(lead.pk))
    first.scroll_into_view_if_needed()
    page.screenshot(path=f"{SCREENSHOTS}/tour-search-attach.png")
    panel.locator("button[value=attach]").click()

    page.wait_for_url(f"{live_server.url}/tours/offers/*/")
    snapshot = OfferSnapshot.objects.get()
    assert (snapshot.offer_key, snapshot.lead_id) == (offer_key, lead.pk)
    assert hotel.startswith(snapshot.hotel)
    page.screenshot(path=f"{SCREENSHOTS}/tour-offer.png", full_page=True)

    page.locator("a.lead-link").click()
    page.wait_for_url(f"{live_server.url}/leads/{lead.pk}/")
    offer_entry = page.locator('#timeline [data-kind="offer"]')
    expect(offer_entry).to_have_count(1)
    expect(offer_entry).to_contain_text(snapshot.hotel)
    expect(offer_entry).to_contain_text("USD")
    page.screenshot(path=f"{SCREENSHOTS}/tour-offer-on-lead-timeline.png", full_page=True)

    page.go_back()
    page.locator("#id_operator_booking_number").fill("CB-778812")
    page.locator("button[data-book]").click()
    order_box = page.locator("[data-order]")
    expect(order_box).to_be_visible()
    order = Order.objects.get()
    assert order_box.get_attribute("data-order") == str(order.pk)
    assert (order.status, order.lead_id, order.operator_booking_number) == (OrderStatus.NEW, lead.pk, "CB-778812")
    with translation.override("ru"):  # the browser sees the default language
        expect(order_box.locator(".order-status")).to_have_text(str(OrderStatus.NEW.label))
    page.screenshot(path=f"{SCREENSHOTS}/tour-offer-booked.png", full_page=True)

    order_box.locator("a").click()
    expect(page.locator("#content")).to_contain_text(snapshot.hotel)
    assert f"/admin/crm/order/{order.pk}/change/" in page.url


def test_the_console_runs_an_action_and_shows_the_masked_request(live_server, new_page):
    UserFactory(username="root-admin", first_name="Ерлан", last_name="Жаксылыков", role="admin")
    page = new_page()
    log_in(page, live_server.url, "root-admin", "/tours/console/")

    page.locator("#console-action").fill("SearchTour_HOTELS")
    page.locator("#console-params").fill("TOWNFROMINC=1344\nSTATEINC=22")
    page.locator("#console-run").wait_for()
    page.locator("form[action='/tours/console/'] button[type=submit]").click()

    expect(page.locator('[data-run-ok="1"]')).to_be_visible()
    expect(page.locator("[data-request-url]")).to_contain_text("oauth_token=••••••0000")
    expect(page.locator("[data-response]")).to_contain_text("Sunrise Nha Trang Beach Hotel & Spa")
    assert "local-demo-token-0000" not in page.content()
    page.screenshot(path=f"{SCREENSHOTS}/samo-console.png", full_page=True)
