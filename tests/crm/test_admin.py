"""The Django admin as its users meet it: every page opens, each role sees and
changes only what ``crm.access`` allows, edits go through the services, the
changelists cost the same number of queries for 3 rows as for 30, and the CSV
export holds the visible rows only."""

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.forms import MultiWidget
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from knox.models import AuthToken

from analytics.models import MarketingSpend, PeriodSummary, SurveyResponse
from crm.models import (
    Activity,
    ActivityKind,
    Client,
    Lead,
    LeadStageChange,
    Notification,
    Order,
    OrderLog,
    OrderStatus,
    Pipeline,
    SlaBreach,
    Stage,
    Tag,
    Task,
)
from integrations.models import ApiLog
from messaging.models import AssistantSettings, BotSession, Conversation, Draft, Message, MessageInsight
from tests.analytics.factories import MarketingSpendFactory, SurveyResponseFactory
from tests.crm.factories import (
    ActivityFactory,
    ClientFactory,
    LeadFactory,
    LeadStageChangeFactory,
    NotificationFactory,
    OrderFactory,
    OrderLogFactory,
    SlaBreachFactory,
    TagFactory,
    TaskFactory,
    UserFactory,
    default_stage,
)
from tests.messaging.factories import ConversationFactory, MessageFactory
from tours.models import KztRate, OfferSnapshot, SamoCache, SamoSyncRun, SyncTrigger

