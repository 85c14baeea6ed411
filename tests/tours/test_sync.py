"""The SAMO preload: ``samo_sync`` by hand and the Celery job in a real worker."""

import pytest
import redis
from django.core.management import CommandError, call_command

from tests.liveserver import celery_worker, task_sender
from tests.tours.conftest import ALMATY, ASTANA, USD, VIETNAM
from tours.models import SamoCache, SamoSyncRun
from tours.services.search import default_query

WORKER_REDIS_URL = "redis://127.0.0.1:6379/6"
DIRECTION_ACTIONS = {"SearchTour_TOWNS", "SearchTour_HOTELS", "SearchTour_MEALS", "SearchTour_STARS",
                     "SearchTour_CURRENCIES", "SearchTour_CHECKIN"}


def cached_actions() -> dict[str, int]:
    counts = {}
    for action in SamoCache.objects.values_list("action", flat=True):
        counts[action] = counts.get(action, 0) + 1
    return counts


def default_search(town_from: int) -> dict:
    query = default_query(town_from=town_from, state=VIETNAM, currency=USD)
    return {"town_from": town_from, "state": VIETNAM, "checkin_beg": query.checkin_beg.isoformat(),
            "checkin_end": query.checkin_end.isoformat(), "nights_from": query.nights_from,
            "nights_till": query.nights_till, "adults": query.adults, "children": 0}


def assert_preloaded(fake_samo) -> None:
    counts = cached_actions()
    assert counts["SearchTour_TOWNFROMS"] == 1
    assert counts["SearchTour_STATES"] == 2  # Almaty and Astana
    for action in DIRECTION_ACTIONS:
        assert counts[action] == 2, action  # × Vietnam
    assert "SearchTour_STATES" in fake_samo.state.calls


@pytest.mark.django_db
def test_samo_sync_preloads_reference_data_for_the_configured_cities_and_countries(fake_samo, capsys):
    call_command("samo_sync")

    assert_preloaded(fake_samo)
    assert "SearchTour_PRICES" not in cached_actions()
    run = SamoSyncRun.objects.get()
    assert run.ok and run.trigger == "command" and run.fetched == 15
    assert "15 answer(s) cached, 0 failure(s)" in capsys.readouterr().out


@pytest.mark.django_db
def test_samo_sync_with_prices_warms_the_default_search_so_it_needs_no_samo_call(client, fake_samo, agent):
    call_command("samo_sync", "--prices")
    assert cached_actions()["SearchTour_PRICES"] == 2
    calls = fake_samo.state.total

    client.force_login(agent)
    data = client.get("/api/v1/tours/search/", default_search(ASTANA)).json()

    assert data["results"] and data["cached"] is True
    assert fake_samo.state.total == calls


@pytest.mark.django_db
def test_failures_are_recorded_for_admins(fake_samo, settings, capsys):
    settings.SAMO_DEPARTURE_CITIES = ["Almaty", "Shymkent"]
    call_command("samo_sync")
    run = SamoSyncRun.objects.get()
    assert not run.ok
    assert [f["error"] for f in run.failures] == ["departure city “Shymkent” is not offered by SAMO"]

    fake_samo.state.mode = "500"
    settings.SAMO_RETRIES = 0
    with pytest.raises(CommandError, match="Nothing could be fetched from SAMO"):
        call_command("samo_sync")
    failed = SamoSyncRun.objects.first()
    assert failed.failures[0]["action"] == "SearchTour_TOWNFROMS"
    assert "SAMO server fault (HTTP 500)" in failed.failures[0]["error"] or "HTTP 500" in failed.failures[0]["error"]
    assert "SearchTour_TOWNFROMS" in capsys.readouterr().err


@pytest.mark.django_db
def test_sync_runs_are_visible_to_admins(client, fake_samo, settings, admin_user):
    settings.SAMO_COUNTRIES = ["Vietnam", "Mars"]
    call_command("samo_sync")
    client.force_login(admin_user)

    changelist = client.get("/admin/tours/samosyncrun/")
    console = client.get("/tours/console/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert changelist.status_code == 200
    assert "country “Mars” is not offered from" in console


@pytest.mark.worker
@pytest.mark.slow
def test_the_preload_job_runs_in_a_real_celery_worker_and_fills_the_cache(subprocess_database_url, fake_samo, client,
                                                                          agent):
    redis.Redis.from_url(WORKER_REDIS_URL).flushdb()
    env = {"DATABASE_URL": subprocess_database_url, "REDIS_URL": WORKER_REDIS_URL, "CELERY_TASK_ALWAYS_EAGER": "0",
           "SAMO_API_URL": fake_samo.url, "SAMO_OAUTH_TOKEN": "local-demo-token-0000"}
    sender = task_sender(WORKER_REDIS_URL)

    with celery_worker(env, name="samo-preload-test@%h"):
        outcome = sender.send_task("tours.samo_preload", kwargs={"prices": True}).get(timeout=90)

    run = SamoSyncRun.objects.get()
    assert outcome == {"run": run.pk, "fetched": 17, "failures": 0}
    assert run.trigger == "schedule" and run.with_prices and run.ok
    assert_preloaded(fake_samo)
    assert cached_actions()["SearchTour_PRICES"] == 2
    calls = fake_samo.state.total

    client.force_login(agent)
    data = client.get("/api/v1/tours/search/", default_search(ALMATY)).json()
    assert data["results"] and data["cached"] is True
    assert fake_samo.state.total == calls  # what the worker fetched, the web serves without SAMO
