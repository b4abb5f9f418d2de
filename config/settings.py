"""Tuyến settings: everything comes from the environment, with production-safe defaults.

DJANGO_ENV selects the profile: ``production`` (default), ``development`` (``make run``) or
``test`` (pytest). Only the production profile is hardened; the others relax what a laptop
without TLS needs.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.channel_layers import DEFAULT_CAPACITY, in_memory_channel_layer, redis_channel_layer

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


ENVIRONMENT = os.environ.get("DJANGO_ENV", "production")
if ENVIRONMENT not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be production, development or test, not {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DJANGO_DEBUG", ENVIRONMENT == "development")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
    # Development and tests only: a fixed, obviously unsafe key.
    SECRET_KEY = "insecure-development-key-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "graphene_django",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.usersessions",
    "common",
    "audit",
    "facilities",
    "accounts",
    "api",
    "network",
    "mentorship",
    "referrals",
    "chat",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.request_context.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# DATABASE_URL is required here; `python -m config.launch` sets it to the embedded PostgreSQL
# when the environment does not.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` / `make test`, which start an embedded "
        "PostgreSQL, or point DATABASE_URL at a PostgreSQL server."
    )
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
# JIT compilation pays off for analytics, not for our short screen queries, where it adds
# hundreds of milliseconds whenever the planner's estimate crosses jit_above_cost.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Opt-in: parameters bound by the server, so psycopg prepares the statements a connection runs
# often and PostgreSQL stops planning them each time (the feed page's query costs ~3 ms to
# plan). Off by default: PostgreSQL takes at most 65,535 bound parameters and Django 5.2 does not
# batch for that limit (a bulk insert or an IN list of a nationwide plan exceeds it), and
# prepared statements need pooled or persistent connections (DATABASE_POOL) and a pooler that
# keeps them (not PgBouncer in transaction mode before 1.21).
if env_bool("DATABASE_SERVER_SIDE_BINDING", False):
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 5
if env_bool("DATABASE_POOL", False):
    # Under ASGI, persistent connections leak across threads: use psycopg's pool instead.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 2),
        "max_size": env_int("DATABASE_POOL_MAX", 10),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", DEFAULT_CAPACITY)  # see config.channel_layers
CHANNEL_LAYERS = {
    "default": redis_channel_layer(REDIS_URL, os.environ.get("CHANNELS_PREFIX", "tuyen"), CHANNEL_CAPACITY)
    if REDIS_URL
    else in_memory_channel_layer(CHANNEL_CAPACITY)
}

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if ENVIRONMENT == "test":
    # Hashing is not under test and Argon2 would dominate the suite's time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tuyến"
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_TOKEN_STRATEGY = "api.auth.OneQuerySessionTokenStrategy"  # noqa: S105 (a class path)
HEADLESS_ONLY = False
HEADLESS_SERVE_SPECIFICATION = DEBUG
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": "/accounts/confirm-email/{key}/",
    "account_reset_password_from_key": "/accounts/password/reset/key/{key}/",
    "account_signup": "/accounts/signup/",
}

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the web client reads it for GraphQL requests

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tuyến <no-reply@tuyen.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# locale/allauth holds our Vietnamese catalogue for allauth's pages (allauth ships none).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "allauth"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and private media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Licence scans are health-adjacent personal data: they live outside any served directory and
# are only streamed to verifiers through a permission-checked view.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
LICENCE_SCAN_MAX_BYTES = env_int("LICENCE_SCAN_MAX_BYTES", 10 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o600

# --- GraphQL ----------------------------------------------------------------------------------
GRAPHENE = {
    "SCHEMA": "config.schema.schema",
    "RELAY_CONNECTION_ENFORCE_FIRST_OR_LAST": True,
    "RELAY_CONNECTION_MAX_LIMIT": 100,
    "ATOMIC_MUTATIONS": False,
}
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 10)
GRAPHQL_MAX_ALIASES = env_int("GRAPHQL_MAX_ALIASES", 15)
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", not PRODUCTION)
GRAPHQL_WS_CONNECTION_INIT_TIMEOUT = env_int("GRAPHQL_WS_CONNECTION_INIT_TIMEOUT", 10)
# A multipart GraphQL request (one file per request: a licence scan, a photo, an attachment).
GRAPHQL_MAX_UPLOAD_BYTES = env_int("GRAPHQL_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
GRAPHQL_WS_MAX_SUBSCRIPTIONS = env_int("GRAPHQL_WS_MAX_SUBSCRIPTIONS", 50)  # operations per socket
# WebSocket frames a client may send at once, then per second; a flood beyond is closed with 4429.
GRAPHQL_WS_MESSAGES_BURST = env_int("GRAPHQL_WS_MESSAGES_BURST", 100)
GRAPHQL_WS_MESSAGES_PER_SECOND = env_int("GRAPHQL_WS_MESSAGES_PER_SECOND", 20)
# Then 4000 (reconnect): sockets spread again over the server processes, and a socket's view of
# the user (checked per operation anyway) is renewed.
GRAPHQL_WS_MAX_AGE_SECONDS = env_int("GRAPHQL_WS_MAX_AGE_SECONDS", 12 * 60 * 60)

# Daphne refuses larger WebSocket frames (CVE-2026 hardening); chat sets its own body cap.
WEBSOCKET_MAX_MESSAGE_BYTES = env_int("WEBSOCKET_MAX_MESSAGE_BYTES", 64 * 1024)

# --- Network ----------------------------------------------------------------------------------
NETWORK_DAILY_CONNECTION_REQUESTS = env_int("NETWORK_DAILY_CONNECTION_REQUESTS", 30)
CASE_ATTACHMENT_MAX_BYTES = env_int("CASE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

# --- Mentorship -------------------------------------------------------------------------------
MENTORSHIP_PROPOSAL_DAYS = env_int("MENTORSHIP_PROPOSAL_DAYS", 14)  # an unanswered proposal expires
MENTORSHIP_ACTIVITY_DAYS = env_int("MENTORSHIP_ACTIVITY_DAYS", 30)  # "active", not "paper"
MENTORSHIP_REMINDER_INTERVAL_DAYS = env_int("MENTORSHIP_REMINDER_INTERVAL_DAYS", 7)

# --- Referrals --------------------------------------------------------------------------------
# Memory for the sorts of one referral-metrics statement (percentiles over a year of referrals:
# ~50MB for 300,000 grouped by province; less spills to disk).
REFERRAL_METRICS_WORK_MEM = os.environ.get("REFERRAL_METRICS_WORK_MEM", "64MB")
# Its planner's cost of a random page: the covering metrics index is cached, and at the default
# (4, spinning disks) the planner reads the whole table instead of it.
REFERRAL_METRICS_RANDOM_PAGE_COST = os.environ.get("REFERRAL_METRICS_RANDOM_PAGE_COST", "1.1")

# --- Chat -------------------------------------------------------------------------------------
CHAT_MESSAGE_MAX_BYTES = env_int("CHAT_MESSAGE_MAX_BYTES", 8 * 1024)  # UTF-8 bytes of one message
CHAT_SEND_BURST = env_int("CHAT_SEND_BURST", 10)  # sends a doctor may make at once...
CHAT_SEND_PER_MINUTE = env_int("CHAT_SEND_PER_MINUTE", 60)  # ...and then per minute, all rooms together
CHAT_TYPING_INTERVAL_SECONDS = env_int("CHAT_TYPING_INTERVAL_SECONDS", 3)  # one indicator per doctor and room
# Every live room subscription checks its access again this often, also in a silent room.
# Every save that access depends on is announced and checked at once (chat.services.access);
# this catches changes made outside the application (bulk SQL). One query per subscription and
# period: shorter periods cost the database in proportion to the live subscriptions.
CHAT_ACCESS_RECHECK_SECONDS = env_int("CHAT_ACCESS_RECHECK_SECONDS", 60)
# Days messages are kept per room kind (apply_chat_retention); 0 keeps them for ever.
CHAT_RETENTION_DAYS = {
    kind: env_int(f"CHAT_RETENTION_DAYS_{kind.upper()}", 0)
    for kind in ("case", "direct", "mentorship", "mentor_circle", "referral")
}

# --- Search -----------------------------------------------------------------------------------
# PostgreSQL answers searches unless ELASTICSEARCH_URL names a cluster (client and cluster major: 9).
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
ELASTICSEARCH_INDEX_PREFIX = os.environ.get("ELASTICSEARCH_INDEX_PREFIX", "tuyen")
# Seconds a search or an after-commit index update waits for the cluster before giving up
# (a search then falls back to PostgreSQL; an update stays in the outbox).
ELASTICSEARCH_TIMEOUT = env_int("ELASTICSEARCH_TIMEOUT", 2)
# After an Elasticsearch outage, a process leaves it alone this many seconds: searches go
# straight to PostgreSQL, index updates wait in the outbox for `manage.py search_drain_outbox`.
ELASTICSEARCH_PAUSE_SECONDS = env_int("ELASTICSEARCH_PAUSE_SECONDS", 30)

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
