"""The board and the move endpoint, through the pages: rights (owner, colleague,
outsider and the other roles), filters, "show more", query counts, and every
kind of refused move leaving the lead as it was."""

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from crm.models import Activity, Lead, LeadStageChange, Pipeline, Stage
from crm.selectors import BOARD_PAGE_SIZE
from tests.crm.factories import ClientFactory, LeadFactory, OrderFactory, TagFactory, default_stage

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def board_ids(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-lead-id="(\d+)"', response.content.decode())}


def column_ids(response, stage) -> list[int]:
    """The cards of one column, in their order on the page."""
    html = response.content.decode()
    start = html.index(f'id="column-{stage.pk}"')
    end = html.find('<section class="board-column"', start + 1)
    return [int(pk) for pk in re.findall(r'data-lead-id="(\d+)"', html[start: end if end > 0 else None])]


@pytest.fixture
def leads(agent, colleague):
    return {
        "mine": LeadFactory(assignee=agent),
        "theirs": LeadFactory(assignee=colleague),
        "free": LeadFactory(assignee=None),
    }


def move(client, lead, stage, *, version=None, htmx=True, query="", **extra):
    data = {"stage": stage.pk if isinstance(stage, Stage) else stage,
            "version": lead.version if version is None else version, **extra}
    headers = HTMX if htmx else {}
    return client.post(f"/leads/{lead.pk}/move/{query}", data, headers=headers)


# --- Who sees the board ------------------------------------------------------------------


def test_agent_sees_own_and_unassigned_cards_only(client, agent, leads):
    client.force_login(agent)
    response = client.get("/leads/")
    assert response.status_code == 200
    assert board_ids(response) == {leads["mine"].pk, leads["free"].pk}
    stages = Stage.objects.filter(pipeline__slug="default")
    content = response.content.decode()
    assert all(f'data-stage-id="{stage.pk}"' in content for stage in stages)
    assert "vendor/sortablejs-1.15.7/Sortable.min.js" in content


def test_colleague_sees_theirs_and_unassigned(client, colleague, leads):
    client.force_login(colleague)
    assert board_ids(client.get("/leads/")) == {leads["theirs"].pk, leads["free"].pk}


@pytest.mark.parametrize("person", ["manager", "admin_user", "superuser", "accountant"])
def test_managers_admins_and_accountants_see_every_card(client, request, person, leads):
    client.force_login(request.getfixturevalue(person))
    assert board_ids(client.get("/leads/")) == {lead.pk for lead in leads.values()}


def test_accountant_reads_the_board_without_moving_or_creating(client, accountant, leads):
    client.force_login(accountant)
    content = client.get("/leads/").content.decode()
    assert "data-sortable" not in content
    assert 'id="move-modal"' not in content
    assert 'href="/leads/new/"' not in content
    assert client.get("/leads/new/").status_code == 403


def test_outsider_is_refused_and_anonymous_goes_to_login(client, outsider, leads):
    client.force_login(outsider)
    assert client.get("/leads/").status_code == 403
    client.logout()
    assert client.get("/leads/")["Location"] == "/accounts/login/?next=/leads/"


def test_card_shows_client_trip_budget_sla_score_and_tags(client, manager, agent):
    lead = LeadFactory(assignee=agent, budget=Decimal("1850000"), ai_score=82, children=1, children_ages=[5])
    lead.tags.add(TagFactory(name="Новый год"))
    client.force_login(manager)
    content = client.get("/leads/", headers={"Accept-Language": "en"}).content.decode()
    card = content[content.index(f'data-lead-id="{lead.pk}"'):]
    card = card[: card.index("</article>")]
    assert lead.client.full_name in card
    assert "Нячанг" in card
    assert "1\u202f850\u202f000\u00a0₸" in card
    assert "2 + 1" in card
    assert "AI 82" in card
    assert "Новый год" in card
    assert "left" in card  # the SLA of the first stage is still running
    assert "АС" in card or agent.first_name[0] in card


# --- Filters -------------------------------------------------------------------------------


def test_filters_narrow_the_board_and_stay_in_the_form(client, manager, agent, colleague):
    nhatrang = LeadFactory(assignee=agent, destination_resort="Нячанг", source="telegram")
    phuquoc = LeadFactory(assignee=colleague, destination_resort="Фукуок", source="whatsapp")
    free = LeadFactory(assignee=None, destination_resort="Дананг", source="telegram",
                       client=ClientFactory(full_name="Гаухар Омарова", phone="+77071234567"))
    tag = TagFactory(name="VIP")
    phuquoc.tags.add(tag)
    client.force_login(manager)

    assert board_ids(client.get("/leads/?q=фукуок")) == {phuquoc.pk}
    assert board_ids(client.get("/leads/?q=Омарова")) == {free.pk}
    assert board_ids(client.get("/leads/?q=8 707 123 45 67")) == {free.pk}
    assert board_ids(client.get("/leads/?q=1234567")) == {free.pk}
    assert board_ids(client.get("/leads/?channel=telegram")) == {nhatrang.pk, free.pk}
    assert board_ids(client.get(f"/leads/?tag={tag.pk}")) == {phuquoc.pk}
    assert board_ids(client.get("/leads/?assignee=none")) == {free.pk}
    assert board_ids(client.get(f"/leads/?assignee={colleague.pk}")) == {phuquoc.pk}
    assert board_ids(client.get("/leads/?assignee=anything&channel=fax&tag=x")) == {nhatrang.pk, phuquoc.pk, free.pk}

    content = client.get("/leads/?q=Омарова&channel=telegram").content.decode()
    assert 'name="q" value="Омарова"' in content
    assert '<option value="telegram" selected>' in content


def test_odd_filter_values_are_ignored_not_a_server_error(client, manager, agent):
    """A NUL in the search (PostgreSQL cannot compare it) and digits int() cannot
    read ("²") were 500s."""
    lead = LeadFactory(assignee=agent, destination_resort="Фукуок")
    client.force_login(manager)
    assert board_ids(client.get("/leads/?q=%00")) == {lead.pk}
    assert board_ids(client.get("/leads/?q=фук%00уок")) == {lead.pk}
    assert board_ids(client.get("/leads/?tag=²&assignee=²")) == {lead.pk}
    assert client.get(f"/leads/column/{lead.stage_id}/?q=%00&tag=²", headers=HTMX).status_code == 200


def test_mine_filter_for_an_agent(client, agent, leads):
    client.force_login(agent)
    assert board_ids(client.get("/leads/?assignee=me")) == {leads["mine"].pk}


def test_htmx_filter_answers_with_the_columns_only(client, agent, leads):
    client.force_login(agent)
    response = client.get("/leads/?assignee=me", headers=HTMX)
    content = response.content.decode()
    assert "<html" not in content
    assert 'class="board-column"' in content
    assert board_ids(response) == {leads["mine"].pk}


# --- Columns, counts, "show more", query count ------------------------------------------


def bulk_leads(count: int, *, stage_codes=("new", "consultation", "selection", "paid", "lost"), assignee=None):
    pipeline = Pipeline.objects.get(slug="default")
    stages = [default_stage(code) for code in stage_codes]
    start = Lead.objects.count()
    clients = ClientFactory._meta.model.objects.bulk_create([
        ClientFactory.build(phone=f"+7702{start + n:07d}", email=f"bulk{start + n}@example.kz") for n in range(count)
    ])
    tag = TagFactory(name="Bulk")
    rows = Lead.objects.bulk_create([
        Lead(client=client, pipeline=pipeline, stage=stages[n % len(stages)], position=float(n), assignee=assignee,
             destination_resort="Нячанг", budget=Decimal("1000000"), adults=2)
        for n, client in enumerate(clients)
    ])
    Lead.tags.through.objects.bulk_create([Lead.tags.through(lead_id=lead.pk, tag_id=tag.pk) for lead in rows[::3]])
    return rows


def board_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/leads/")
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("person", ["manager", "agent"])
def test_board_query_count_is_the_same_for_100_and_2000_leads(client, request, person):
    user = request.getfixturevalue(person)
    client.force_login(user)
    bulk_leads(100, assignee=user if person == "agent" else None)
    small = board_queries(client)
    bulk_leads(1900, assignee=user if person == "agent" else None)
    large = board_queries(client)
    assert small == large
    # The board's own seven (pipelines, stages, totals, cards, their tags, the tag and
    # people filters) and the layout's (session, user, roles, permissions, the
    # navigation's badges, the role badge).
    assert large <= 15


def test_columns_show_counts_totals_and_the_first_fifty_then_more(client, manager):
    rows = bulk_leads(120, stage_codes=("new",))
    new = default_stage("new")
    client.force_login(manager)
    response = client.get("/leads/")
    content = response.content.decode()
    first = column_ids(response, new)
    assert first == [lead.pk for lead in rows[:BOARD_PAGE_SIZE]]
    head = content[content.index(f'id="column-head-{new.pk}"'):]
    assert "<span class=\"board-count\" data-count>120</span>" in head[:600]
    assert "120\u202f000\u202f000\u00a0₸" in head[:800]

    more = re.search(rf'hx-get="(/leads/column/{new.pk}/\?after=[^"]+)"', content).group(1).replace("&amp;", "&")
    page2 = client.get(more, headers=HTMX)
    assert board_ids(page2) == {lead.pk for lead in rows[50:100]}
    more = re.search(rf'hx-get="(/leads/column/{new.pk}/\?after=[^"]+)"', page2.content.decode()).group(1)
    page3 = client.get(more.replace("&amp;", "&"), headers=HTMX)
    assert board_ids(page3) == {lead.pk for lead in rows[100:]}
    assert "hx-get" not in page3.content.decode().split('id="more-')[1]

    without_js = client.get(more.replace("&amp;", "&"))
    assert "<html" in without_js.content.decode() and board_ids(without_js) == {lead.pk for lead in rows[100:]}


def test_show_more_keeps_rights_and_filters(client, agent, colleague):
    new = default_stage("new")
    mine = bulk_leads(60, stage_codes=("new",), assignee=agent)
    bulk_leads(30, stage_codes=("new",), assignee=colleague)
    client.force_login(agent)
    last = mine[49]
    page = client.get(f"/leads/column/{new.pk}/?after={last.position!r}:{last.pk}", headers=HTMX)
    assert board_ids(page) == {lead.pk for lead in mine[50:]}


# --- Moving -------------------------------------------------------------------------------


def test_agent_drags_own_card_to_another_column_between_two_cards(client, agent):
    consultation = default_stage("consultation")
    upper, lower = LeadFactory(assignee=agent, stage=consultation), LeadFactory(assignee=agent, stage=consultation)
    lead = LeadFactory(assignee=agent)
    client.force_login(agent)

    response = move(client, lead, consultation, before=upper.pk, after=lower.pk, source="drag")

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage == consultation and lead.version == 2
    assert upper.position < lead.position < lower.position
    content = response.content.decode()
    assert f'id="lead-{lead.pk}"' in content and 'data-version="2"' in content
    assert f'id="column-head-{consultation.pk}" hx-swap-oob="true"' in content
    assert f'id="column-head-{default_stage("new").pk}" hx-swap-oob="true"' in content
    change = LeadStageChange.objects.get(lead=lead, from_stage__isnull=False)
    assert (change.from_stage.code, change.to_stage, change.changed_by) == ("new", consultation, agent)
    assert Activity.objects.filter(lead=lead, kind="stage_change", author=agent).count() == 1
    assert lead.sla_due_at is not None
    board = client.get("/leads/")
    assert column_ids(board, consultation) == [upper.pk, lead.pk, lower.pk]


def test_reorder_within_a_column_changes_only_the_order(client, agent):
    first, second, third = (LeadFactory(assignee=agent) for _ in range(3))
    client.force_login(agent)
    response = move(client, third, default_stage("new"), before="", after=first.pk, source="drag")
    assert response.status_code == 200
    assert column_ids(client.get("/leads/"), default_stage("new")) == [third.pk, first.pk, second.pk]
    assert not LeadStageChange.objects.filter(lead=third).exists()


def move_queries(client, lead, stage, **extra) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = move(client, lead, stage, source="drag", **extra)
    assert response.status_code == 200, response.content
    transaction_control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    statements = [q for q in queries.captured_queries if not q["sql"].startswith(transaction_control)]
    return len(statements), response.content.decode()


@pytest.mark.parametrize("person", ["manager", "agent"])
def test_a_drag_costs_the_same_few_queries_for_100_and_2000_leads_and_draws_only_what_changed(client, request,
                                                                                              person):
    user = request.getfixturevalue(person)
    client.force_login(user)
    rows = bulk_leads(100, assignee=user)
    new, consultation = default_stage("new"), default_stage("consultation")
    lead = Lead.objects.filter(pk__in=[row.pk for row in rows], stage=new).first()

    few, content = move_queries(client, lead, consultation)
    bulk_leads(1900, assignee=user)
    lead.refresh_from_db()
    many, _content = move_queries(client, lead, new)

    # session, user, roles; the lead and the stage; the column's hold, the lead's lock, the
    # column's end, the update, the history and the timeline; the card and its tags; both
    # columns' totals (an agent's right to the lead is one more).
    assert few == many <= 15
    assert content.count("<article") == 1 and f'id="lead-{lead.pk}"' in content
    assert content.count('class="board-column-head"') == 2
    assert "board-cards" not in content  # no column's cards are drawn again

    lead.refresh_from_db()
    neighbour = Lead.objects.filter(stage=new).exclude(pk=lead.pk).order_by("position").first()
    _count, content = move_queries(client, lead, new, after=neighbour.pk)
    assert content.count("<article") == 1 and "board-column-head" not in content  # the column's totals stay


def test_menu_move_puts_the_card_on_top_and_answers_with_both_columns(client, manager, agent):
    offer = default_stage("offer")
    existing = LeadFactory(stage=offer)
    lead = LeadFactory(assignee=agent)
    client.force_login(manager)
    response = move(client, lead, offer, source="menu")
    assert response.status_code == 200
    content = response.content.decode()
    assert f'id="column-{offer.pk}"' in content and f'id="column-{default_stage("new").pk}"' in content
    assert column_ids(client.get("/leads/"), offer) == [lead.pk, existing.pk]


def test_move_without_javascript_redirects_with_a_message(client, agent):
    lead = LeadFactory(assignee=agent)
    client.force_login(agent)
    response = move(client, lead, default_stage("selection"), htmx=False, source="card")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert lead.stage.code == "selection"


def assert_unchanged(lead):
    before = (lead.stage_id, lead.version, lead.position)
    lead.refresh_from_db()
    assert (lead.stage_id, lead.version, lead.position) == before
    assert not LeadStageChange.objects.filter(lead=lead).exists()


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("unknown stage", 422, "There is no such stage."),
        ("no stage", 422, "Choose a stage."),
        ("other pipeline", 422, "The stage belongs to another pipeline."),
        ("stale version", 409, "Someone else has changed this lead meanwhile"),
        ("lost without reason", 422, "Say why the lead was lost."),
        ("won without order", 422, "add an order to this lead first"),
    ],
)
def test_bad_moves_answer_clearly_and_change_nothing(client, agent, case, status, message):
    lead = LeadFactory(assignee=agent)
    other = Pipeline.objects.create(name="Корпоративы", slug="corporate")
    stage = {
        "unknown stage": 999_999,
        "no stage": "",
        "other pipeline": Stage.objects.create(pipeline=other, code="new", name="Новый"),
        "stale version": default_stage("consultation"),
        "lost without reason": default_stage("lost"),
        "won without order": default_stage("paid"),
    }[case]
    version = lead.version - 1 if case == "stale version" else lead.version
    client.force_login(agent)

    response = client.post(f"/leads/{lead.pk}/move/", {"stage": getattr(stage, "pk", stage), "version": version,
                                                       "source": "drag", "lost_reason": "  "},
                           headers={**HTMX, "Accept-Language": "en"})

    assert response.status_code == status
    content = response.content.decode()
    assert message in content
    assert 'hx-swap-oob="afterbegin:#toast-area"' in content
    assert f'id="column-{lead.stage_id}" ' in content  # the fresh column comes back
    assert response["HX-Reswap"] == "none"
    assert_unchanged(lead)


