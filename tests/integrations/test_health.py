import re
import time

import pytest
import requests
from django.core.cache import cache
from django.utils import timezone

from crystalbay.celery import beat_heartbeat
from integrations.models import ApiLog
from integrations.monitoring import BEAT_HEARTBEAT_KEY, broker_redis
from tests.crm.factories import UserFactory
from tests.liveserver import celery_worker, redis_server, task_sender

SAMO_TOKEN = "secret-token-value-123456"
METRICS_TOKEN = "metrics-token-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
UNREACHABLE_DATABASE_URL = "postgres://postgres@127.0.0.1:1/nowhere"
CHECKS = {"database", "cache", "broker", "worker", "queues", "beat", "samo"}


@pytest.fixture
def details_client(client, manager):
    """Someone who may read the checks behind the status: a manager."""
    client.force_login(manager)
    return client


def test_anonymous_callers_learn_the_status_alone(client, db, settings):
    settings.SAMO_API_URL = "https://samo.example.kz/export/default.php"
    settings.SAMO_OAUTH_TOKEN = SAMO_TOKEN
    ApiLog.objects.create(service="samo", action="SearchTour_PRICES", status_code=502, ok=False)

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("who", ["manager", "admin_user", "superuser", "staff"])
def test_staff_managers_and_admins_read_the_checks(client, db, request, who):
    user = UserFactory(username="staff", is_staff=True) if who == "staff" else request.getfixturevalue(who)
    client.force_login(user)

    assert set(client.get("/health").json()["checks"]) == CHECKS


@pytest.mark.parametrize("who", ["outsider", "accountant"])
def test_people_without_the_right_get_the_status_alone(client, db, request, who):
    user = request.getfixturevalue(who)
    user.is_staff = False
    user.save()
    client.force_login(user)

    assert client.get("/health").json() == {"status": "ok"}


def test_metrics_token_shows_the_checks_and_nothing_else_does(client, db, settings):
    settings.METRICS_TOKEN = METRICS_TOKEN

    assert set(client.get("/health", headers=BEARER).json()["checks"]) == CHECKS
    assert client.get("/health", headers={"Authorization": "Bearer wrong-token"}).json() == {"status": "ok"}
    assert client.get("/health", headers={"Authorization": METRICS_TOKEN}).json() == {"status": "ok"}

    settings.METRICS_TOKEN = ""
    assert client.get("/health", headers={"Authorization": "Bearer "}).json() == {"status": "ok"}


def test_health_answers_200_with_every_check_when_the_database_answers(details_client):
    response = details_client.get("/health")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    report = response.json()
    assert report["status"] == "ok"
    assert set(report["checks"]) == CHECKS
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["database"]["detail"] == "postgresql"
    assert report["checks"]["cache"]["ok"] is True
    for check in report["checks"].values():
        assert {"ok", "latency_ms", "detail"} <= set(check)