pytestmark = pytest.mark.django_db
User = get_user_model()


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def login(client, user):
    """Log in; pages answer in English, so messages can be compared word for word
    whatever translations exist."""
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def form_data(response) -> dict:
    """What the browser would post back from a rendered admin change form, unchanged."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            widget = field.widget.widget if hasattr(field.widget, "widget") else field.widget
            if isinstance(widget, MultiWidget):
                for index, part in enumerate(widget.decompress(value)):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else part
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            elif value is True:
                data[bound.html_name] = "on"
            elif value is not None and value is not False:
                data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def result_ids(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def run_action(client, model, action, objects, **extra):
    return client.post(
        url(model, "changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], "index": 0, **extra},
        follow=True,
    )


def page_messages(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


# --- Every page opens -------------------------------------------------------------------


def _offer_snapshot(lead: Lead) -> OfferSnapshot:
    check_in = timezone.localdate() + dt.timedelta(days=60)
    return OfferSnapshot.objects.create(
        lead=lead, client=lead.client, offer_key="samo-offer-1", operator="Crystal Bay", hotel="Vinpearl Nha Trang",
        check_in=check_in, check_out=check_in + dt.timedelta(days=10), nights=10, adults=2, price=Decimal("2650"),
        currency="USD", price_kzt=Decimal("1357728"), rate_kzt=Decimal("512.35"), priced_at=timezone.now(),
        raw={"id": "samo-offer-1", "hotel": "Vinpearl Nha Trang"},
    )


# An example row of every model registered in the admin, made in this order;
# each maker gets the rows made so far. An app that registers a model adds a line.
ADMIN_EXAMPLES: dict[type, Callable[[dict], Any]] = {
    # crm
    Tag: lambda made: TagFactory(),
    Client: lambda made: ClientFactory(),
    Pipeline: lambda made: Pipeline.objects.get(slug="default"),
    Stage: lambda made: default_stage(),
    Lead: lambda made: LeadFactory(),
    LeadStageChange: lambda made: LeadStageChangeFactory(lead=made[Lead]),
    Activity: lambda made: ActivityFactory(lead=made[Lead]),
    Task: lambda made: TaskFactory(lead=made[Lead]),
    Order: lambda made: OrderFactory(),
    OrderLog: lambda made: OrderLogFactory(order=made[Order]),
    SlaBreach: lambda made: SlaBreachFactory(lead=made[Lead]),
    Notification: lambda made: NotificationFactory(user=made[User], lead=made[Lead], sla_breach=made[SlaBreach],
                                                   kind="sla_breach"),
    # tours
    SamoCache: lambda made: SamoCache.objects.create(
        action="SearchTour_CURRENCIES", params={"samo_action": "api"}, payload={"SearchTour_CURRENCIES": []},
        expires_at=timezone.now() + dt.timedelta(hours=1),
    ),
    SamoSyncRun: lambda made: SamoSyncRun.objects.create(
        trigger=SyncTrigger.SCHEDULE, with_prices=True, finished_at=timezone.now(), fetched=15,
        failures=[{"action": "SearchTour_STATES", "params": {"TOWNFROMINC": 9}, "error": "HTTP 502"}],
    ),
    KztRate: lambda made: KztRate.objects.create(currency="USD", rate=Decimal("512.35"), updated_by=made[User]),
    OfferSnapshot: lambda made: _offer_snapshot(made[Lead]),
    # messaging
    Conversation: lambda made: ConversationFactory(),
    Message: lambda made: MessageFactory(conversation=made[Conversation],
                                         raw={"update_id": 1, "message": {"text": "Привет"}}),
    MessageInsight: lambda made: MessageInsight.objects.create(
        message=made[Message], lead=made[Lead], intent="tour_request", language="ru", engine="rules",
        confidence=0.8, fields={"destination_resort": "Nha Trang"}, suggestions={"adults": 3}, score=65,
        category="warm", reasons=["+25 asks for a tour"], done=True),
    Draft: lambda made: Draft.objects.create(conversation=made[Conversation], message=made[Message],
                                             kind="offers", language="ru", engine="template", text="Варианты: …"),
    BotSession: lambda made: BotSession.objects.create(conversation=made[Conversation], step="dates",
                                                       data={"destination_resort": "Nha Trang"}),
    AssistantSettings: lambda made: AssistantSettings.current(),
    # analytics
    SurveyResponse: lambda made: SurveyResponseFactory(order=made[Order], comment="Всё понравилось"),
    MarketingSpend: lambda made: MarketingSpendFactory(entered_by=made[User]),
    PeriodSummary: lambda made: PeriodSummary.objects.create(
        key="example", language="ru", figures={"revenue_kzt": 1850000}, status=PeriodSummary.Status.READY,
        text="Выручка 1 850 000 ₸.",
    ),
    # integrations
    ApiLog: lambda made: ApiLog.objects.create(service="samo", action="SearchTour_TOURS",
                                               request="GET https://samo.test/"),
    # auth and API tokens
    Group: lambda made: Group.objects.get(name="agent"),
    AuthToken: lambda made: AuthToken.objects.create(user=made[User], expiry=None)[0],
    # login protection (django-axes)
    AccessAttempt: lambda made: AccessAttempt.objects.create(
        username="manager", ip_address="203.0.113.9", user_agent="Mozilla/5.0", failures_since_start=5,
        attempt_time=timezone.now(),
    ),
    AccessLog: lambda made: AccessLog.objects.create(username="manager", ip_address="203.0.113.9",
                                                     user_agent="Mozilla/5.0", attempt_time=timezone.now()),
    AccessFailureLog: lambda made: AccessFailureLog.objects.create(
        username="manager", ip_address="203.0.113.9", user_agent="Mozilla/5.0", attempt_time=timezone.now(),
        locked_out=True,
    ),
}


def one_of_each(superuser) -> dict:
    """One row of each model in ``ADMIN_EXAMPLES``, by model (the superuser is the user)."""
    made = {User: superuser}
    for model, make in ADMIN_EXAMPLES.items():
        made[model] = make(made)
    return made


def test_every_admin_page_opens_for_a_superuser(client, rf, superuser):
    objects = one_of_each(superuser)
    missing = {model._meta.label for model in admin.site._registry} - {model._meta.label for model in objects}
    assert not missing, f"registered in the admin without an example in ADMIN_EXAMPLES: {sorted(missing)}"
    assert set(objects) == set(admin.site._registry), "an example of a model the admin no longer shows"
    login(client, superuser)
    request = rf.get("/")
    request.user = superuser
    assert client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        assert client.get(url(model, "changelist")).status_code == 200, model
        assert client.get(url(model, "changelist"), {"q": "Нячанг"}).status_code == 200, model
        if model_admin.has_add_permission(request):
            assert client.get(url(model, "add")).status_code == 200, model
        assert client.get(url(model, "change", objects[model].pk)).status_code == 200, model


def test_site_is_titled_crystal_bay_crm(client, manager):
    response = login(client, manager).get(reverse("admin:index"))
    assert "Crystal Bay CRM" in response.content.decode()


def test_logs_are_read_only(client, superuser):
    objects = one_of_each(superuser)
    login(client, superuser)
    for model in (OrderLog, LeadStageChange, SlaBreach, Notification, ApiLog, SamoCache, SamoSyncRun, Message):
        assert client.get(url(model, "add")).status_code == 403, model
        response = client.get(url(model, "change", objects[model].pk))
        assert response.status_code == 200
        assert response.context["has_change_permission"] is False, model
        assert client.post(url(model, "change", objects[model].pk), {}).status_code == 403, model


def test_user_list_shows_roles(client, superuser, manager, accountant):
    response = login(client, superuser).get(url(type(manager), "changelist"))
    page = response.content.decode()
    assert "Manager" in page and "Accountant" in page


# --- Who sees what --------------------------------------------------------------------


@pytest.fixture
def leads(agent, colleague):
    return {
        "own": LeadFactory(assignee=agent, client=ClientFactory(full_name="Айжан Свой")),
        "free": LeadFactory(assignee=None, client=ClientFactory(full_name="Болат Ничей")),
        "colleague": LeadFactory(assignee=colleague, client=ClientFactory(full_name="Вера Чужая", owner=colleague)),
    }


def test_agent_sees_own_and_unassigned_leads_only(client, agent, leads):
    response = login(client, agent).get(url(Lead, "changelist"))
    assert response.status_code == 200
    assert result_ids(response) == {leads["own"].pk, leads["free"].pk}
    assert "Вера Чужая" not in response.content.decode()


def test_agent_cannot_open_a_colleagues_lead(client, agent, leads):
    hidden = leads["colleague"]
    response = login(client, agent).get(url(Lead, "change", hidden.pk))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    followed = client.get(url(Lead, "change", hidden.pk), follow=True)
    assert "Вера Чужая" not in followed.content.decode()
    assert client.get(url(Lead, "history", hidden.pk)).status_code == 302


def test_agent_changes_own_lead_and_colleague_cannot(client, agent, colleague, leads):
    lead = leads["own"]
    login(client, agent)
    data = form_data(client.get(url(Lead, "change", lead.pk)))
    data["notes"] = "Хотят первую линию"
    response = client.post(url(Lead, "change", lead.pk), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    lead.refresh_from_db()
    assert lead.notes == "Хотят первую линию"
    assert lead.version == 2

    data["notes"] = "Перехвачено"
    login(client, colleague)
    response = client.post(url(Lead, "change", lead.pk), data)
    assert response.status_code == 302 and response.url == reverse("admin:index")
    lead.refresh_from_db()
    assert lead.notes == "Хотят первую линию"


def test_outsider_cannot_enter_the_admin(client, outsider, leads):
    login(client, outsider)
    for path in (reverse("admin:index"), url(Lead, "changelist"), url(Lead, "change", leads["own"].pk)):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_staff_without_a_role_sees_no_rows(client, leads):
    stranger = UserFactory(username="stranger")
    stranger.user_permissions.add(*Group.objects.get(name="agent").permissions.all())
    response = login(client, stranger).get(url(Lead, "changelist"))
    assert result_ids(response) == set()


def test_accountant_reads_every_lead_but_cannot_change_one(client, accountant, leads):
    login(client, accountant)
    assert result_ids(client.get(url(Lead, "changelist"))) == {lead.pk for lead in leads.values()}
    lead = leads["colleague"]
    response = client.get(url(Lead, "change", lead.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert "Вера Чужая" in response.content.decode()
    response = client.post(url(Lead, "change", lead.pk), {"notes": "бухгалтер был здесь", "stage": lead.stage_id})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.notes == ""
    assert lead.version == 1


def test_accountant_has_no_lead_actions_but_may_export(client, accountant, leads):
    response = login(client, accountant).get(url(Lead, "changelist"))
    actions = {name for name, _label in response.context["action_form"].fields["action"].choices}
    assert "export_as_csv" in actions
    assert not actions & {"assign_to", "move_to_stage", "delete_selected"}


def test_manager_sees_everything(client, manager, leads):
    login(client, manager)
    assert result_ids(client.get(url(Lead, "changelist"))) == {lead.pk for lead in leads.values()}
    assert client.get(url(Lead, "change", leads["colleague"].pk)).status_code == 200


@pytest.mark.parametrize("model, make", [
    (Client, lambda owner: ClientFactory(owner=owner)),
    (Order, lambda owner: OrderFactory(assignee=owner)),
    (Conversation, lambda owner: ConversationFactory(assignee=owner)),
    (Task, lambda owner: TaskFactory(assignee=owner)),
])
def test_rows_are_narrowed_for_owner_colleague_and_outsider(client, agent, colleague, outsider, manager, model, make):
    own, free, theirs = make(agent), make(None), make(colleague)
    login(client, agent)
    assert result_ids(client.get(url(model, "changelist"))) >= {own.pk, free.pk}
    assert theirs.pk not in result_ids(client.get(url(model, "changelist")))
    assert client.get(url(model, "change", own.pk)).status_code == 200
    assert client.get(url(model, "change", theirs.pk)).status_code == 302

    login(client, colleague)
    assert own.pk not in result_ids(client.get(url(model, "changelist")))
    assert client.get(url(model, "change", theirs.pk)).status_code == 200

    login(client, outsider)
    assert client.get(url(model, "changelist")).status_code == 302

    login(client, manager)
    assert result_ids(client.get(url(model, "changelist"))) >= {own.pk, free.pk, theirs.pk}


def grant_view(user, *models) -> None:
    """What an admin may grant an agent by hand: seeing a model's admin pages."""
    user.user_permissions.add(*(
        Permission.objects.get(content_type__app_label=model._meta.app_label, codename=f"view_{model._meta.model_name}")
        for model in models
    ))


