"""A mail made of one 30 KB word, in a browser: the thread and the lead card
show it shortened and wrapped (no sideways scrolling, on a desktop and a phone),
and "Показать полностью" brings the whole text in place — with screenshots."""

import pytest
from playwright.sync_api import expect

from messaging.models import SHOWN_CHARS
from messaging.services.inbound import inbound_process
from tests.browser.conftest import PHONE
from tests.browser.test_board import SCREENSHOTS, agent_user, log_in  # noqa: F401 (fixture)
from tests.crm.factories import ClientFactory, LeadFactory
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
TOKEN = "Q" * 30_000


@pytest.fixture
def long_mail(agent_user):  # noqa: F811 (the fixture imported above)
    lead = LeadFactory(assignee=agent_user, client=ClientFactory(full_name="Ержан Бекович", email="erzhan.b@mail.kz"))
    conversation = ConversationFactory(platform="email", chat_id="erzhan.b@mail.kz", assignee=agent_user,
                                       client=lead.client, lead=lead, title="Ержан Бекович")
    message = MessageFactory(conversation=conversation, platform="email", text=f"Добрый день! {TOKEN}",
                             needs_processing=True, sender_ids={"email": "erzhan.b@mail.kz"})
    inbound_process(message_id=message.pk)
    return lead, conversation


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_long_word_is_shortened_wrapped_and_shown_whole_on_demand(live_server, new_page, long_mail, viewport):
    lead, conversation = long_mail
    page = new_page(viewport=viewport) if viewport else new_page()
    name = "phone" if viewport else "desktop"
    log_in(page, live_server.url, "aigerim", f"/inbox/{conversation.pk}/")

    text = page.locator(".message-text").last
    expect(text.locator(".message-more")).to_have_text("Показать полностью")
    assert len(text.inner_text()) < SHOWN_CHARS + 100
    no_sideways_scroll(page)
    page.screenshot(path=f"{SCREENSHOTS}/long-message-{name}.png")

    text.locator(".message-more").click()
    expect(page.locator(".message-more")).to_have_count(0)
    assert TOKEN in page.locator(".message-text").last.inner_text()
    no_sideways_scroll(page)

    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    entry = page.locator(".timeline-item.kind-message .timeline-text")
    expect(entry.locator(".timeline-show-all")).to_have_text("Показать полностью")
    no_sideways_scroll(page)
    page.screenshot(path=f"{SCREENSHOTS}/long-message-lead-{name}.png")
    entry.locator(".timeline-show-all").click()
    expect(entry.locator(".timeline-show-all")).to_have_count(0)
    assert TOKEN in entry.inner_text()