def test_health_without_a_broker_reports_tasks_in_process(details_client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    checks = details_client.get("/health").json()["checks"]

    assert checks["broker"] == {"ok": None, "latency_ms": None, "detail": "in-process (no broker)"}
    assert checks["worker"]["ok"] is None
    assert checks["queues"]["ok"] is None
    assert checks["beat"]["ok"] is None


def test_health_needs_no_login_and_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/health").status_code == 200
    assert client.get("/settings/").status_code == 301


def test_unconfigured_samo_does_not_degrade_health(details_client, settings):
    settings.SAMO_API_URL = ""
    settings.SAMO_OAUTH_TOKEN = ""

    report = details_client.get("/health").json()

    assert report["status"] == "ok"
    assert report["checks"]["samo"]["ok"] is None
    assert report["checks"]["samo"]["configured"] is False


def test_health_reports_the_last_samo_call_and_is_degraded_when_it_failed(details_client, settings):
    settings.SAMO_API_URL = "https://samo.example.kz/export/default.php"
    settings.SAMO_OAUTH_TOKEN = SAMO_TOKEN
    earlier = timezone.now() - timezone.timedelta(minutes=5)
    ApiLog.objects.create(service="samo", action="SearchTour_CURRENCIES", status_code=200, ok=True, created_at=earlier)
    failed = ApiLog.objects.create(
        service="samo", action="SearchTour_PRICES", status_code=502, duration_ms=840, ok=False, error="Bad gateway"
    )
    ApiLog.objects.create(service="telegram", action="sendMessage", status_code=200, ok=True)

    response = details_client.get("/health")

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "degraded"
    samo = report["checks"]["samo"]
    assert samo["configured"] is True
    assert samo["ok"] is False
    assert samo["latency_ms"] == 840
    assert samo["last_call"] == {"ok": False, "at": failed.created_at.isoformat(), "status_code": 502}
    body = response.content.decode()
    assert SAMO_TOKEN not in body
    assert "samo.example.kz" not in body


def test_health_is_degraded_when_the_cache_does_not_answer(details_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:cache-password@127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    response = details_client.get("/health")

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "degraded"
    assert report["checks"]["cache"]["ok"] is False
    assert report["checks"]["cache"]["detail"].startswith("redis: unavailable")
    body = response.content.decode()
    assert "127.0.0.1" not in body
    assert "cache-password" not in body


def test_health_answers_503_quickly_when_the_database_is_unreachable(gunicorn):
    base_url = gunicorn({"DATABASE_URL": UNREACHABLE_DATABASE_URL, "METRICS_TOKEN": METRICS_TOKEN})

    anonymous = requests.get(f"{base_url}/health", timeout=10)
    started = time.monotonic()
    response = requests.get(f"{base_url}/health", headers=BEARER, timeout=10)
    elapsed = time.monotonic() - started

    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "error"}

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "down"
    assert report["checks"]["database"]["ok"] is False
    assert report["checks"]["database"]["detail"] == "postgresql: unavailable (OperationalError)"
    assert report["checks"]["cache"]["ok"] is True
    assert elapsed < 5
    assert "127.0.0.1" not in response.text


def test_health_served_by_gunicorn_answers_200_from_the_test_database(subprocess_database_url, gunicorn):
    base_url = gunicorn({"DATABASE_URL": subprocess_database_url, "METRICS_TOKEN": METRICS_TOKEN})

    anonymous = requests.get(f"{base_url}/health", timeout=10)
    response = requests.get(f"{base_url}/health", headers=BEARER, timeout=10)

    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ok"}
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is True


def _worker_check(base_url: str) -> dict:
    report = requests.get(f"{base_url}/health", headers=BEARER, timeout=10).json()
    checks = report["checks"]
    return {"status": report["status"], "broker": checks["broker"], "worker": checks["worker"], "beat": checks["beat"]}


@pytest.mark.worker
@pytest.mark.slow
def test_health_sees_a_real_celery_worker_come_and_go(subprocess_database_url, gunicorn):
    with redis_server() as (redis_url, _redis_process):
        env = {
            "DATABASE_URL": subprocess_database_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "METRICS_TOKEN": METRICS_TOKEN,
        }
        base_url = gunicorn(env)

        before = _worker_check(base_url)
        assert before["broker"]["ok"] is True
        assert before["broker"]["detail"] == "redis"
        assert before["worker"]["ok"] is False
        assert before["worker"]["workers"] == 0
        assert before["status"] == "degraded"

        with celery_worker(env, name="health-test@%h"):
            deadline = time.monotonic() + 30
            seen = _worker_check(base_url)
            while seen["worker"]["ok"] is not True and time.monotonic() < deadline:
                time.sleep(0.5)
                seen = _worker_check(base_url)
            assert seen["worker"]["ok"] is True, seen
            assert seen["worker"]["workers"] == 1
            assert seen["beat"]["detail"] == "never ran"
            assert seen["status"] == "degraded"

            # What beat queues every minute, run by the real worker.
            task_sender(redis_url).send_task("crystalbay.beat_heartbeat")
            while seen["beat"]["ok"] is not True and time.monotonic() < deadline:
                time.sleep(0.5)
                seen = _worker_check(base_url)
            assert seen["beat"]["ok"] is True, seen
            assert seen["status"] == "ok"

        assert _worker_check(base_url)["worker"]["ok"] is False


@pytest.fixture
def with_broker(settings):
    """Tasks go to the test's Redis (REDIS_URL) instead of running in-process; the
    queues the test fills are emptied afterwards."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    redis = broker_redis()
    redis.delete("celery", "assistant")
    yield redis
    redis.delete("celery", "assistant")


def test_health_counts_the_tasks_waiting_in_each_queue(details_client, with_broker):
    beat_heartbeat.delay()
    beat_heartbeat.delay()

    queues = details_client.get("/health").json()["checks"]["queues"]

    assert queues["ok"] is True
    assert queues["lengths"] == {"celery": 2, "assistant": 0}
    assert queues["detail"] == "celery: 2, assistant: 0"


def test_health_says_when_beat_last_ran_and_when_it_is_late(details_client, with_broker, settings):
    cache.delete(BEAT_HEARTBEAT_KEY)
    never = details_client.get("/health").json()
    assert never["checks"]["beat"]["ok"] is False
    assert never["checks"]["beat"]["detail"] == "never ran"
    assert never["status"] == "degraded"

    beat_heartbeat.apply()
    beat = details_client.get("/health").json()["checks"]["beat"]
    assert beat["ok"] is True
    assert re.fullmatch(r"last ran \d+ s ago", beat["detail"])

    settings.BEAT_LATE_SECONDS = 0
    time.sleep(1.1)
    late = details_client.get("/health").json()["checks"]["beat"]
    assert late["ok"] is False
    assert re.fullmatch(r"last ran \d+ s ago \(late\)", late["detail"])


def test_beat_queues_the_heartbeat_every_minute():
    from crystalbay.celery import app

    schedule = app.conf.beat_schedule["crystalbay-beat-heartbeat"]

    assert schedule == {"task": "crystalbay.beat_heartbeat", "schedule": 60.0}


def test_health_says_the_broker_is_down_when_redis_stops(subprocess_database_url, gunicorn):
    with redis_server() as (redis_url, redis_process):
        base_url = gunicorn({"DATABASE_URL": subprocess_database_url, "REDIS_URL": redis_url,
                             "CELERY_TASK_ALWAYS_EAGER": "0", "METRICS_TOKEN": METRICS_TOKEN})
        up = requests.get(f"{base_url}/health", headers=BEARER, timeout=10).json()
        assert up["checks"]["broker"]["ok"] is True
        assert up["checks"]["queues"]["ok"] is True

        redis_process.terminate()
        redis_process.wait(timeout=10)

        response = requests.get(f"{base_url}/health", headers=BEARER, timeout=15)
        anonymous = requests.get(f"{base_url}/health", timeout=10)

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "degraded"
    checks = report["checks"]
    assert checks["database"]["ok"] is True
    assert checks["broker"]["ok"] is False
    assert checks["broker"]["detail"].startswith("unavailable")
    assert checks["worker"] == {"ok": False, "latency_ms": checks["worker"]["latency_ms"],
                                "detail": "broker unavailable"}
    assert checks["queues"]["ok"] is False
    assert checks["cache"]["ok"] is False
    assert redis_url.rsplit(":", 1)[1].split("/")[0] not in response.text
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ok"}