def test_refused_move_without_javascript_shows_the_message(client, agent):
    lead = LeadFactory(assignee=agent)
    client.force_login(agent)
    response = client.post(f"/leads/{lead.pk}/move/", {"stage": default_stage("lost").pk, "version": 1},
                           headers={"Accept-Language": "en"}, follow=True)
    assert "Say why the lead was lost." in response.content.decode()
    assert_unchanged(lead)


def test_moves_to_lost_with_a_reason_and_to_won_with_an_order(client, agent):
    lost_lead, won_lead = LeadFactory(assignee=agent), LeadFactory(assignee=agent)
    OrderFactory(lead=won_lead)
    client.force_login(agent)
    assert move(client, lost_lead, default_stage("lost"), lost_reason="Дорого").status_code == 200
    assert move(client, won_lead, default_stage("paid")).status_code == 200
    lost_lead.refresh_from_db()
    won_lead.refresh_from_db()
    assert (lost_lead.stage.code, lost_lead.lost_reason, lost_lead.sla_due_at) == ("lost", "Дорого", None)
    assert won_lead.stage.code == "paid"


def test_a_cancelled_order_does_not_make_a_lead_won(client, agent):
    lead = LeadFactory(assignee=agent)
    OrderFactory(lead=lead, status="cancelled")
    client.force_login(agent)
    assert move(client, lead, default_stage("paid")).status_code == 422
    assert_unchanged(lead)


