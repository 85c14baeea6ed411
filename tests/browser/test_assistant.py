"""The assistant in a browser: a tourist's Telegram request arrives while the
agent looks, the assistant's draft with real SAMO offers is announced without a
reload, the agent opens it, edits it and sends it; the local Telegram server
receives the edited text — and a screenshot of the draft in the reply box."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from integrations.samo.fake import DEFAULT_TOKEN as SAMO_TOKEN
from integrations.samo.fake import FakeSamoServer
from messaging.models import Draft
from tests.browser import test_inbox
from tests.browser.test_board import SCREENSHOTS, log_in
from tests.browser.test_inbox import CHAT

inbox, telegram = test_inbox.inbox, test_inbox.telegram  # the inbox test's fixtures: an agent's chats, local Telegram
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def samo(settings):
    with FakeSamoServer() as server:
        settings.SAMO_API_URL, settings.SAMO_OAUTH_TOKEN, settings.SAMO_PROXY_URL = server.url, SAMO_TOKEN, ""
        cache.clear()
        yield server


def test_the_draft_of_real_offers_is_announced_edited_and_sent(live_server, new_page, inbox, telegram, samo):
    agent, chat = inbox
    page = new_page()
    log_in(page, live_server.url, "aigerim", f"/inbox/{chat.pk}/")
    page.evaluate("window.__noReload = true")

    telegram.user_writes(chat_id=CHAT, first_name="Асель", text="хотим в Нячанг в марте на 10 ночей, 2 взрослых")
    telegram.wait_delivered()
    notice = page.locator("#draft-notice")
    expect(notice).to_contain_text("черновик", timeout=15_000)
    expect(page.locator("#thread-messages .message-in").last.locator(".message-insight")).to_be_visible()
    notice.locator("button").click()

    draft = Draft.objects.get(conversation=chat, status="pending")
    box = page.locator("#reply-form textarea")
    expect(box).to_have_value(draft.text)
    for offer in draft.offers:
        assert offer["hotel"] in draft.text
    expect(page.locator(".draft-bar")).to_contain_text("3")
    expect(notice).to_be_empty()
    page.screenshot(path=f"{SCREENSHOTS}/inbox-draft.png")

    edited = draft.text + "\nМогу забронировать сегодня."
    box.fill(edited)
    page.locator("#reply-form button.reply-send").click()
    reply = page.locator("#thread-messages .message-out").last
    expect(reply).to_have_attribute("data-status", "sent", timeout=10_000)
    assert page.evaluate("window.__noReload") is True
    draft.refresh_from_db()
    assert draft.status == "edited" and 0.9 < draft.similarity < 1 and draft.decided_by == agent
    assert telegram.api_calls("/sendMessage")[-1].json["text"] == edited
