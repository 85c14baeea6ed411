"""Crystal Bay CRM settings.

Everything that differs between a laptop and production is read from the
environment through one django-environ ``Env``; README "Configuration" lists
every variable. An integration switches on when its variables are set.
"""

from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as default_cors_headers
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_guid.integrations import CeleryIntegration
from whitenoise.compress import Compressor

from crystalbay.sentry import sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_guid",
    "corsheaders",
    "csp",
    "django_htmx",
    "template_partials",
    "phonenumber_field",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "knox",
    "import_export",
    "dbbackup",
    "axes",
    "integrations",
    "crm",
    "tours",
    "messaging",
    "analytics",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "crystalbay.cleaning.QueryCleanMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last but the metrics, so that it turns a locked-out login into our login page with the reason.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "crystalbay.urls"
WSGI_APPLICATION = "crystalbay.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crystalbay.context_processors.navigation",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # /health must answer 503 quickly when the database is gone, not hang.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
# Behind PgBouncer in transaction mode (README "Scaling past one machine"): no server-side
# cursors (DATABASE_SERVER_SIDE_CURSORS=0) and, with a PgBouncer older than 1.21 or
# without max_prepared_statements, no prepared statements (DATABASE_PREPARED_STATEMENTS=0:
# the webhook's receiving statement is then planned on every delivery).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = not env.bool("DATABASE_SERVER_SIDE_CURSORS", default=True)
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds them on the key columns alone.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # While Redis does not answer the cache behaves as empty (logged), so pages, the API's
    # throttles and the booking form keep working: nothing in it is the only copy.
    CACHES = {
        "default": {
            "BACKEND": "crystalbay.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="crystalbay"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ----------------------------------------------------------------
# Without a broker the tasks run in-process, so a laptop needs nothing but Python.

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "visibility_timeout": 3600}
# Queueing a task must not hold a request when Redis is down: one quick try to publish
# and to watch for the result, then the caller logs it and a periodic sweep catches up
# (Celery's defaults retry for some 20 seconds).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1, "interval_start": 0,
                                                            "interval_step": 0.2, "interval_max": 0.2}}
CELERY_TIMEZONE = "Asia/Almaty"
# The assistant (understanding, drafts, its sweep) has a queue of its own, so that a
# slow model or a hard message never delays storing, matching and sending, which
# stay on the default queue "celery". Every worker consumes both unless told
# otherwise: `celery -A crystalbay worker -Q celery,assistant`.
CELERY_TASK_DEFAULT_QUEUE = "celery"
ASSISTANT_QUEUE = "assistant"
CELERY_TASK_ROUTES = {name: {"queue": ASSISTANT_QUEUE} for name in (
    "messaging.message_assist", "messaging.draft_regenerate", "messaging.assist_sweep")}

# --- Celery beat: once per installation ----------------------------------------
# With Redis, beat keeps the schedule's state (``crystalbay/celery.py`` defines it)
# and a lock in Redis (celery-redbeat): any number of beat processes may run, one
# holds the lock and sends, the others wait for it (looking every
# CELERY_BEAT_MAX_LOOP_INTERVAL seconds) and take over when it stops or its lock
# lapses. Without Redis, beat keeps its state in a local file as before.

if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "retry_period": 60}
    CELERY_REDBEAT_KEY_PREFIX = "redbeat:"
    CELERY_REDBEAT_LOCK_KEY = "redbeat::lock"
    # The holder renews the lock on every tick (at least every CELERY_BEAT_MAX_LOOP_INTERVAL
    # seconds); a beat that died without releasing it is replaced after this many seconds.
    CELERY_REDBEAT_LOCK_TIMEOUT = env.int("BEAT_LOCK_TIMEOUT", default=150)
    CELERY_BEAT_MAX_LOOP_INTERVAL = 30
    if CELERY_REDBEAT_LOCK_TIMEOUT <= CELERY_BEAT_MAX_LOOP_INTERVAL:
        raise ImproperlyConfigured(f"BEAT_LOCK_TIMEOUT must be longer than {CELERY_BEAT_MAX_LOOP_INTERVAL} seconds.")

