"""Settings come from the environment only; unsafe combinations refuse to start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], 'cache': s.CACHES['default']['BACKEND'], "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'cors': s.CORS_ALLOWED_ORIGINS, "
    "'lang': s.LANGUAGE_CODE, 'tz': s.TIME_ZONE, 'currency': s.DEFAULT_CURRENCY, "
    "'hsts': s.SECURE_HSTS_SECONDS, 'secure_cookie': s.SESSION_COOKIE_SECURE, 'ssl_redirect': s.SECURE_SSL_REDIRECT, "
    "'proxy': list(s.SECURE_PROXY_SSL_HEADER), 'beat': getattr(s, 'CELERY_BEAT_SCHEDULER', None)}))"
)


def load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY",
                                                                "ALLOWED_ORIGINS", "CELERY_TASK_ALWAYS_EAGER",
                                                                "SECURE_SSL_REDIRECT"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="crystalbay.settings")
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_laptop_defaults_need_nothing_but_debug():
    result = load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["db"] == "django.db.backends.sqlite3"
    assert loaded["cache"].endswith("LocMemCache")
    assert loaded["eager"] is True and loaded["broker"] == "memory://"
    assert loaded["beat"] is None  # Celery's own file-based schedule
    assert (loaded["lang"], loaded["tz"], loaded["currency"]) == ("ru", "Asia/Almaty", "KZT")
    assert loaded["secure_cookie"] is False


def test_production_settings_from_the_environment():
    result = load_settings(
        SECRET_KEY="x" * 50, DATABASE_URL="postgres://crm:pw@db.internal:5432/crm", REDIS_URL="redis://cache:6379/0",
        ALLOWED_ORIGINS="https://crystalbay.kz,https://www.crystalbay.kz",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["db"] == "django.db.backends.postgresql"
    assert loaded["cache"].endswith("RedisCache")
    assert loaded["eager"] is False and loaded["broker"] == "redis://cache:6379/0"
    assert loaded["beat"] == "redbeat.RedBeatScheduler"  # one beat sends, others wait for its lock
    assert loaded["cors"] == ["https://crystalbay.kz", "https://www.crystalbay.kz"]
    assert loaded["hsts"] >= 31536000 and loaded["secure_cookie"] is True and loaded["ssl_redirect"] is True
    assert loaded["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_secret_key_is_required_when_debug_is_off():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("origins", ["*", "https://*.crystalbay.kz"])
def test_cors_wildcard_is_refused(origins):
    result = load_settings(DEBUG="1", ALLOWED_ORIGINS=origins)
    assert result.returncode != 0
    assert "wildcards are not allowed" in result.stderr
