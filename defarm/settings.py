"""DeFarm settings. Every value comes from the environment (see README and .env.example).

Without DATABASE_URL the process serves a SQLite file under the data directory, created and
migrated at start. With DATABASE_URL it serves PostgreSQL and refuses to start when PostgreSQL
does not answer, unless DEFARM_DB_FALLBACK=memory asks for an in-memory database.
DEFARM_DB_MEMORY=true serves an in-memory SQLite database (nothing persists) in every case.
"""

import logging
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("defarm.settings")

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


def env_int(name: str, default: int) -> int:
    value = env(name)
    try:
        return int(value) if value else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from error


DEBUG = env_bool("DEBUG", default=False)
TESTING = env_bool("DEFARM_TESTING", default=False)

# Serving processes refuse to start without these when DEBUG is off (defarm.startup); other
# management commands (migrate, collectstatic) run without them.
_DEVELOPMENT_SECRET = "defarm-development-only-secret-key-not-for-production-use"
REQUIRED_SECRETS = ("SECRET_KEY", "JWT_SECRET", "ATTESTATION_SIGNING_KEY")
MISSING_SECRETS = [] if DEBUG or TESTING else [name for name in REQUIRED_SECRETS if not env(name)]
SECRET_KEY = env("SECRET_KEY") or ("" if MISSING_SECRETS else _DEVELOPMENT_SECRET)
JWT_SECRET = env("JWT_SECRET") or ("" if MISSING_SECRETS else _DEVELOPMENT_SECRET)
# Ed25519 key signing attestations: base64 of a 32-byte seed (items/integrity/signing.py).
# Without it a development key is generated once into DEFARM_DATA_DIR.
ATTESTATION_SIGNING_KEY = env("ATTESTATION_SIGNING_KEY")
JWT_LIFETIME = timedelta(hours=24)
# No token of a session (a login and its refreshes) outlives this.
JWT_SESSION_LIFETIME = timedelta(days=env_int("DEFARM_JWT_SESSION_DAYS", 30))

# On Railway (it sets RAILWAY_ENVIRONMENT_NAME in every service) the service's own domains and
# the health checker's host are allowed without configuration.
ON_RAILWAY = any(
    env(name) for name in ("RAILWAY_ENVIRONMENT_NAME", "RAILWAY_ENVIRONMENT", "RAILWAY_PROJECT_ID")
)
RAILWAY_HEALTHCHECK_HOST = "healthcheck.railway.app"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG or TESTING else "")
for _railway_host in (
    env("RAILWAY_PUBLIC_DOMAIN"),
    env("RAILWAY_PRIVATE_DOMAIN"),
    RAILWAY_HEALTHCHECK_HOST if ON_RAILWAY or env("RAILWAY_PUBLIC_DOMAIN") else "",
):
    if _railway_host and _railway_host not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(_railway_host)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if env("RAILWAY_PUBLIC_DOMAIN"):
    CSRF_TRUSTED_ORIGINS.append(f"https://{env('RAILWAY_PUBLIC_DOMAIN')}")

INSTALLED_APPS = [
    "defarm.admin.DefarmAdminConfig",
    # Before staticfiles: DeFarm's ``runserver`` (which prepares the database) wins over its own.
    "defarm.apps.DefarmConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "accounts",
    "items",
    "items.epcis.apps.EpcisConfig",
    "circuits",
    "adapters",
    "items.integrity",
    "items.snapshots",
    "audit",  # last: its admin module registers a generic admin for any model left
]

MIDDLEWARE = [
    # First: health checks answer whatever the Host header, scheme or session.
    "defarm.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "defarm.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "defarm.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.ApiKeyUsageMiddleware",
    "audit.context.AuditContextMiddleware",
]

ROOT_URLCONF = "defarm.urls"
WSGI_APPLICATION = "defarm.wsgi.application"
ASGI_APPLICATION = "defarm.asgi.application"
APPEND_SLASH = False

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATA_DIR = Path(env("DEFARM_DATA_DIR", str(BASE_DIR / "data")))
SQLITE_PATH = DATA_DIR / "defarm.sqlite3"

SQLITE_FILE_DATABASE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": SQLITE_PATH,
    "OPTIONS": {
        # Writers queue for the lock instead of failing; WAL lets readers run beside a writer.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    },
}
MEMORY_DATABASE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": "file:defarm-memory?mode=memory&cache=shared",
    "OPTIONS": {"uri": True},
}