def test_sla_breaches_and_notifications_are_narrowed_to_their_people(client, agent, colleague, manager, accountant,
                                                                     outsider):
    own, free, theirs = (SlaBreachFactory(lead=LeadFactory(assignee=person)) for person in (agent, None, colleague))
    mine, colleagues = NotificationFactory(user=agent), NotificationFactory(user=colleague)

    login(client, agent)
    assert client.get(url(SlaBreach, "changelist")).status_code == 403  # not an agent's page by default
    assert client.get(url(Notification, "changelist")).status_code == 403
    grant_view(agent, SlaBreach, Notification)
    assert result_ids(client.get(url(SlaBreach, "changelist"))) == {own.pk, free.pk}
    assert result_ids(client.get(url(Notification, "changelist"))) == {mine.pk}
    assert client.get(url(SlaBreach, "change", theirs.pk)).status_code == 302
    assert client.get(url(Notification, "change", colleagues.pk)).status_code == 302
    response = client.get(url(Notification, "change", mine.pk))
    assert response.status_code == 200 and response.context["has_change_permission"] is False

    for reader in (manager, accountant):
        login(client, reader)
        assert result_ids(client.get(url(SlaBreach, "changelist"))) == {own.pk, free.pk, theirs.pk}
        assert result_ids(client.get(url(Notification, "changelist"))) == {mine.pk, colleagues.pk}

    login(client, outsider)
    assert client.get(url(Notification, "changelist")).status_code == 302


