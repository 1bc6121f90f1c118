"""Settings for Dealer Service, read from the environment (12-factor).

With no environment variables the project runs embedded: SQLite and a Celery
broker on the file system, so `make run` needs no server. Set DATABASE_URL and
REDIS_URL (or CELERY_BROKER_URL) to run on PostgreSQL and Redis.
"""

import datetime as dt
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local `.env` (git-ignored; `make run` writes one with DEBUG=1) fills in
# what the environment does not set; real environment variables always win.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    # Not "rest_framework": its message catalogue would override Django's
    # Chinese form messages site-wide; the API renders JSON only.
    "drf_spectacular",
    # Sign-in lockout after repeated failures (see AXES_* below).
    "axes",
    # The audit history of prices, consents, invoices and complaint levels (dealers.audit).
    "simple_history",
    # The service process, in import order (ARCHITECTURE.md).
    "dealers",
    "customers",
    "appointments",
    "reception",
    "workshop",
    "followup",
    "complaints",
    "dashboard",
    # The project package: sweep and demo-data commands.
    "dealer_service",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dealers.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the signed-in user on the audit history rows a request writes.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dealers.middleware.StationMiddleware",
    # Last, as axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dealer_service.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "dealers.context_processors.station",
            ],
        },
    },
]

WSGI_APPLICATION = "dealer_service.wsgi.application"

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded set-up runs the web server and a worker side by side:
    # WAL and a busy timeout let them share one SQLite file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No JIT: the dashboard's aggregates with correlated subqueries pass its
    # cost threshold, and compiling them took 100–200 ms a query, more than
    # running them (EXPLAIN ANALYZE on the demo data); short queries never gain.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Sign-in lockout: after AXES_FAILURE_LIMIT wrong passwords for one user name
# from one address, that pair is locked for AXES_COOLOFF_TIME (a colleague at
# another desk is not locked, nor is the user elsewhere). A success clears the
# count; a manager unlocks early with `manage.py axes_reset_username <name>`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dealers.signin.locked_out"

# Sessions: one working day (10 h) from sign-in, then sign in again. Not ended
# when the browser closes: browsers restore such cookies with their tabs, so
# it would not log anyone out reliably, while the workshop tablets' browsers
# are closed by the system during the day and a technician would lose the job
# clock's page; the fixed day bounds a forgotten session on a shared desk.
SESSION_COOKIE_AGE = 10 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: htmx sends the token that base.html writes
# into hx-headers, forms carry {% csrf_token %}.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Chinese dealerships first: Simplified Chinese is the default, English second.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Uploads: a form's fields besides its files stay under 2.5 MB (a drawn
# signature is at most 0.5 MB); files above 2.5 MB go to a temporary file, not
# memory. Photos are refused above reception.walkaround.MAX_PHOTO_BYTES; the
# web server in front caps the whole request (e.g. client_max_body_size 60m).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Redis and Celery -------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
    # The filesystem transport needs its folders before the first message.
    for _folder in ("queue", "processed"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis that is down or hangs must not hang whoever talks to it (beat's
# tick, /healthz): without these a publish waited 19 s on a stopped Redis and
# the health check forever on a frozen one. Connects and replies time out, a
# publish is retried twice within about a second, then fails and is logged;
# deadlines are rows, so the next sweep catches up. The worker keeps
# reconnecting for as long as the outage lasts and resumes when it ends.
_FAIL_FAST = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY_POLICY = _FAIL_FAST
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 3
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": _FAIL_FAST}
REDIS_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 3, **_FAIL_FAST}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule"))
# Beat's tick: a minute in production; tests that run a real beat shorten it.
SWEEP_INTERVAL_SECONDS = env.float("SWEEP_INTERVAL_SECONDS", default=60.0)
if SWEEP_INTERVAL_SECONDS <= 0:
    raise ImproperlyConfigured("SWEEP_INTERVAL_SECONDS must be positive.")
# The one place for schedules. Beat is only the clock: every deadline is a
# database row, and the sweep finds what is due (ARCHITECTURE.md "Time").
CELERY_BEAT_SCHEDULE = {
    # Every minute: no-shows, late forecasts, contact rules, escalations.
    # Missing a tick loses nothing: the next sweep catches up.
    "sweep-every-minute": {
        "task": "dealer_service.tasks.sweep_task",
        "schedule": SWEEP_INTERVAL_SECONDS,
        "options": {"expires": max(SWEEP_INTERVAL_SECONDS - 5, 1)},
    },
}

# On Redis the cache answers "absent" during an outage instead of failing
# the page (dealer_service.cache), after one-second socket timeouts.
CACHES = {
    "default": (
        {
            "BACKEND": "dealer_service.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="service@dealer.example")

# --- Messages to customers (followup.messaging) -----------------------------
# SMS backend: console, file (one file per message under SMS_FILE_PATH),
# locmem (tests), gateway (HTTP JSON to SMS_GATEWAY_URL) or a dotted path to a
# class. E-mail goes through EMAIL_BACKEND above (SMTP in production); letters
# are printed in batches from the letters page.
SMS_BACKEND = env("SMS_BACKEND", default="console")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=VAR_DIR / "messages")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=10.0)
# The registered SMS signature (短信签名); empty: the station's name.
SMS_SIGN = env("SMS_SIGN", default="")

# --- Links sent to customers (dealers.links) -----------------------------------
# How long a link in a message stays usable. Booking (view, cancel, move an
# online booking): until this many hours after the arrival time. Approval of
# additional work: this many hours after it was sent; sending again replaces it.
CUSTOMER_LINK_BOOKING_AFTER_ARRIVAL_HOURS = env.int("CUSTOMER_LINK_BOOKING_AFTER_ARRIVAL_HOURS", default=24)
CUSTOMER_LINK_APPROVAL_HOURS = env.int("CUSTOMER_LINK_APPROVAL_HOURS", default=24)
if SMS_BACKEND == "gateway" and not SMS_GATEWAY_URL:
    raise ImproperlyConfigured("SMS_BACKEND=gateway needs SMS_GATEWAY_URL.")

# --- Production hardening (checked by `manage.py check --deploy`) -----------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^ping$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step at INFO: keep its warnings only.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# The public JSON API (online self-booking): OpenAPI schema at /api/schema/;
# anonymous callers are throttled per scope (rates per client IP).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"public_slots": "60/min", "public_bookings": "10/hour"},
    # How many proxies stand in front of the app: throttles then trust only
    # the X-Forwarded-For entry those proxies added, never one a client forged.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {"TITLE": "Dealer Service API", "VERSION": "1.0.0"}

# Lookup and list paging.
LOOKUP_MIN_CHARS = 2
PAGE_SIZE = 20