# --- Auth ------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Login protection (django-axes) -------------------------------------------
# Failed logins (the pages' /accounts/login/ and /admin/login/ alike: both go
# through authenticate()) are counted in the database, so a Redis outage does
# not stop anyone logging in. LOGIN_FAILURE_LIMIT failures of one user from one
# address lock that pair for LOGIN_COOLOFF_MINUTES (a guess aimed at one person);
# LOGIN_FAILURE_LIMIT_PER_USER failures of one user from any addresses lock the
# user (the same guess spread over many addresses). The pair limit alone lets a
# distributed guess go on for ever; a per-user limit as low as the pair's would
# let anyone lock a colleague out with five tries. An admin unlocks at once
# (admin → Axes → Access attempts, or `manage.py axes_reset_username <name>`).
AUTHENTICATION_BACKENDS = [
    "crm.logins.LoginAttemptBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "crm.logins.LoginAttemptHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_USER = env.int("LOGIN_FAILURE_LIMIT_PER_USER", default=20)
# The pair, then the user: crm.logins.LoginAttemptHandler reads their counts in this order.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_CALLABLE = "crm.logins.lockout_response"
# The client's address as the API's throttles see it (NUM_PROXIES trusted X-Forwarded-For hops).
AXES_CLIENT_IP_CALLABLE = "crm.network.client_ip"

# --- Language, time, money -------------------------------------------------

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = "KZT"
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="KZ")
PHONENUMBER_DB_FORMAT = "E164"

# --- Static files ----------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic writes and whitenoise serves from (the hashed names and the manifest).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or not env.bool("STATIC_MANIFEST", default=True)
# Source maps are fetched only by a browser's developer tools: served as they are,
# not compressed (brotli on the API docs' maps was half of collectstatic's time).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# --- Security --------------------------------------------------------------
# Production sits behind a TLS-terminating proxy; these are on unless DEBUG.

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^metrics$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# CORS: an explicit allowlist of the agency's sites, never a wildcard.
CORS_ALLOWED_ORIGINS = env.list("ALLOWED_ORIGINS", default=[])
if any("*" in origin for origin in CORS_ALLOWED_ORIGINS):
    raise ImproperlyConfigured("ALLOWED_ORIGINS must list exact origins; wildcards are not allowed.")
CORS_ALLOW_ALL_ORIGINS = False
CORS_URLS_REGEX = r"^/api/public/.*$"

# Content-Security-Policy (django-csp): scripts, styles, fonts and requests only
# from our own origin — every script is a static file, none inline. Style
# *attributes* stay allowed: the board and tags colour themselves with
# style="--stage-color: …", Django's admin and Swagger UI write a few, and an
# attribute cannot run script; <style> elements are not (htmx's own indicator
# style is switched off in base.html and lives in app.css). The API docs are
# pages of our own templates, their scripts static (Swagger UI's settings too).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "style-src-attr": [csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
        "base-uri": [csp.SELF],
        "object-src": [csp.NONE],
    },
}

# --- Mail ------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Crystal Bay CRM <crm@localhost>")

# --- REST API and the public intake ------------------------------------------
# Session (the pages' login) or a personal token an admin issues in the admin
# (django-rest-knox: stored hashed, shown once, revoked by deleting it).
# Throttles count in the cache (Redis in production); behind a proxy, NUM_PROXIES
# says how many X-Forwarded-For hops to trust for the client's IP.

REST_FRAMEWORK = {
    # Session first: a request with neither is refused with 403, as the pages' API always did.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "knox.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "crm.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "crm.api.common.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "crm.api.common.CleanJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.common.UserThrottle"],
    "EXCEPTION_HANDLER": "crm.api.common.exception_handler",
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {"TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Token"}
SPECTACULAR_SETTINGS = {
    "TITLE": "Crystal Bay CRM API",
    "DESCRIPTION": "Clients, leads, pipelines, orders, tasks, notes, offers and the inbox of Crystal Bay CRM. "
                   "Authenticate with the session of the pages or with `Authorization: Token <token>` "
                   "(tokens are issued by an admin under Knox → Auth tokens).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "crm.models.Channel",
        "CurrencyEnum": "crm.models.Currency",
        "MealPlanEnum": "crm.models.MealPlan",
        "LanguageEnum": "crm.models.Language",
        "OrderStatusEnum": "crm.models.OrderStatus",
    },
}
# Requests a person may make to /api/v1/, counted per user ("600/m", "10000/h").
API_USER_RATE_LIMIT = env.str("API_USER_RATE_LIMIT", default="600/m")
# The website's booking form: requests per IP, and a Cloudflare Turnstile check when
# its secret is set (TURNSTILE_API_URL points the check at a local server in tests).
PUBLIC_INTAKE_RATE_LIMIT = env.str("PUBLIC_INTAKE_RATE_LIMIT", default="20/m")
TURNSTILE_SECRET_KEY = env.str("TURNSTILE_SECRET_KEY", default="")
TURNSTILE_API_URL = env.str("TURNSTILE_API_URL", default="https://challenges.cloudflare.com")
TURNSTILE_TIMEOUT = env.float("TURNSTILE_TIMEOUT", default=5.0)
# How long an Idempotency-Key of the public intake is remembered, in seconds.
PUBLIC_INTAKE_IDEMPOTENCY_TTL = env.int("PUBLIC_INTAKE_IDEMPOTENCY_TTL", default=24 * 3600)
CORS_ALLOW_METHODS = ("OPTIONS", "POST")
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ("Retry-After", "Idempotent-Replayed", "X-Request-ID")

