"""What only a browser shows on the lead pages: drag and drop, htmx swaps, the
quick-create modal, filters in the URL — and screenshots of each page."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import Lead, LeadStageChange, Notification
from tests.browser.conftest import PHONE
from tests.crm.factories import (
    PASSWORD,
    LeadFactory,
    NotificationFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
    default_stage,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = "/tmp/crystalbay-screens"


@pytest.fixture
def agent_user():
    return UserFactory(username="aigerim", first_name="Айгерим", last_name="Сейтова", role="agent")


def log_in(page, base_url: str, username: str, next_path: str = "/leads/"):
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}{next_path}")


def column(page, stage):
    return page.locator(f'section[data-stage-id="{stage.pk}"]')


def card(page, lead):
    return page.locator(f'[data-lead-id="{lead.pk}"]')


def test_agent_drags_a_card_to_another_column_and_it_stays_after_reload(live_server, new_page, agent_user):
    new, consultation = default_stage("new"), default_stage("consultation")
    lead = LeadFactory(assignee=agent_user, destination_resort="Фукуок")
    neighbour = LeadFactory(assignee=agent_user, stage=consultation)
    page = new_page()
    log_in(page, live_server.url, "aigerim")
    expect(card(page, lead)).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/board-desktop.png")

    with page.expect_response(lambda response: f"/leads/{lead.pk}/move/" in response.url) as answer:
        card(page, lead).locator(".lead-card-trip").drag_to(column(page, consultation).locator(".board-cards"),
                                                           target_position={"x": 40, "y": 5})
    assert answer.value.status == 200
    expect(column(page, consultation).locator(f'[data-lead-id="{lead.pk}"]')).to_have_attribute("data-version", "2")
    expect(column(page, new).locator("[data-count]")).to_have_text("0")
    expect(column(page, consultation).locator("[data-count]")).to_have_text("2")

    page.reload()
    expect(column(page, consultation).locator(f'[data-lead-id="{lead.pk}"]')).to_be_visible()
    order = column(page, consultation).locator("[data-lead-id]").evaluate_all("els => els.map(e => e.dataset.leadId)")
    assert order == [str(lead.pk), str(neighbour.pk)]
    assert Lead.objects.get(pk=lead.pk).stage == consultation

    card(page, lead).locator(".lead-card-client").click()
    expect(page).to_have_url(f"{live_server.url}/leads/{lead.pk}/")
    stage_change = page.locator('.timeline-item[data-kind="stage_change"]').first
    expect(stage_change).to_contain_text("Новый запрос → Консультация")


def test_the_stage_dialog_moves_a_card_without_dragging_and_asks_why_for_lost(live_server, new_page, agent_user):
    lead = LeadFactory(assignee=agent_user)
    lost = default_stage("lost")
    page = new_page()
    log_in(page, live_server.url, "aigerim")
    card(page, lead).locator(".lead-card-move").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#move-modal")
    expect(dialog).to_be_visible()
    dialog.locator(f'input[name=stage][value="{lost.pk}"]').check()
    expect(dialog.locator("#move-lost-reason")).to_be_visible()
    dialog.locator("#move-lost-reason").fill("Передумали")
    page.screenshot(path=f"{SCREENSHOTS}/board-move-dialog-desktop.png")
    dialog.locator("button[type=submit]").click()
    expect(column(page, lost).locator(f'[data-lead-id="{lead.pk}"]')).to_be_visible()
    lead.refresh_from_db()
    assert (lead.stage, lead.lost_reason) == (lost, "Передумали")


def test_a_refused_drop_puts_the_card_back_with_a_message(live_server, new_page, agent_user):
    lead = LeadFactory(assignee=agent_user)
    paid = default_stage("paid")
    page = new_page(viewport={"width": 3200, "height": 900})
    log_in(page, live_server.url, "aigerim")
    card(page, lead).locator(".lead-card-trip").drag_to(column(page, paid).locator(".board-cards"))
    expect(page.locator("#toast-area .alert-danger")).to_be_visible()
    expect(column(page, default_stage("new")).locator(f'[data-lead-id="{lead.pk}"]')).to_be_visible()
    expect(column(page, paid).locator(f'[data-lead-id="{lead.pk}"]')).to_have_count(0)
    assert not LeadStageChange.objects.filter(lead=lead, from_stage__isnull=False).exists()


def test_quick_create_puts_a_card_in_the_first_column(live_server, new_page, agent_user):
    existing = LeadFactory(assignee=agent_user).client
    page = new_page()
    log_in(page, live_server.url, "aigerim")
    page.locator(".board-new").click()
    modal = page.locator("#quick-create-modal")
    expect(modal.locator("#id_phone")).to_be_visible()
    modal.locator("#id_phone").fill("8 701 " + existing.phone.as_e164[5:])
    expect(modal.locator(".client-found")).to_contain_text(existing.full_name)
    modal.locator("#id_phone").fill("+7 777 555 44 33")
    modal.locator("#id_full_name").fill("Томирис Есенова")
    expect(modal.locator(".client-new")).to_be_visible()
    modal.locator("#id_destination_resort").fill("Дананг")
    modal.locator("#id_budget").fill("2400000")
    page.screenshot(path=f"{SCREENSHOTS}/board-quick-create-desktop.png")
    modal.locator("button[type=submit]").click()

    expect(modal).to_be_hidden()
    new_card = column(page, default_stage("new")).locator(".lead-card", has_text="Томирис Есенова")
    expect(new_card).to_be_visible()
    expect(new_card).to_contain_text("Дананг")
    lead = Lead.objects.get(client__full_name="Томирис Есенова")
    assert (lead.assignee, lead.stage, str(lead.client.phone)) == (agent_user, default_stage("new"), "+77775554433")


def test_a_note_added_on_the_lead_card_appears_on_the_timeline(live_server, new_page, agent_user):
    lead = LeadFactory(assignee=agent_user)
    TaskFactory(lead=lead, assignee=agent_user, title="Отправить подборку отелей")
    page = new_page()
    log_in(page, live_server.url, "aigerim", next_path=f"/leads/{lead.pk}/")
    page.locator("#note-form textarea").fill("Клиент хочет отель на первой линии")
    page.locator("#note-form button[type=submit]").click()
    first = page.locator(".timeline-item").first
    expect(first).to_have_attribute("data-kind", "note")
    expect(first).to_contain_text("Клиент хочет отель на первой линии")
    expect(page.locator("#note-form textarea")).to_have_value("")
    page.screenshot(path=f"{SCREENSHOTS}/lead-desktop.png", full_page=True)

    page.locator("#travel a[hx-get]").click()
    page.locator("#id_budget").fill("-5")
    page.locator("#travel button[type=submit]").click()
    expect(page.locator("#travel .invalid-feedback")).to_be_visible()
    page.locator("#id_budget").fill("3100000")
    page.locator("#travel button[type=submit]").click()
    expect(page.locator("#travel dl")).to_contain_text("3\u202f100\u202f000")


def test_filters_narrow_the_board_and_survive_a_reload(live_server, new_page, agent_user):
    phuquoc = LeadFactory(assignee=agent_user, destination_resort="Фукуок")
    nhatrang = LeadFactory(assignee=agent_user, destination_resort="Нячанг")
    vip = TagFactory(name="VIP")
    free = LeadFactory(assignee=None, destination_resort="Дананг")
    free.tags.add(vip)
    page = new_page()
    log_in(page, live_server.url, "aigerim")
    expect(page.locator(".lead-card")).to_have_count(3)

    page.locator("#filter-q").fill("Фукуок")
    expect(page.locator(".lead-card")).to_have_count(1)
    expect(card(page, phuquoc)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leads/\?(.*&)?q=%D0%A4%D1%83%D0%BA%D1%83%D0%BE%D0%BA"))
    page.reload()
    expect(page.locator(".lead-card")).to_have_count(1)
    expect(page.locator("#filter-q")).to_have_value("Фукуок")

    page.locator("#filter-q").fill("")
    expect(page.locator(".lead-card")).to_have_count(3)
    page.locator("select[name=tag]").select_option(str(vip.pk))
    expect(page.locator(".lead-card")).to_have_count(1)
    expect(card(page, free)).to_be_visible()
    page.locator("select[name=tag]").select_option("")
    page.locator("select[name=assignee]").select_option("me")
    expect(page.locator(".lead-card")).to_have_count(2)
    page.reload()
    expect(page.locator("select[name=assignee]")).to_have_value("me")
    expect(card(page, nhatrang)).to_be_visible()
    expect(card(page, free)).to_have_count(0)


def test_my_day_lists_tasks_and_marks_one_done(live_server, new_page, agent_user):
    now = timezone.now()
    overdue = TaskFactory(lead=LeadFactory(assignee=agent_user), assignee=agent_user, title="Перезвонить Ахметовой",
                          due_at=now - dt.timedelta(hours=3))
    TaskFactory(lead=LeadFactory(assignee=agent_user), assignee=agent_user, title="Выслать ваучер",
                due_at=now + dt.timedelta(days=3))
    page = new_page()
    log_in(page, live_server.url, "aigerim", next_path="/my-day/")
    expect(page.locator("nav.app-navbar .nav-link.active")).to_have_attribute("href", "/my-day/")
    expect(page.locator("#tasks-overdue")).to_contain_text("Перезвонить Ахметовой")
    expect(page.locator("#tasks-upcoming")).to_contain_text("Выслать ваучер")
    page.screenshot(path=f"{SCREENSHOTS}/my-day-desktop.png", full_page=True)
    page.locator(f"#task-{overdue.pk} button").click()
    expect(page.locator(f"#task-{overdue.pk}")).to_have_class("task-row is-done")
    overdue.refresh_from_db()
    assert overdue.done_at is not None


def test_the_unread_badge_beside_my_day_goes_when_the_notifications_are_read(live_server, new_page, agent_user):
    lead = LeadFactory(assignee=agent_user)
    for text in ("Просрочен SLA: Ахметова", "Задача к сроку: выслать ваучер"):
        NotificationFactory(user=agent_user, lead=lead, text=text)
    page = new_page()
    log_in(page, live_server.url, "aigerim")
    my_day = page.locator('nav.app-navbar a.nav-link[href="/my-day/"]')
    expect(my_day.locator("#my-day-unread")).to_have_attribute("data-unread", "2")
    expect(my_day).not_to_have_class(re.compile(r"\bactive\b"))

    my_day.click()
    expect(my_day).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#notifications")).to_contain_text("Просрочен SLA: Ахметова")
    page.locator("#notifications button", has_text="Отметить все как прочитанные").click()
    expect(page.locator("#notifications .is-unread")).to_have_count(0)
    expect(page.locator("#my-day-unread")).to_have_count(0)  # gone from the navigation without a reload
    assert not Notification.objects.filter(user=agent_user, read_at__isnull=True).exists()


@pytest.mark.parametrize("role", ["manager", "accountant"])
def test_my_day_is_in_the_navigation_of_managers_and_accountants_and_lit_on_its_page(live_server, new_page, role):
    UserFactory(username=role, role=role)
    page = new_page()
    log_in(page, live_server.url, role, next_path="/my-day/")
    expect(page.locator("nav.app-navbar .nav-link.active")).to_have_attribute("href", "/my-day/")
    page.locator('nav.app-navbar a.nav-link[href="/leads/"]').click()
    expect(page.locator("nav.app-navbar .nav-link.active")).to_have_attribute("href", "/leads/")
    expect(page.locator('nav.app-navbar a.nav-link[href="/my-day/"]')).to_be_visible()


def test_pages_fit_a_phone(live_server, new_page, agent_user):
    lead = LeadFactory(assignee=agent_user)
    TaskFactory(lead=lead, assignee=agent_user)
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    log_in(page, live_server.url, "aigerim")
    expect(card(page, lead)).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/board-phone.png")
    for path, name in ((f"/leads/{lead.pk}/", "lead"), ("/my-day/", "my-day")):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        page.screenshot(path=f"{SCREENSHOTS}/{name}-phone.png", full_page=True)