def test_notification_filters_show_unread_and_failed_mail(client, manager, agent):
    unread = NotificationFactory(user=agent, text="Не прочитано")
    read = NotificationFactory(user=agent, read_at=timezone.now(), email_attempts=2, email_error="SMTPServerDisconnected")
    login(client, manager)
    assert result_ids(client.get(url(Notification, "changelist"), {"read": "no"})) == {unread.pk}
    assert result_ids(client.get(url(Notification, "changelist"), {"read": "yes"})) == {read.pk}
    page = client.get(url(Notification, "changelist"), {"q": "Не прочитано"})
    assert result_ids(page) == {unread.pk}
    assert "SMTPServerDisconnected" in client.get(url(Notification, "change", read.pk)).content.decode()


def test_agent_sees_a_client_through_an_own_lead(client, agent, colleague):
    lead = LeadFactory(assignee=agent, client=ClientFactory(owner=colleague))
    other = ClientFactory(owner=colleague)
    ids = result_ids(login(client, agent).get(url(Client, "changelist")))
    assert lead.client_id in ids
    assert other.pk not in ids


def test_agent_picks_only_visible_clients_for_a_new_lead(client, agent, colleague):
    mine, hidden = ClientFactory(owner=agent, full_name="Дана Моя"), ClientFactory(owner=colleague, full_name="Ерлан Чужой")
    login(client, agent)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "crm", "model_name": "lead", "field_name": "client", "term": "",
    })
    found = {int(item["id"]) for item in response.json()["results"]}
    assert mine.pk in found and hidden.pk not in found

    data = form_data(client.get(url(Lead, "add")))
    data.update(client=hidden.pk, pipeline=Pipeline.objects.get(slug="default").pk, stage=default_stage().pk)
    response = client.post(url(Lead, "add"), data)
    assert response.status_code == 200
    assert "client" in response.context["adminform"].form.errors
    assert not Lead.objects.exists()


