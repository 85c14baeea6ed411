from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm import services
from crm.models import Activity, LeadStageChange, OrderLog
from tests.crm.factories import ClientFactory, LeadFactory, OrderFactory, default_stage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "raw", ["+7 701 123 45 67", "87011234567", "8 (701) 123-45-67", "+77011234567", "7011234567"]
)
def test_phone_normalize_gives_e164(raw):
    assert services.phone_normalize(raw) == "+77011234567"


@pytest.mark.parametrize("raw", ["12", "не телефон", "+7 701 123"])
def test_phone_normalize_refuses_what_is_not_a_phone(raw):
    with pytest.raises(ValidationError):
        services.phone_normalize(raw)


def test_client_find_matches_any_normalised_identifier():
    client = ClientFactory(phone="+77011234567", email="ivan@mail.kz", telegram_id=555, whatsapp_id="77015550011")
    assert services.client_find(phone="8 701 123 45 67") == client
    assert services.client_find(email=" IVAN@mail.KZ ") == client
    assert services.client_find(telegram_id=555) == client
    assert services.client_find(whatsapp_id="+7 701 555-00-11") == client
    assert services.client_find(phone="+77019999999", email="other@mail.kz") is None


def test_lead_create_enters_the_first_stage_with_history_and_sla(agent, outsider):
    first = default_stage("new")
    lead = services.lead_create(lead=LeadFactory.build(client=ClientFactory(), stage=None), user=agent)
    assert lead.pk and lead.stage == first and lead.created_by == agent
    assert abs((lead.sla_due_at - lead.stage_changed_at).total_seconds() - first.sla_hours * 3600) < 1
    second = services.lead_create(lead=LeadFactory.build(client=lead.client, stage=None), user=agent)
    assert second.position > lead.position
    assert LeadStageChange.objects.get(lead=lead).from_stage is None
    assert Activity.objects.filter(lead=lead, kind="system").exists()
    with pytest.raises(PermissionDenied):
        services.lead_create(lead=LeadFactory.build(client=lead.client), user=outsider)


def test_lead_move_records_history_timeline_and_sla(agent):
    lead = LeadFactory(assignee=agent)
    consultation = default_stage("consultation")
    before = timezone.now()
    moved = services.lead_move(lead=lead, stage=consultation, user=agent, expected_version=lead.version)
    assert moved.stage == consultation and moved.version == lead.version + 1
    assert moved.stage_changed_at >= before
    assert abs((moved.sla_due_at - moved.stage_changed_at).total_seconds() - consultation.sla_hours * 3600) < 1
    change = LeadStageChange.objects.get(lead=lead)
    assert (change.from_stage.code, change.to_stage.code, change.changed_by) == ("new", "consultation", agent)
    assert Activity.objects.filter(lead=lead, kind="stage_change").count() == 1


def test_lead_move_with_a_stale_version_changes_nothing(agent, colleague):
    lead = LeadFactory(assignee=None)
    services.lead_move(lead=lead, stage=default_stage("consultation"), user=colleague, expected_version=1)
    with pytest.raises(ValidationError) as error:
        services.lead_move(lead=lead, stage=default_stage("selection"), user=agent, expected_version=1)
    assert error.value.code == "stale"
    lead.refresh_from_db()
    assert lead.stage.code == "consultation" and LeadStageChange.objects.count() == 1


def test_lead_move_to_lost_needs_a_reason(agent):
    lead = LeadFactory(assignee=agent)
    with pytest.raises(ValidationError):
        services.lead_move(lead=lead, stage=default_stage("lost"), user=agent, lost_reason="  ")
    moved = services.lead_move(lead=lead, stage=default_stage("lost"), user=agent, lost_reason="Дорого")
    assert moved.lost_reason == "Дорого" and moved.sla_due_at is None


def test_lead_move_refused_for_colleague_and_accountant(colleague, accountant, agent):
    lead = LeadFactory(assignee=agent)
    for user in (colleague, accountant):
        with pytest.raises(PermissionDenied):
            services.lead_move(lead=lead, stage=default_stage("offer"), user=user)
    lead.refresh_from_db()
    assert lead.stage.code == "new"


def test_agent_takes_free_lead_but_cannot_reassign(agent, colleague, manager):
    lead = LeadFactory(assignee=None)
    services.lead_assign(lead=lead, assignee=agent, user=agent)
    with pytest.raises(PermissionDenied):
        services.lead_assign(lead=lead, assignee=agent, user=colleague)
    with pytest.raises(PermissionDenied):
        services.lead_assign(lead=lead, assignee=colleague, user=agent)
    services.lead_assign(lead=lead, assignee=colleague, user=manager)
    lead.refresh_from_db()
    assert lead.assignee == colleague
    assert Activity.objects.filter(lead=lead, kind="assignment").count() == 2


def test_order_status_flow_is_logged(agent):
    order = OrderFactory(lead=LeadFactory(assignee=agent))
    for status in ("confirmed", "paid", "completed"):
        services.order_set_status(order=order, status=status, user=agent)
    log = list(OrderLog.objects.filter(order=order).order_by("changed_at", "id").values_list("from_status", "to_status"))
    assert log == [("new", "confirmed"), ("confirmed", "paid"), ("paid", "completed")]
    with pytest.raises(ValidationError):
        services.order_set_status(order=order, status="cancelled", user=agent)


def test_accountant_only_records_payment(accountant, agent):
    order = OrderFactory(lead=LeadFactory(assignee=agent))
    with pytest.raises(PermissionDenied):
        services.order_set_status(order=order, status="confirmed", user=accountant)
    order = services.order_set_status(order=order, status="confirmed", user=agent)
    assert services.order_status_transitions_for(order=order, user=accountant) == ["paid"]
    services.order_set_status(order=order, status="paid", user=accountant, note="Kaspi перевод")
    with pytest.raises(PermissionDenied):
        services.order_set_status(order=order, status="cancelled", user=accountant)
    order.refresh_from_db()
    assert order.status == "paid"
    assert OrderLog.objects.filter(order=order, changed_by=accountant, note="Kaspi перевод").count() == 1


def test_order_create_converts_the_price_and_logs_the_first_status(agent, colleague):
    lead = LeadFactory(assignee=agent)
    order = services.order_create(
        order=OrderFactory.build(lead=lead, client=lead.client, assignee=None, currency="USD", price=Decimal("3120.50"),
                                 exchange_rate=Decimal("518.42"), price_kzt=None, status="paid"),
        user=agent,
    )
    assert order.status == "new" and order.assignee == agent and order.created_by == agent
    assert order.price_kzt == Decimal("1617730")  # 3120.50 × 518.42 = 1,617,729.61, to the whole tenge
    assert list(OrderLog.objects.filter(order=order).values_list("from_status", "to_status")) == [("", "new")]
    assert Activity.objects.filter(lead=lead, kind="order").count() == 1
    with pytest.raises(PermissionDenied):
        services.order_create(order=OrderFactory.build(lead=lead, client=lead.client), user=colleague)
    with pytest.raises(ValidationError):
        services.order_create(order=OrderFactory.build(lead=lead, client=ClientFactory()), user=agent)