def _postgresql_answers(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


DATABASE_URL = env("DATABASE_URL")
DB_MEMORY = env_bool("DEFARM_DB_MEMORY", default=False)
DB_FALLBACK = env("DEFARM_DB_FALLBACK").lower()
if DB_FALLBACK not in {"", "memory"}:
    raise ImproperlyConfigured("DEFARM_DB_FALLBACK accepts only 'memory' (or nothing).")

if (
    DATABASE_URL
    and not DB_MEMORY
    and DB_FALLBACK == "memory"
    and not _postgresql_answers(DATABASE_URL)
):
    logger.critical(
        "DATABASE_URL does not answer and DEFARM_DB_FALLBACK=memory is set: SERVING AN "
        "IN-MEMORY DATABASE. Every write is lost when the process exits."
    )
    DB_MEMORY = True

if DB_MEMORY:
    DATABASES = {"default": MEMORY_DATABASE}
elif DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
            "DB_CONNECT_TIMEOUT", 5
        )
else:
    DATABASES = {"default": SQLITE_FILE_DATABASE}

DATABASE_IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
DATABASE_IS_MEMORY = DB_MEMORY
# What /healthz reports: "postgresql", "sqlite" (a file) or "sqlite-memory".
DATABASE_KIND = (
    "sqlite-memory" if DATABASE_IS_MEMORY else "sqlite" if DATABASE_IS_SQLITE else "postgresql"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and passwords ----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator"},
]
DEFARM_ADMIN_USERNAME = env("DEFARM_ADMIN_USERNAME", "admin")
DEFARM_ADMIN_PASSWORD = env("DEFARM_ADMIN_PASSWORD")
DEFARM_ADMIN_EMAIL = env("DEFARM_ADMIN_EMAIL", "admin@defarm.local")

# --- E-mail (password reset) ----------------------------------------------------------------------
# SMTP with the EMAIL_* variables. In development and tests without EMAIL_HOST, the console
# (mails are printed). In production without EMAIL_HOST nothing is sent: a reset e-mail is
# logged as not sent, never printed (it holds a token). EMAIL_BACKEND (a backend's dotted
# path) overrides the choice.
_EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
_SMTP_OPTIONS = {
    "host": env("EMAIL_HOST"),
    "port": env_int("EMAIL_PORT", 465 if _EMAIL_USE_SSL else 587),
    "username": env("EMAIL_HOST_USER"),
    "password": env("EMAIL_HOST_PASSWORD"),
    "use_tls": not _EMAIL_USE_SSL and env_bool("EMAIL_USE_TLS", default=True),
    "use_ssl": _EMAIL_USE_SSL,
    "timeout": env_int("EMAIL_TIMEOUT", 10),
}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_EMAIL_BACKEND = env("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if (DEBUG or TESTING) and not _SMTP_OPTIONS["host"]
    else SMTP_BACKEND
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": _SMTP_OPTIONS if _EMAIL_BACKEND == SMTP_BACKEND else {},
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "DeFarm <no-reply@defarm.local>")
# Where the e-mail's link points (the front-end's reset page; ?token=... is appended). Unset:
# the e-mail gives the token and the API route to send it to.
DEFARM_PASSWORD_RESET_URL = env("DEFARM_PASSWORD_RESET_URL")
DEFARM_PASSWORD_RESET_TOKEN_MINUTES = env_int("DEFARM_PASSWORD_RESET_TOKEN_MINUTES", 60)
# The earlier engine's name: reset e-mails per account (and requests per e-mail or username)
# in an hour.
PASSWORD_RESET_RATE_LIMIT_PER_HOUR = env_int("PASSWORD_RESET_RATE_LIMIT_PER_HOUR", 3)

# --- Internationalisation, static files -----------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DEFARM_MAX_BODY_BYTES", 10 * 1024 * 1024)
# EPCIS: the GS1 Company Prefix length used to write a Digital Link as an EPC URN when the EPC
# was not captured as a URN (GS1-EPC-Format: Always_EPC_URN).
EPCIS_COMPANY_PREFIX_LENGTH = env_int("DEFARM_EPCIS_COMPANY_PREFIX_LENGTH", 7)
# EPCIS export: DFIDs, circuits and DeFarm's own vocabulary as URIs under this base.
EPCIS_URI_BASE = env("DEFARM_EPCIS_URI_BASE", "https://id.defarm.net")

# --- REST API ---------------------------------------------------------------------------------

