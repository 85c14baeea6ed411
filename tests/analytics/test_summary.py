"""The written summary: plain rules without a model; with one (a local
OpenAI-compatible server), written once per set of figures by the Celery task,
given only the computed figures, and refused for any number not among them —
the plain summary stands in whenever the model fails."""

import datetime as dt
import json
import os
from decimal import Decimal

import pytest
from django.utils import translation

from analytics.models import PeriodSummary
from analytics.selectors import Filters, Period, Scope
from analytics.selectors.dashboard import dashboard_figures
from analytics.summary import summary_figures, summary_key
from integrations.models import ApiLog
from tests.analytics.factories import at
from tests.crm.factories import OrderFactory
from tests.integrations.openai.server import KEY

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def figures_of(request: dict) -> dict:
    return json.loads(request["messages"][1]["content"])


def faithful(request: dict) -> str:
    """A model that copies figures as told."""
    values = {figure["key"]: figure for figure in figures_of(request)["figures"]}
    revenue = values["revenue_kzt"]
    text = f"Revenue reached {revenue['value']} ({revenue['change']}), from {values['orders']['value']} orders."
    return json.dumps({"summary": text})


@pytest.fixture
def march_sales(db):
    OrderFactory(price_kzt=Decimal("1000000"), created_at=at(dt.date(2026, 3, 10)))
    OrderFactory(price_kzt=Decimal("2000000"), created_at=at(dt.date(2026, 3, 12)))
    OrderFactory(price_kzt=Decimal("1500000"), created_at=at(dt.date(2026, 2, 12)))