def test_agent_cannot_move_a_colleagues_card_404(client, agent, leads):
    client.force_login(agent)
    response = move(client, leads["theirs"], default_stage("offer"))
    assert response.status_code == 404
    assert_unchanged(leads["theirs"])


def test_outsider_gets_404_and_accountant_403(client, outsider, accountant, leads):
    client.force_login(outsider)
    assert move(client, leads["free"], default_stage("offer")).status_code == 404
    client.force_login(accountant)
    response = move(client, leads["free"], default_stage("offer"), source="drag")
    assert response.status_code == 403
    assert_unchanged(leads["free"])


def test_manager_moves_anyones_card(client, manager, leads):
    client.force_login(manager)
    assert move(client, leads["theirs"], default_stage("offer")).status_code == 200


def test_move_is_post_only(client, agent, leads):
    client.force_login(agent)
    assert client.get(f"/leads/{leads['mine'].pk}/move/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_moves_with_the_same_version_exactly_one_wins(agent, manager):
    lead = LeadFactory(assignee=agent)
    targets = {"agent": default_stage("consultation"), "manager": default_stage("selection")}
    barrier = threading.Barrier(2)
    responses = {}

    def mover(name, user):
        http = HttpClient()
        http.force_login(user)
        barrier.wait()
        responses[name] = move(http, lead, targets[name], version=1, source="drag")
        connections.close_all()

    threads = [threading.Thread(target=mover, args=args) for args in (("agent", agent), ("manager", manager))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(response.status_code for response in responses.values())
    assert statuses == [200, 409]
    lead.refresh_from_db()
    winner = next(name for name, response in responses.items() if response.status_code == 200)
    assert lead.stage == targets[winner] and lead.version == 2
    assert LeadStageChange.objects.filter(lead=lead, from_stage__isnull=False).count() == 1
    loser = next(response for response in responses.values() if response.status_code == 409)
    assert f'id="column-{targets[winner].pk}"' in loser.content.decode()