# Proxies whose X-Forwarded-For is believed (addresses or ranges, comma-separated): Railway's
# edge reaches the app from a private address. A request from anywhere else is known by its
# socket address, whatever X-Forwarded-For it carries.
TRUSTED_PROXIES = [
    entry.strip()
    for entry in env(
        "DEFARM_TRUSTED_PROXIES",
        "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,127.0.0.0/8,::1/128,fc00::/7",
    ).split(",")
    if entry.strip()
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "defarm.api.authentication.APIKeyAuthentication",
        "defarm.api.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "defarm.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "defarm.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "defarm.api.exceptions.exception_handler",
    # JSON in and out (API contract); a form or multipart body gets 415 in the error shape.
    "DEFAULT_PARSER_CLASSES": ["defarm.api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # The browsable HTML API only in development; production answers JSON (docs: /api/docs/).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_THROTTLE_RATES": {
        "auth": env("DEFARM_AUTH_THROTTLE_RATE", "20/min"),
    },
    "NUM_PROXIES": env_int("DEFARM_NUM_PROXIES", 1),
    "UNAUTHENTICATED_USER": None,
    # OPTIONS answers 405 like any method a route does not take (no DRF metadata answers), and
    # a ?format= query is an ordinary parameter, not a renderer switch.
    "DEFAULT_METADATA_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "DeFarm API",
    "DESCRIPTION": "Traceability backend for agricultural supply chains.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "defarm.api.schema.add_error_responses",
        "defarm.api.schema_docs.document_sections",
    ],
    # One enum component per set of choices, named after what it is (not after the field).
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "accounts.models.Tier",
        "UserStatusEnum": "accounts.models.UserStatus",
        "TransactionTypeEnum": "accounts.models.TransactionType",
        "ApiKeyPermissionEnum": "accounts.models.ApiKeyPermission",
        "StorageTriggerEnum": "adapters.models.StorageTrigger",
        "StorageBackendTypeEnum": "adapters.registry.STORAGE_BACKEND_TYPES",
        "DataLakeStatusEnum": "audit.models.DataLakeStatus",
        "ReportStatusEnum": "audit.models.ReportStatus",
        "ReportTypeEnum": "audit.models.ReportType",
        "ExportFormatEnum": "audit.models.ExportFormat",
        "CircuitStatusEnum": "circuits.models.CircuitStatus",
        "OperationTypeEnum": "circuits.models.OperationType",
        "OperationStatusEnum": "circuits.models.OperationStatus",
        "CircuitPermissionEnum": "circuits.permissions.ALL_PERMISSIONS",
        "ReviewStatusEnum": "circuits.models.PendingItemStatus",
        "ItemStatusEnum": "items.models.ItemStatus",
        "IdentifierTypeEnum": "items.models.IdentifierType",
        "ConflictStatusEnum": "items.models.ConflictStatus",
        "EventTypeEnum": "items.models.EventType",
        "EventVisibilityEnum": "items.models.EventVisibility",
    },
}

# --- Background tasks ---------------------------------------------------------------------------

TASKS_IMMEDIATE = TESTING or DATABASE_IS_SQLITE or env_bool("DEFARM_TASKS_IMMEDIATE")
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TASKS_IMMEDIATE
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# --- Webhooks -----------------------------------------------------------------------------------

# Loopback targets are refused like private ones unless this is on (local development, tests).
WEBHOOKS_ALLOW_LOOPBACK = env_bool("DEFARM_WEBHOOKS_ALLOW_LOOPBACK", default=False)
WEBHOOKS_TIMEOUT = env_int("DEFARM_WEBHOOKS_TIMEOUT", 10)

# Stellar anchoring (adapters stellar_testnet-ipfs, stellar_mainnet-ipfs). A network is configured
# when its Horizon URL and signing secret are set; mainnet is refused unless also enabled.
STELLAR_TESTNET_HORIZON_URL = env("STELLAR_TESTNET_HORIZON_URL")
STELLAR_TESTNET_SECRET_KEY = env("STELLAR_TESTNET_SECRET_KEY")
STELLAR_MAINNET_ENABLED = env_bool("STELLAR_MAINNET_ENABLED", default=False)
STELLAR_MAINNET_HORIZON_URL = env("STELLAR_MAINNET_HORIZON_URL")
STELLAR_MAINNET_SECRET_KEY = env("STELLAR_MAINNET_SECRET_KEY")
STELLAR_BASE_FEE = env_int("STELLAR_BASE_FEE", 100)
STELLAR_TIMEOUT = env_int("STELLAR_TIMEOUT", 30)

# --- Cache (used for throttling of login and registration) ---------------------------------------

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
        }
    }

# --- Live notifications (the WebSocket /api/notifications/ws) ---------------------------------

# Every web process and replica shares the Redis channel layer; without REDIS_URL the layer is
# in the process's memory, so a notification reaches only sockets held by the process that
# wrote it (development, tests, one worker).
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if env("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Reads wait longer than the layer's 5-second blocking pop (redis-py 8 would
                # otherwise time every idle socket's read out after 5 seconds).
                "hosts": [{"address": env("REDIS_URL"), "socket_timeout": 15}],
                "prefix": "defarm",
            },
        }
    }

# --- Security ---------------------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not DEBUG and not TESTING and env_bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SECURE_HSTS_SECONDS = 0 if DEBUG or TESTING else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Logging ----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"without_traceback": {"()": "defarm.log_filters.WithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "console_one_line": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["without_traceback"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A refused Host header is the client's mistake: one line, not a traceback.
        "django.security.DisallowedHost": {
            "handlers": ["console_one_line"],
            "level": "WARNING",
            "propagate": False,
        },
    },
}