def dashboard(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/analytics/", MARCH, **EN)
    assert response.status_code == 200
    return response.content.decode()


def test_without_a_model_the_plain_summary_speaks_of_the_page_figures(client, manager, march_sales, settings):
    settings.OPENAI_API_KEY = ""
    client.force_login(manager)
    html = client.get("/analytics/", MARCH, **EN).content.decode()
    assert 'data-summary="rules"' in html
    assert "revenue 3,000,000\u00a0₸ (+100.0\u00a0% against 1,500,000\u00a0₸ before) from 2 orders" in html
    assert "no model is configured" in html and not PeriodSummary.objects.exists()


def test_the_model_writes_it_once_from_the_figures_alone(client, manager, march_sales, fake_openai,
                                                         django_capture_on_commit_callbacks):
    fake_openai.reply = faithful
    client.force_login(manager)

    first = dashboard(client, django_capture_on_commit_callbacks)  # asks the task, shows the plain one meanwhile
    again = dashboard(client, django_capture_on_commit_callbacks)

    assert 'data-summary="pending"' in first
    assert 'data-summary="model"' in again
    assert "Revenue reached 3,000,000\u00a0₸ (+100.0\u00a0%), from 2 orders." in again
    assert len(fake_openai.requests) == 1  # cached for these figures
    sent = fake_openai.requests[0]["json"]
    summary = PeriodSummary.objects.get()
    assert figures_of(sent) == summary.figures  # nothing but the computed figures
    assert {figure["key"] for figure in summary.figures["figures"]} >= {"revenue_kzt", "conversion_rate", "nps"}
    assert "copied exactly" in sent["messages"][0]["content"]
    assert summary.status == PeriodSummary.Status.READY and summary.attempts == 1


def test_new_figures_get_a_new_summary(client, manager, march_sales, fake_openai,
                                       django_capture_on_commit_callbacks):
    fake_openai.reply = faithful
    client.force_login(manager)
    dashboard(client, django_capture_on_commit_callbacks)
    OrderFactory(price_kzt=Decimal("700000"), created_at=at(dt.date(2026, 3, 20)))
    html = dashboard(client, django_capture_on_commit_callbacks)
    assert 'data-summary="pending"' in html and PeriodSummary.objects.count() == 2


def test_a_number_the_figures_do_not_hold_is_refused(client, manager, march_sales, fake_openai,
                                                     django_capture_on_commit_callbacks):
    fake_openai.reply = lambda request: json.dumps({"summary": "Revenue grew to 3,500,000 ₸, up 12%."})
    client.force_login(manager)
    dashboard(client, django_capture_on_commit_callbacks)
    html = dashboard(client, django_capture_on_commit_callbacks)
    summary = PeriodSummary.objects.get()
    assert summary.status == PeriodSummary.Status.FAILED and "3,500,000" in summary.error and "12" in summary.error
    assert 'data-summary="failed"' in html and "3,500,000" not in html
    assert "revenue 3,000,000" in html  # the plain summary stands in


@pytest.mark.parametrize(("mode", "calls"), [("malformed", 1), ("garbage", 1), ("401", 1), ("429", 2), ("500", 2),
                                             ("timeout", 2)])
def test_when_the_model_fails_the_plain_summary_stays(client, manager, march_sales, fake_openai, settings,
                                                      django_capture_on_commit_callbacks, mode, calls):
    settings.ANALYTICS_SUMMARY_RETRIES = 1  # transient failures: tried once more (at once, tasks run eagerly here)
    settings.OPENAI_TIMEOUT = 0.3
    fake_openai.mode, fake_openai.delay = mode, 1.0
    client.force_login(manager)

    dashboard(client, django_capture_on_commit_callbacks)
    html = dashboard(client, django_capture_on_commit_callbacks)

    summary = PeriodSummary.objects.get()
    assert summary.status == PeriodSummary.Status.FAILED and summary.attempts == calls
    assert len(fake_openai.requests) == calls and ApiLog.objects.filter(service="openai", ok=False).count() == calls
    assert 'data-summary="failed"' in html and "revenue 3,000,000" in html


def test_the_summary_part_is_polled_by_its_key_with_the_readers_rights(client, manager, outsider, march_sales,
                                                                       fake_openai):
    client.force_login(manager)
    html = client.get("/analytics/", MARCH, **EN).content.decode()  # on_commit not run: the task has not run
    summary = PeriodSummary.objects.get()
    assert f'hx-get="/analytics/summary/{summary.key}/?poll=1"' in html

    part = client.get(f"/analytics/summary/{summary.key}/", {"poll": "1"}, **EN).content.decode()
    assert part.lstrip().startswith('<section class="card app-card analytics-summary"') and "?poll=2" in part
    assert "?poll=" not in client.get(f"/analytics/summary/{summary.key}/", {"poll": "40"}, **EN).content.decode()
    PeriodSummary.objects.update(status=PeriodSummary.Status.READY, text="Готово.", model="gpt-4o-mini")
    part = client.get(f"/analytics/summary/{summary.key}/", **EN).content.decode()
    assert 'data-summary="model"' in part and "Готово." in part and "hx-get" not in part
    assert client.get("/analytics/summary/unknown/").status_code == 404
    client.force_login(outsider)
    assert client.get(f"/analytics/summary/{summary.key}/").status_code == 403


def test_a_summary_being_written_is_not_written_twice(march_sales, fake_openai):
    from analytics.services import summary_write

    summary = PeriodSummary.objects.create(key="k" * 64, language="en", figures={"figures": []},
                                           status=PeriodSummary.Status.RUNNING)
    assert summary_write(summary_id=summary.pk) is None
    assert fake_openai.requests == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_summary_the_page_then_shows(subprocess_database_url, fake_openai, client,
                                                               manager, march_sales):
    import redis

    from tests.liveserver import celery_worker, task_sender

    worker_redis = os.environ.get("ANALYTICS_WORKER_REDIS_URL", "redis://127.0.0.1:6379/11")
    redis.Redis.from_url(worker_redis).flushdb()
    fake_openai.reply = faithful
    with translation.override("en"):  # the figures the page will compute, asked for as the page asks
        period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        computed = dashboard_figures(scope=Scope(filters=Filters(), reads_all=True), period=period)
        figures = summary_figures(computed.report, computed.tables, filters=[])
    summary = PeriodSummary.objects.create(key=summary_key(figures, language="en", model="gpt-4o-mini"),
                                           figures=figures, language="en")
    env = {"DATABASE_URL": subprocess_database_url, "REDIS_URL": worker_redis, "CELERY_TASK_ALWAYS_EAGER": "0",
           "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake_openai.base_url, "OPENAI_MODEL": "gpt-4o-mini"}
    sender = task_sender(worker_redis)

    with celery_worker(env, name="analytics-summary-test@%h"):
        outcome = sender.send_task("analytics.summary_write", args=[summary.pk]).get(timeout=90)
        again = sender.send_task("analytics.summary_write", args=[summary.pk]).get(timeout=90)

    assert (outcome, again) == ("ready", "claimed elsewhere")  # written once
    assert len(fake_openai.requests) == 1
    client.force_login(manager)
    html = client.get("/analytics/", MARCH, **EN).content.decode()
    assert 'data-summary="model"' in html and "Revenue reached 3,000,000" in html
