"""The inbox in a browser: a Telegram message arrives while the agent looks and
shows without a reload, the agent replies, the local Telegram server gets it —
and screenshots of the inbox on a desktop and a phone."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from integrations.telegram.fake import FakeTelegram
from messaging.models import Message
from tests.browser.conftest import PHONE
from tests.browser.test_board import SCREENSHOTS, log_in
from tests.crm.factories import ClientFactory, LeadFactory, UserFactory
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SECRET = "browser-test-telegram-secret"  # noqa: S105
CHAT = 6240981357123


@pytest.fixture
def telegram(settings, live_server):
    with FakeTelegram(retry_interval=0.2) as server:
        settings.TELEGRAM_API_URL = server.url
        settings.TELEGRAM_BOT_TOKEN = server.token
        settings.TELEGRAM_WEBHOOK_SECRET = SECRET
        settings.INBOX_POLL_SECONDS = 1
        call_command("telegram_set_webhook", "--url", f"{live_server.url}/webhooks/telegram/")
        yield server


@pytest.fixture
def inbox(telegram):
    """An agent with a few conversations, one of them the Telegram chat of the test."""
    agent = UserFactory(username="aigerim", first_name="Айгерим", last_name="Сейтова", role="agent")
    client = ClientFactory(full_name="Асель Нурланова", telegram_id=CHAT, phone="+77015550101", email=None)
    lead = LeadFactory(client=client, assignee=agent, destination_resort="Нячанг")
    chat = ConversationFactory(platform="telegram", chat_id=str(CHAT), client=client, lead=lead, assignee=agent,
                               title="Асель Нурланова", preview="Здравствуйте! Хотим в Нячанг в марте")
    MessageFactory(conversation=chat, message_id="901", text="Здравствуйте! Хотим в Нячанг в марте, двое взрослых.")
    MessageFactory(conversation=chat, direction="out", status="delivered", message_id="902", author=agent,
                   text="Добрый день, Асель! Подберу варианты на 10–12 ночей. Какой бюджет?")
    for platform, chat_id, name, text, unread in [
        ("whatsapp", "77011234567", "Данияр Оспанов", "Сколько стоит Фукуок на 10 ночей?", 2),
        ("email", "erzhan.b@mail.kz", "Ержан Бекович", "Интересует Дананг на майские", 1),
        ("wazzup", "whatsapp:77017654321", "Айгуль", "Добрый день", 0),
    ]:
        other = ConversationFactory(platform=platform, chat_id=chat_id, title=name, assignee=agent,
                                    client=ClientFactory(full_name=name), preview=text, unread_count=unread)
        MessageFactory(conversation=other, text=text)
    return agent, chat


def test_a_new_message_shows_without_reload_and_the_reply_reaches_telegram(live_server, new_page, inbox, telegram):
    agent, chat = inbox
    page = new_page()
    log_in(page, live_server.url, "aigerim", f"/inbox/{chat.pk}/")
    page.evaluate("window.__noReload = true")
    expect(page.locator("#thread-messages")).to_contain_text("Хотим в Нячанг в марте")
    page.screenshot(path=f"{SCREENSHOTS}/inbox-desktop.png")

    telegram.user_writes(chat_id=CHAT, first_name="Асель", text="Бюджет до 1,5 млн тенге на двоих")
    telegram.wait_delivered()
    expect(page.locator("#thread-messages .message-in").last).to_contain_text("Бюджет до 1,5 млн тенге",
                                                                              timeout=10_000)
    assert page.evaluate("window.__noReload") is True

    page.locator("#reply-form textarea").fill("Отлично! Отправлю три варианта в течение часа.")
    page.locator("#reply-form button[type=submit]").dblclick()
    reply = page.locator("#thread-messages .message-out").last
    expect(reply).to_contain_text("Отправлю три варианта")
    expect(reply).to_have_attribute("data-status", "sent", timeout=10_000)
    assert page.evaluate("window.__noReload") is True

    sent = telegram.api_calls("/sendMessage")
    assert [call.json for call in sent] == [{"chat_id": str(CHAT), "text": "Отлично! Отправлю три варианта в течение часа."}]
    assert Message.objects.filter(direction="out", text__startswith="Отлично!").count() == 1
    expect(page.locator("#reply-form textarea")).to_have_value("")
    page.screenshot(path=f"{SCREENSHOTS}/inbox-desktop-replied.png")


def test_a_failed_reply_shows_its_reason_and_a_retry_sends_it(live_server, new_page, inbox, telegram):
    _agent, chat = inbox
    telegram.fail(403)
    page = new_page()
    log_in(page, live_server.url, "aigerim", f"/inbox/{chat.pk}/")
    page.locator("#reply-form textarea").fill("Проверяю связь")
    page.locator("#reply-form textarea").press("Control+Enter")
    failed = page.locator('#thread-messages .message-out[data-status="failed"]')
    expect(failed).to_contain_text("bot was blocked by the user", timeout=10_000)
    page.screenshot(path=f"{SCREENSHOTS}/inbox-failed.png")

    failed.locator(".message-retry").click()
    expect(page.locator("#thread-messages .message-out").last).to_have_attribute("data-status", "sent",
                                                                                 timeout=10_000)
    assert len(telegram.api_calls("/sendMessage")) == 2


def test_inbox_on_a_phone_shows_the_list_then_the_thread(live_server, new_page, inbox):
    _agent, chat = inbox
    desktop = new_page()
    log_in(desktop, live_server.url, "aigerim", "/inbox/")
    expect(desktop.locator(".thread-placeholder")).to_be_visible()
    desktop.locator("#inbox-platform").select_option("whatsapp")
    expect(desktop.locator(".conversation-item")).to_have_count(1)
    desktop.screenshot(path=f"{SCREENSHOTS}/inbox-desktop-filtered.png")

    page = new_page(viewport=PHONE)
    log_in(page, live_server.url, "aigerim", "/inbox/")
    expect(page.locator(".conversation-item")).to_have_count(4)
    page.screenshot(path=f"{SCREENSHOTS}/inbox-phone-list.png")
    page.locator(f'.conversation-item[data-conversation-id="{chat.pk}"]').click()
    expect(page.locator("#thread-title")).to_have_text("Асель Нурланова")
    expect(page.locator(".inbox-side")).to_be_hidden()
    page.screenshot(path=f"{SCREENSHOTS}/inbox-phone-thread.png")
    page.locator(".thread-back").click()
    expect(page.locator(".inbox-side")).to_be_visible()