def test_assignee_choices_are_active_staff_in_working_roles(client, manager, agent, accountant, outsider):
    retired = UserFactory(username="retired", role="agent", is_active=False)
    response = login(client, manager).get(url(Lead, "add"))
    choices = set(response.context["adminform"].form.fields["assignee"].queryset)
    assert agent in choices and manager in choices
    assert outsider not in choices and retired not in choices and accountant not in choices


def test_saving_a_form_keeps_an_assignee_who_has_left(client, manager):
    former = UserFactory(username="former", role="agent", is_active=False)
    lead = LeadFactory(assignee=former)
    task = TaskFactory(lead=lead, assignee=former)
    login(client, manager)
    data = form_data(client.get(url(Lead, "change", lead.pk)))
    data["notes"] = "Передать другому агенту"
    assert client.post(url(Lead, "change", lead.pk), data).status_code == 302
    lead.refresh_from_db()
    task.refresh_from_db()
    assert (lead.notes, lead.assignee, task.assignee) == ("Передать другому агенту", former, former)
    assert not Activity.objects.filter(lead=lead, kind=ActivityKind.ASSIGNMENT).exists()


# --- Leads: edits through the services -----------------------------------------------------


def test_creating_a_lead_puts_it_at_the_end_of_its_column_with_sla_and_history(client, manager, agent):
    existing = LeadFactory(position=5000)
    new_stage = default_stage()
    login(client, manager)
    data = form_data(client.get(url(Lead, "add")))
    data.update(
        client=existing.client_id, pipeline=new_stage.pipeline_id, stage=new_stage.pk, assignee=agent.pk,
        destination_country="Вьетнам", destination_resort="Фукуок", adults=2, children=0, budget_currency="KZT",
    )
    before = timezone.now()
    response = client.post(url(Lead, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead = Lead.objects.exclude(pk=existing.pk).get()
    assert lead.position > existing.position
    assert lead.stage_changed_at >= before
    assert lead.sla_due_at == lead.stage_changed_at + dt.timedelta(hours=new_stage.sla_hours)
    assert lead.created_by == manager
    assert lead.assignee == agent
    change = LeadStageChange.objects.get(lead=lead)
    assert (change.from_stage, change.to_stage, change.changed_by) == (None, new_stage, manager)
    assert Activity.objects.filter(lead=lead, kind=ActivityKind.ASSIGNMENT, author=manager).exists()


def test_stage_chosen_in_the_change_form_moves_through_the_service(client, manager, leads):
    lead = leads["own"]
    target = default_stage("consultation")
    login(client, manager)
    data = form_data(client.get(url(Lead, "change", lead.pk)))
    data["stage"] = target.pk
    assert client.post(url(Lead, "change", lead.pk), data).status_code == 302
    lead.refresh_from_db()
    assert lead.stage == target
    assert LeadStageChange.objects.filter(lead=lead, from_stage=default_stage("new"), to_stage=target).exists()
    assert Activity.objects.filter(lead=lead, kind=ActivityKind.STAGE_CHANGE).exists()


def test_agent_cannot_hand_own_lead_to_a_colleague_in_the_form(client, agent, colleague, leads):
    lead = leads["own"]
    login(client, agent)
    data = form_data(client.get(url(Lead, "change", lead.pk)))
    data["assignee"] = colleague.pk
    data["notes"] = "Просит скидку"
    response = client.post(url(Lead, "change", lead.pk), data)
    assert response.status_code == 302 and response.url == url(Lead, "change", lead.pk)
    assert page_messages(client.get(response.url)) == [
        ("error", f"{lead}: Only a manager can assign this lead."), ("warning", "The other changes were saved."),
    ]
    lead.refresh_from_db()
    assert (lead.assignee, lead.notes) == (agent, "Просит скидку")
    assert not Activity.objects.filter(lead=lead).exists()


def test_manager_assigns_leads_with_the_action(client, manager, agent, leads):
    targets = [leads["free"], leads["colleague"]]
    response = run_action(login(client, manager), Lead, "assign_to", targets, assignee=agent.pk)
    assert response.status_code == 200
    for lead in targets:
        lead.refresh_from_db()
        assert lead.assignee == agent
        assert Activity.objects.filter(lead=lead, kind=ActivityKind.ASSIGNMENT, author=manager).count() == 1
    assert [level for level, _text in page_messages(response)] == ["success"]


def test_manager_moves_leads_with_the_action(client, manager, leads):
    target = default_stage("selection")
    targets = [leads["own"], leads["colleague"]]
    run_action(login(client, manager), Lead, "move_to_stage", targets, stage=target.pk)
    for lead in targets:
        lead.refresh_from_db()
        assert lead.stage == target
        assert LeadStageChange.objects.filter(lead=lead, to_stage=target, changed_by=manager).count() == 1
        assert Activity.objects.filter(lead=lead, kind=ActivityKind.STAGE_CHANGE, author=manager).count() == 1


def test_moving_to_lost_needs_a_reason(client, manager, leads):
    lost = default_stage("lost")
    lead = leads["own"]
    response = run_action(login(client, manager), Lead, "move_to_stage", [lead], stage=lost.pk)
    assert ("error", f"{lead}: Say why the lead was lost.") in page_messages(response)
    lead.refresh_from_db()
    assert lead.stage == default_stage("new")
    assert not LeadStageChange.objects.filter(lead=lead).exists()

    run_action(client, Lead, "move_to_stage", [lead], stage=lost.pk, lost_reason="Дорого")
    lead.refresh_from_db()
    assert (lead.stage, lead.lost_reason) == (lost, "Дорого")


def test_a_refused_lead_does_not_stop_the_others(client, manager, leads):
    other_pipeline = Pipeline.objects.create(name="Корпоративные", slug="corporate", position=2)
    foreign = LeadFactory(pipeline=other_pipeline, stage=Stage.objects.create(pipeline=other_pipeline, code="new", name="Новый"))
    target = default_stage("consultation")
    response = run_action(login(client, manager), Lead, "move_to_stage", [foreign, leads["own"]], stage=target.pk)
    levels = [level for level, _text in page_messages(response)]
    assert levels.count("error") == 1 and levels.count("success") == 1
    leads["own"].refresh_from_db()
    foreign.refresh_from_db()
    assert leads["own"].stage == target
    assert foreign.stage.pipeline == other_pipeline


def test_manager_deletes_a_lead_with_its_history_and_an_agent_cannot(client, manager, agent, leads):
    lead = leads["own"]
    LeadStageChangeFactory(lead=lead)
    TaskFactory(lead=lead, assignee=agent)
    login(client, agent)
    assert client.get(url(Lead, "delete", lead.pk)).status_code == 403
    login(client, manager)
    response = client.post(url(Lead, "delete", lead.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert not LeadStageChange.objects.filter(lead_id=lead.pk).exists()


def test_agent_takes_a_free_lead_but_not_a_colleagues(client, agent, leads):
    response = run_action(login(client, agent), Lead, "assign_to", [leads["free"]], assignee=agent.pk)
    leads["free"].refresh_from_db()
    assert leads["free"].assignee == agent
    # The colleague's lead is not in the agent's changelist, so the action never sees it.
    response = run_action(client, Lead, "assign_to", [leads["colleague"]], assignee=agent.pk)
    leads["colleague"].refresh_from_db()
    assert leads["colleague"].assignee.username == "dmitry"
    assert not Activity.objects.filter(lead=leads["colleague"]).exists()
    assert response.status_code == 200


# --- Orders: status through the service only ----------------------------------------------------


def status_post(client, order, **changes):
    data = form_data(client.get(url(Order, "change", order.pk)))
    data.update(changes)
    return client.post(url(Order, "change", order.pk), data)


def test_status_is_not_a_plain_field_of_the_order_form(client, manager):
    order = OrderFactory()
    response = login(client, manager).get(url(Order, "change", order.pk))
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert [value for value, _label in form.fields["new_status"].choices] == ["", "confirmed", "cancelled"]
    response = status_post(client, order, status="paid")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW


def test_agent_moves_own_order_through_the_service(client, agent):
    order = OrderFactory(assignee=agent)
    login(client, agent)
    assert status_post(client, order, new_status="confirmed", status_note="Оператор подтвердил").status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    log = OrderLog.objects.get(order=order)
    assert (log.from_status, log.to_status, log.changed_by, log.note) == ("new", "confirmed", agent, "Оператор подтвердил")


def test_accountant_records_payment_and_nothing_else(client, accountant):
    confirmed = OrderFactory(status=OrderStatus.CONFIRMED)
    new = OrderFactory(status=OrderStatus.NEW)
    login(client, accountant)

    response = client.get(url(Order, "change", confirmed.pk))
    form = response.context["adminform"].form
    assert set(form.fields) == {"new_status", "status_note"}
    assert [value for value, _label in form.fields["new_status"].choices] == ["", "paid"]

    assert status_post(client, confirmed, new_status="cancelled").status_code == 200
    confirmed.refresh_from_db()
    assert confirmed.status == OrderStatus.CONFIRMED

    response = status_post(client, confirmed, new_status="paid", price="1", hotel="Другой")
    assert response.status_code == 302
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.hotel, confirmed.price) == (OrderStatus.PAID, "Vinpearl Resort Nha Trang", 1850000)

    response = client.get(url(Order, "change", new.pk))
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    assert client.post(url(Order, "change", new.pk), {"new_status": "confirmed"}).status_code == 403

    response = run_action(client, Order, "mark_cancelled", [confirmed, new])
    assert [level for level, _text in page_messages(response)] == ["error", "error"]
    run_action(client, Order, "mark_completed", [confirmed])

    assert list(OrderLog.objects.values_list("order", "from_status", "to_status", "changed_by")) == [
        (confirmed.pk, "confirmed", "paid", accountant.pk)
    ]
    new.refresh_from_db()
    assert new.status == OrderStatus.NEW


def test_accountant_marks_orders_paid_in_bulk(client, accountant):
    orders = [OrderFactory(status=OrderStatus.CONFIRMED) for _ in range(2)]
    response = run_action(login(client, accountant), Order, "mark_paid", orders)
    assert [level for level, _text in page_messages(response)] == ["success"]
    assert OrderLog.objects.filter(to_status="paid", changed_by=accountant).count() == 2


def test_colleague_cannot_touch_an_agents_order(client, agent, colleague):
    order = OrderFactory(assignee=agent, status=OrderStatus.CONFIRMED)
    login(client, colleague)
    response = client.post(url(Order, "change", order.pk), {"new_status": "paid"})
    assert response.status_code == 302
    run_action(client, Order, "mark_paid", [order])
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert not OrderLog.objects.exists()


def test_agent_creates_an_order_with_status_new(client, agent):
    lead = LeadFactory(assignee=agent)
    login(client, agent)
    data = form_data(client.get(url(Order, "add")))
    data.update(
        client=lead.client_id, lead=lead.pk, assignee=agent.pk, hotel="Sheraton Nha Trang", date_from="2027-03-01",
        date_to="2027-03-11", nights=10, adults=2, children=0, price="1200", currency="USD", exchange_rate="520",
        price_kzt="624000", status="paid",
    )
    response = client.post(url(Order, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    order = Order.objects.get()
    assert (order.status, order.created_by, order.price_kzt) == (OrderStatus.NEW, agent, 624000)


# --- API log never shows a secret -----------------------------------------------------------


@override_settings(TELEGRAM_BOT_TOKEN="7012345678:AAH-very-secret-bot-token")
def test_api_log_never_shows_a_secret(client, superuser):
    entry = ApiLog.objects.create(
        service="samo", action="SearchTour_TOURS",
        request="GET https://samo.test/export/default.php?samo_action=api&oauth_token=0123456789abcdefSAMO\n"
                "Authorization: Bearer sk-live-abcdefghijklmnop",
        error="POST https://api.telegram.org/bot7012345678:AAH-very-secret-bot-token/sendMessage failed",
    )
    login(client, superuser)
    pages = client.get(url(ApiLog, "change", entry.pk)).content.decode()
    pages += client.get(url(ApiLog, "changelist")).content.decode()
    for secret in ("0123456789abcdefSAMO", "sk-live-abcdefghijklmnop", "AAH-very-secret-bot-token"):
        assert secret not in pages
    assert "SAMO" in pages  # the masked tail is kept, so the key can still be recognised
    assert client.get(url(ApiLog, "changelist"), {"q": "0123456789abcdefSAMO"}).context["cl"].result_count == 0


# --- Query counts -------------------------------------------------------------------------


def _tagged(obj):
    obj.tags.add(TagFactory(name="VIP"), TagFactory(name="Семья"))
    return obj


def _make_leads(n, agent):
    return [_tagged(LeadFactory(assignee=agent)) for _ in range(n)]


def _make_orders(n, agent):
    return [OrderFactory(assignee=agent, lead=LeadFactory(assignee=agent)) for _ in range(n)]


def _make_conversations(n, agent):
    return [ConversationFactory(assignee=agent, lead=LeadFactory(assignee=agent)) for _ in range(n)]


def _make_clients(n, agent):
    return [_tagged(ClientFactory(owner=agent)) for _ in range(n)]


def _make_tasks(n, agent):
    return [TaskFactory(assignee=agent) for _ in range(n)]


def _make_messages(n, agent):
    conversation = ConversationFactory(assignee=agent)
    return [MessageFactory(conversation=conversation) for _ in range(n)]


def _make_history(n, agent):
    order = OrderFactory(assignee=agent)
    for _ in range(n):
        LeadStageChangeFactory(lead=LeadFactory(assignee=agent))
        OrderLogFactory(order=order)
        ActivityFactory(lead=LeadFactory(assignee=agent))


def _make_alerts(n, agent):
    grant_view(agent, SlaBreach, Notification)
    for _ in range(n):
        breach = SlaBreachFactory(lead=LeadFactory(assignee=agent))
        NotificationFactory(user=agent, kind="sla_breach", lead=breach.lead, sla_breach=breach)


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("models, make", [
    ((Lead,), _make_leads),
    ((Order,), _make_orders),
    ((Conversation,), _make_conversations),
    ((Client,), _make_clients),
    ((Task,), _make_tasks),
    ((Message,), _make_messages),
    ((LeadStageChange, OrderLog, Activity), _make_history),
    ((SlaBreach, Notification), _make_alerts),
])
@pytest.mark.parametrize("who", ["agent", "manager"])
def test_changelist_queries_do_not_grow_with_rows(client, request, agent, who, models, make):
    login(client, request.getfixturevalue(who))
    make(3, agent)
    few = {model: count_queries(client, url(model, "changelist")) for model in models}
    make(27, agent)
    many = {model: count_queries(client, url(model, "changelist")) for model in models}
    assert many == few
    assert max(few.values()) <= 16, few


# --- CSV export ---------------------------------------------------------------------------


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_of_leads_has_headers_and_visible_rows_only(client, agent, leads):
    login(client, agent)
    response = client.post(url(Lead, "changelist"), {
        "action": "export_as_csv", ACTION_CHECKBOX_NAME: [lead.pk for lead in leads.values()], "index": 0,
    })
    header, *rows = read_csv(response)
    with translation.override("en"):
        expected = [capfirst(str(Lead._meta.get_field(name).verbose_name)) for name in ("id", "created_at", "client")]
    assert header[:3] == expected
    assert {int(row[0]) for row in rows} == {leads["own"].pk, leads["free"].pk}
    assert "Айжан Свой" in {row[2] for row in rows}
    assert str(leads["own"].client.phone) in {row[3] for row in rows}


def test_csv_export_across_all_pages_stays_within_visible_rows(client, agent, colleague):
    mine = OrderFactory(assignee=agent, hotel="=HYPERLINK(\"http://evil\")")
    OrderFactory(assignee=colleague)
    login(client, agent)
    response = client.post(url(Order, "changelist"), {
        "action": "export_as_csv", ACTION_CHECKBOX_NAME: [mine.pk], "select_across": 1, "index": 0,
    })
    _header, *rows = read_csv(response)
    assert [int(row[0]) for row in rows] == [mine.pk]
    assert rows[0][10].startswith("'=")


@pytest.mark.parametrize("model, make", [
    (Client, lambda agent: ClientFactory(owner=agent)),
    (Task, lambda agent: TaskFactory(assignee=agent)),
    (Conversation, lambda agent: ConversationFactory(assignee=agent)),
])
def test_csv_export_is_offered_on_the_working_lists(client, agent, colleague, model, make):
    mine, theirs = make(agent), make(colleague)
    login(client, agent)
    response = client.post(url(model, "changelist"), {
        "action": "export_as_csv", ACTION_CHECKBOX_NAME: [mine.pk, theirs.pk], "index": 0,
    })
    _header, *rows = read_csv(response)
    assert [int(row[0]) for row in rows] == [mine.pk]
