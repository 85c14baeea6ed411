import time

import pytest
import requests
from django.utils import timezone

from integrations.models import ApiLog
from tests.liveserver import celery_worker

SAMO_TOKEN = "secret-token-value-123456"
UNREACHABLE_DATABASE_URL = "postgres://postgres@127.0.0.1:1/nowhere"
WORKER_REDIS_URL = "redis://127.0.0.1:6379/15"


def test_health_answers_200_with_every_check_when_the_database_answers(client, db):
    response = client.get("/health")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    report = response.json()
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "cache", "broker", "worker", "samo"}
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["database"]["detail"] == "postgresql"
    assert report["checks"]["cache"]["ok"] is True
    for check in report["checks"].values():
        assert {"ok", "latency_ms", "detail"} <= set(check)


def test_health_without_a_broker_reports_tasks_in_process(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    checks = client.get("/health").json()["checks"]

    assert checks["broker"] == {"ok": None, "latency_ms": None, "detail": "in-process (no broker)"}
    assert checks["worker"]["ok"] is None


def test_health_needs_no_login_and_is_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/health").status_code == 200
    assert client.get("/settings/").status_code == 301


def test_unconfigured_samo_does_not_degrade_health(client, db, settings):
    settings.SAMO_API_URL = ""
    settings.SAMO_OAUTH_TOKEN = ""

    report = client.get("/health").json()

    assert report["status"] == "ok"
    assert report["checks"]["samo"]["ok"] is None
    assert report["checks"]["samo"]["configured"] is False


def test_health_reports_the_last_samo_call_and_is_degraded_when_it_failed(client, db, settings):
    settings.SAMO_API_URL = "https://samo.example.kz/export/default.php"
    settings.SAMO_OAUTH_TOKEN = SAMO_TOKEN
    earlier = timezone.now() - timezone.timedelta(minutes=5)
    ApiLog.objects.create(service="samo", action="SearchTour_CURRENCIES", status_code=200, ok=True, created_at=earlier)
    failed = ApiLog.objects.create(
        service="samo", action="SearchTour_PRICES", status_code=502, duration_ms=840, ok=False, error="Bad gateway"
    )
    ApiLog.objects.create(service="telegram", action="sendMessage", status_code=200, ok=True)

    response = client.get("/health")

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


def test_health_is_degraded_when_the_cache_does_not_answer(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:cache-password@127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    response = client.get("/health")

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "degraded"
    assert report["checks"]["cache"]["ok"] is False
    assert report["checks"]["cache"]["detail"].startswith("redis: unavailable")
    body = response.content.decode()
    assert "127.0.0.1" not in body
    assert "cache-password" not in body


def test_health_answers_503_quickly_when_the_database_is_unreachable(gunicorn):
    base_url = gunicorn({"DATABASE_URL": UNREACHABLE_DATABASE_URL})

    started = time.monotonic()
    response = requests.get(f"{base_url}/health", timeout=10)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "down"
    assert report["checks"]["database"]["ok"] is False
    assert report["checks"]["database"]["detail"] == "postgresql: unavailable (OperationalError)"
    assert report["checks"]["cache"]["ok"] is True
    assert elapsed < 5
    assert "127.0.0.1" not in response.text


def test_health_served_by_gunicorn_answers_200_from_the_test_database(subprocess_database_url, gunicorn):
    base_url = gunicorn({"DATABASE_URL": subprocess_database_url})

    response = requests.get(f"{base_url}/health", timeout=10)

    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is True


def _worker_check(base_url: str) -> dict:
    report = requests.get(f"{base_url}/health", timeout=10).json()
    return {"status": report["status"], "broker": report["checks"]["broker"], "worker": report["checks"]["worker"]}


@pytest.mark.worker
@pytest.mark.slow
def test_health_sees_a_real_celery_worker_come_and_go(subprocess_database_url, gunicorn):
    env = {
        "DATABASE_URL": subprocess_database_url,
        "REDIS_URL": WORKER_REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
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
        assert seen["status"] == "ok"

    assert _worker_check(base_url)["worker"]["ok"] is False