# --- Integrations (each switches on when its variables are set) --------------

SAMO_API_URL = env.str("SAMO_API_URL", default="")
SAMO_OAUTH_TOKEN = env.str("SAMO_OAUTH_TOKEN", default="")
SAMO_PROXY_URL = env.str("SAMO_PROXY_URL", default="")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="https://api.openai.com/v1")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_API_URL = env.str("TELEGRAM_API_URL", default="https://api.telegram.org")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_API_URL = env.str("WHATSAPP_API_URL", default="https://graph.facebook.com/v21.0")
WAZZUP_API_KEY = env.str("WAZZUP_API_KEY", default="")
WAZZUP_API_URL = env.str("WAZZUP_API_URL", default="https://api.wazzup24.com")
WAZZUP_WEBHOOK_TOKEN = env.str("WAZZUP_WEBHOOK_TOKEN", default="")
BITRIX_WEBHOOK_URL = env.str("BITRIX_WEBHOOK_URL", default="")
INBOUND_EMAIL_SECRET = env.str("INBOUND_EMAIL_SECRET", default="")
# The most text one inbound mail may bring (its text, HTML and headers; attached files
# are dropped and do not count): a long HTML mail is some hundred kilobytes. Larger
# deliveries are refused with 413. Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) caps
# the body of every other webhook.
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=1024 * 1024)

# --- SAMO tour search (tours app) ----------------------------------------------
# Timeouts in seconds; retries apply to transient failures only (no connection, HTTP 5xx).
SAMO_CONNECT_TIMEOUT = env.float("SAMO_CONNECT_TIMEOUT", default=5.0)
SAMO_READ_TIMEOUT = env.float("SAMO_READ_TIMEOUT", default=30.0)
SAMO_RETRIES = env.int("SAMO_RETRIES", default=2)
SAMO_RETRY_BACKOFF = env.float("SAMO_RETRY_BACKOFF", default=0.5)
# The operator's grouping id for "cheapest row per hotel" (PARTITION_PRICE); it differs between operators.
SAMO_PARTITION_PRICE = env.int("SAMO_PARTITION_PRICE", default=224)
# What the preload jobs and `samo_sync` fetch: departure cities × countries, by SAMO id or (Latin) name.
SAMO_DEPARTURE_CITIES = env.list("SAMO_DEPARTURE_CITIES", default=["Almaty", "Astana"])
SAMO_COUNTRIES = env.list("SAMO_COUNTRIES", default=["Vietnam"])
# How long a SAMO answer is fresh, in seconds: reference data hours, prices minutes.
SAMO_REFERENCE_TTL = env.int("SAMO_REFERENCE_TTL", default=6 * 3600)
SAMO_PRICES_TTL = env.int("SAMO_PRICES_TTL", default=15 * 60)
SAMO_OPERATOR_NAME = env.str("SAMO_OPERATOR_NAME", default="Crystal Bay")

# --- Observability: logs, request ids, metrics, errors, retention -------------
# README "Observability". Every log line of a request (and of the Celery tasks it
# queues) carries its request id: the caller's X-Request-ID when it is a valid
# UUID, a new one otherwise, returned in the response's X-Request-ID header.

LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'plain'.")
REQUEST_ID_HEADER = "X-Request-ID"
DJANGO_GUID = {
    "GUID_HEADER_NAME": REQUEST_ID_HEADER,
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    # The CORS middleware lists exposed headers (CORS_EXPOSE_HEADERS); django-guid would replace that list.
    "EXPOSE_HEADER": False,
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
        "redact_secrets": {"()": "crystalbay.logs.RedactSecrets"},
    },
    "formatters": {
        "plain": {"()": "crystalbay.logs.PlainFormatter",
                  "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        # "timestamp": ISO 8601 in UTC.
        "json": {"()": "crystalbay.logs.JsonFormatter", "timestamp": True,
                 "format": "%(levelname)s %(name)s %(message)s %(request_id)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                    "filters": ["request_id", "redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines (DEBUG), with their query strings: through the same filters.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # It logs every id it reads or makes at INFO: noise on every request and task.
        "django_guid": {"level": "WARNING"},
    },
}

# /metrics (Prometheus text format) answers only `Authorization: Bearer <METRICS_TOKEN>`;
# the same token shows /health's details. Unset: /metrics is closed (403).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# /health calls beat late when its heartbeat (a task every minute) is older than this, in seconds.
BEAT_LATE_SECONDS = env.int("BEAT_LATE_SECONDS", default=180)

# Errors to Sentry when SENTRY_DSN is set (Django and Celery; no personal data, secrets scrubbed).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=SENTRY_RELEASE,
                traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# Days the API log and the raw provider payloads of messages are kept (deleted / blanked
# nightly, in batches); 0 keeps them forever.
API_LOG_RETENTION_DAYS = env.int("API_LOG_RETENTION_DAYS", default=90)
WEBHOOK_PAYLOAD_RETENTION_DAYS = env.int("WEBHOOK_PAYLOAD_RETENTION_DAYS", default=90)

# --- Lead pipeline (crm: board, tasks, SLA) ----------------------------------

# Deal new leads created by managers and intakes to active agents in turn.
LEADS_ROUND_ROBIN = env.bool("LEADS_ROUND_ROBIN", default=False)
# Remind people of a task this many minutes before it falls due.
TASK_REMINDER_MINUTES = env.int("TASK_REMINDER_MINUTES", default=15)
# The public address of this site, for links in e-mails (e.g. https://crm.example.kz).
SITE_URL = env.str("SITE_URL", default="")

# --- Messaging inbox (messaging app: webhooks, sending) ------------------------

# Outgoing provider calls (Telegram, WhatsApp Cloud, Wazzup24): seconds to connect
# and to wait for an answer; transient failures retry in the Celery task.
MESSAGING_CONNECT_TIMEOUT = env.float("MESSAGING_CONNECT_TIMEOUT", default=5.0)
MESSAGING_READ_TIMEOUT = env.float("MESSAGING_READ_TIMEOUT", default=20.0)
# How often a reply is tried again after a transient failure (5xx, 429, no connection),
# waiting MESSAGING_RETRY_BACKOFF seconds the first time, doubling, with jitter.
MESSAGING_SEND_RETRIES = env.int("MESSAGING_SEND_RETRIES", default=5)
MESSAGING_RETRY_BACKOFF = env.float("MESSAGING_RETRY_BACKOFF", default=10.0)
# A reply whose try has been due this many seconds (its hand-over to the broker failed:
# Redis was down) is sent by a sweep that runs this often.
MESSAGING_SEND_SWEEP_SECONDS = env.int("MESSAGING_SEND_SWEEP_SECONDS", default=60)
# Which Wazzup24 channel replies go out through (a channel id from Wazzup's settings);
# without it a reply uses the channel the client's last message came in on.
WAZZUP_CHANNEL_ID = env.str("WAZZUP_CHANNEL_ID", default="")
# Outgoing e-mail through SendGrid's v3 API (django-sendgrid-v5) when the key is set;
# otherwise through EMAIL_URL. SENDGRID_API_URL points it at a local server in tests.
SENDGRID_API_KEY = env.str("SENDGRID_API_KEY", default="")
SENDGRID_API_URL = env.str("SENDGRID_API_URL", default="https://api.sendgrid.com")
if SENDGRID_API_KEY:
    EMAIL_BACKEND = "sendgrid_backend.SendgridBackend"
    SENDGRID_HOST_URL = SENDGRID_API_URL
    SENDGRID_SANDBOX_MODE_IN_DEBUG = False
    SENDGRID_TRACK_CLICKS_HTML = SENDGRID_TRACK_CLICKS_PLAIN = SENDGRID_TRACK_EMAIL_OPENS = False
# The address inbound mail is sent to (what replies come from); DEFAULT_FROM_EMAIL otherwise.
INBOX_EMAIL_FROM = env.str("INBOX_EMAIL_FROM", default="")
# How often an open inbox thread asks for new messages, in seconds.
INBOX_POLL_SECONDS = env.int("INBOX_POLL_SECONDS", default=3)

# --- The assistant (messaging/assistant: understanding and drafts) -------------

# It reads only this many first characters of a message (the message is stored
# whole): every Telegram and WhatsApp message (at most 4,096) and the new part of
# an e-mail, where a request is, fit; the rules read that in well under a second,
# and the model gets a prompt of a bounded size.
ASSISTANT_MAX_CHARS = env.int("ASSISTANT_MAX_CHARS", default=4000)
# A message the assistant failed on this many times (an error, or a run killed at
# its time limit) is marked "not understood" for an agent, and never tried again.
ASSISTANT_MAX_ATTEMPTS = env.int("ASSISTANT_MAX_ATTEMPTS", default=3)
# Seconds one run may take before it is killed (it is told 15 s before): the model
# twice (OPENAI_TIMEOUT) and a SAMO search (SAMO_READ_TIMEOUT) at their worst.
ASSISTANT_TIME_LIMIT = env.int("ASSISTANT_TIME_LIMIT", default=120)
ASSISTANT_SOFT_TIME_LIMIT = max(ASSISTANT_TIME_LIMIT - 15, 1)

# --- Analytics (analytics app; the model client is integrations/openai) -------

# Seconds to wait for the model's answer; the summary task tries transient
# failures (no connection, timeout, 429, 5xx) again this many times, backing off.
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", default=30.0)
ANALYTICS_SUMMARY_RETRIES = env.int("ANALYTICS_SUMMARY_RETRIES", default=3)
# How long the dashboard's figures of one scope, period and filters are kept, in seconds (0: never).
ANALYTICS_CACHE_SECONDS = env.int("ANALYTICS_CACHE_SECONDS", default=60)

# --- Backups (django-dbbackup; the nightly job is in crystalbay/celery.py) ------
# Uploaded files live under MEDIA_ROOT. `dbbackup` / `mediabackup` write to
# BACKUP_DIR, or to an S3-compatible bucket (django-storages) when BACKUP_S3_BUCKET
# is set; GPG-encrypted for BACKUP_GPG_RECIPIENT when it is set. The newest
# BACKUP_KEEP of each kind are kept by `--clean` and the nightly job.

MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "backups")))
BACKUP_S3_BUCKET = env.str("BACKUP_S3_BUCKET", default="")
if BACKUP_S3_BUCKET:
    STORAGES["dbbackup"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BACKUP_S3_BUCKET,
            "location": env.str("BACKUP_S3_PREFIX", default="backups"),
            # Empty means boto3's own defaults: AWS, and its credential chain (an IAM role).
            "endpoint_url": env.str("BACKUP_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("BACKUP_S3_REGION", default="") or None,
            "access_key": env.str("BACKUP_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("BACKUP_S3_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
else:
    # Readable by the app's own user only: a backup holds every client's data.
    STORAGES["dbbackup"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BACKUP_DIR), "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
BACKUP_GPG_RECIPIENT = env.str("BACKUP_GPG_RECIPIENT", default="")
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
# Retries of a failed nightly backup, half an hour apart, before it is left to the next night.
BACKUP_RETRIES = env.int("BACKUP_RETRIES", default=2)
DBBACKUP_GPG_RECIPIENT = BACKUP_GPG_RECIPIENT or None
# The recipient is named by the operator, so its imported public key is trusted as is.
DBBACKUP_GPG_ALWAYS_TRUST = True
DBBACKUP_CLEANUP_KEEP = DBBACKUP_CLEANUP_KEEP_MEDIA = BACKUP_KEEP
DBBACKUP_FILENAME_TEMPLATE = "crystalbay-{databasename}-{datetime}.{extension}"
DBBACKUP_MEDIA_FILENAME_TEMPLATE = "crystalbay-media-{datetime}.{extension}"
DBBACKUP_SEND_EMAIL = False  # failures are logged (integrations/backups.py)
# pg_restore: the restoring database user owns what it restores (a new machine's role
# names need not match the old one's).
DBBACKUP_CONNECTORS = {"default": {"PG_OPTIONS": "--no-owner --no-privileges"}}
