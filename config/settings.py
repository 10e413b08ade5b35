"""Settings, read from the environment.

Unset DATABASE_URL and REDIS_URL select the embedded mode: a SQLite file and a file-system
Celery broker under var/, so `make run` needs no server. Production sets both, plus SECRET_KEY.
A bad value stops start-up with a message naming the variable (see config/env.py).
"""

import re
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, env_url
from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("AFFNET_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DATABASE_URL = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))
EMBEDDED = DATABASE_URL is None

DEBUG = env_bool("DEBUG", default=EMBEDDED)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("Environment variable SECRET_KEY must be at least 32 chars")
        return key
    if not EMBEDDED:
        raise ImproperlyConfigured(
            "Environment variable SECRET_KEY (or SECRET_KEY_FILE) is required with DATABASE_URL"
        )
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# HTTPS. HTTPS_ONLY=on (production behind TLS) turns every one of these on; each can still be
# set on its own. Off by default so the embedded mode and tests run on plain HTTP.
HTTPS_ONLY = env_bool("HTTPS_ONLY", default=False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=HTTPS_ONLY)
# Probes and Prometheus talk plain HTTP to the node itself, not through the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=HTTPS_ONLY)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=HTTPS_ONLY)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS_ONLY else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=HTTPS_ONLY)
# Peers whose CLICK_IP_HEADER is believed (core/proxy.py): our own nginx, by address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", ["127.0.0.0/8", "::1/128"])
# Trust X-Forwarded-Proto only when a proxy we run sets it (deploy/nginx overwrites it).
if env_bool("SECURE_PROXY_SSL_HEADER", default=HTTPS_ONLY):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The public base URL that tracking links are built on.
TRACKING_BASE_URL = env_str("TRACKING_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts.admin_config.TwoFactorAdminConfig",  # django.contrib.admin, two-factor gated
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "auditlog",
    # Two-factor sign-in (TOTP) and sign-in throttling (accounts/two_factor.py and
    # accounts/sign_in_throttle.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "accounts",
    "offers",
    "affiliates",
    "tracking",
    "payouts",
    "billing",
    "reports",
    "fraud",
    "portal",
    # The operations edge: /metrics and the demo network's seed_demo command.
    "ops.apps.OpsEdgeConfig",
    "config.apps.OpsConfig",
]

MIDDLEWARE = [
    "core.proxy.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # /api/ only: 413 for oversized bodies, 400 for NUL or lone surrogates in the URL.
    "core.api.ApiInputGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a throttled sign-in into the sign-in page with the reason (status 429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a (username, address) pair over its failures before a password is tried.
    "accounts.sign_in_throttle.ThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

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

if EMBEDDED:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "affnet.sqlite3",
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
else:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0)
        )
    }
    # A PostgreSQL host that vanished (no "connection refused", packets dropped) fails a
    # connection within this many seconds, not the OS's minutes: the callback endpoint then
    # spools (tracking/callbacks/spool.py) instead of holding the advertiser's request.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5, minimum=1)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Where the network's days and months begin (an IANA name): caps per day/week/month, accounting
# periods and default report ranges count in it (core/network_time.py). Storage stays UTC.
NETWORK_TIME_ZONE = env_str("NETWORK_TIME_ZONE", "UTC").strip() or "UTC"
try:
    ZoneInfo(NETWORK_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError) as _exc:
    raise ImproperlyConfigured(
        f"NETWORK_TIME_ZONE={NETWORK_TIME_ZONE!r} is not an IANA time zone (e.g. Europe/Berlin)."
    ) from _exc
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "/admin/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "affiliates.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Integer and date filters bounded to what the columns hold (core/api.py).
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    # JSON with a size and depth limit and no NUL or lone surrogates; forms as DRF parses them.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.schema.UpdateBodiesOwnTheirName",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}

# The largest API request body (413 beyond it) and the deepest JSON nesting (400 beyond it).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1_048_576, minimum=1024)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32, minimum=4)

# Per API key, across all web nodes (the cache is Redis). Empty: no limit.
API_KEY_THROTTLE_RATE = env_str("API_KEY_THROTTLE_RATE", "6000/min")
# Active (unrevoked) API keys one user may hold; minting beyond it is refused (409).
API_KEYS_PER_USER = env_int("API_KEYS_PER_USER", 10, minimum=1)

SPECTACULAR_SETTINGS = {
    "TITLE": "Affnet API",
    "DESCRIPTION": "Affiliate network tracking and payout server. "
    "Authenticate with `Authorization: Bearer <api key>`. "
    'Every 4xx answers `{"error": {"code", "message", "fields"}}`.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs pages' assets from drf-spectacular-sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "tryItOutEnabled": True},
    "COMPONENT_SPLIT_REQUEST": True,
    # Bodies are documented as JSON only: a form can carry neither null nor a list of objects,
    # so the schema could not promise what a form body may say (forms still parse, undocumented).
    "PARSER_WHITELIST": ["core.parsers.JSONParser"],
    # Every operation's 4xx answers with the error body (config/schema.py), after the enums.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.add_error_responses",
        "config.schema.close_request_bodies",
        "config.schema.decimals_need_a_digit",
        "config.schema.required_for_the_callers_role",
    ],
    # One name per shared choice set (revenue and payout kinds are the same TermsKind).
    "ENUM_NAME_OVERRIDES": {
        "TermsKindEnum": "offers.models.TermsKind",
        "PayoutBatchStatusEnum": "payouts.models.PayoutBatch.Status",
        "PayoutBatchLineStatusEnum": "payouts.models.PayoutBatchLine.Status",
        "CallbackInboxStateEnum": "tracking.models.CallbackInbox.State",
        "PayoutDetailsChangeStateEnum": "affiliates.models.PayoutDetailsChange.State",
        "PayoutRequestStateEnum": "payouts.models.Decision",
        # Offers read by staff and by publishers (two components) share their status.
        "OfferStatusEnum": "offers.models.Offer.Status",
        "PublisherStatusEnum": "affiliates.models.Publisher.Status",
        # Allowed and forbidden traffic, and a declared source's type: one vocabulary.
        "TrafficTypeEnum": "core.traffic_types.TrafficType",
        # Advertiser billing (billing/).
        "InvoiceStatusEnum": "billing.models.Invoice.Status",
        "InvoiceLineKindEnum": "billing.models.InvoiceLine.Kind",
        "RevenueBudgetPeriodEnum": "billing.models.RevenueBudget.Period",
        # A conversion's status (staff lists, the review queue), a ledger entry's kind (staff
        # and publisher views) and a tax form's kind (read and upload): each one set of choices.
        "ConversionStatusEnum": "tracking.models.Conversion.Status",
        "LedgerEntryKindEnum": "payouts.models.LedgerEntry.Kind",
        "TaxFormKindEnum": "payouts.models.TaxForm.Kind",
        # A cap's action and period and a goal's kind, beside the audit, creative and budget
        # choice sets of the same field names.
        "CapActionEnum": "offers.models.Cap.Action",
        "CapPeriodEnum": "offers.models.Cap.Period",
        "GoalKindEnum": "offers.models.Goal.Kind",
        # A creative's kind, an enum in request bodies only (core.api_fields.RequestRule).
        "CreativeKindEnum": "offers.creatives.Creative.Kind",
        # CPM's impression source (tracking/impression_reports.py): read and set; its reports.
        "ImpressionSourceEnum": "tracking.models.ImpressionSource.Source",
        "ImpressionReportStatusEnum": "tracking.models.ImpressionReport.Status",
        "PaymentSourceEnum": "billing.models.Payment.Source",
    },
}

# Celery: Redis in production; a file-system broker under var/ in the embedded mode.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _celery_dir = VAR_DIR / "celery"
    for sub in ("queue", "processed", "control"):
        (_celery_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        # The exchange tables; kombu's default is ./control, in whatever folder we started in.
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Workers log through LOGGING below (JSON in production) instead of Celery's own setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}
# One queue per kind of work, so production can size workers per queue (deploy/).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "tracking.tasks.clicks.*": {"queue": "clicks"},
    "tracking.tasks.attribution.*": {"queue": "attribution"},
    "tracking.tasks.callback_spool.*": {"queue": "attribution"},
    "tracking.tasks.postbacks.*": {"queue": "postbacks"},
    "payouts.tasks.*": {"queue": "payouts"},
}
CELERY_ALL_QUEUES = "default,clicks,attribution,postbacks,payouts"

# Money and payouts.
PAYOUT_HOLD_DAYS = env_int("PAYOUT_HOLD_DAYS", 30, minimum=0)
# Optional: build a draft batch per currency "daily", "weekly" (Mondays) or "monthly" (the 1st)
# at PAYOUT_SCHEDULE_HOUR UTC; "monthly, net 30" is monthly with PAYOUT_HOLD_DAYS=30.
PAYOUT_SCHEDULE = env_str("PAYOUT_SCHEDULE", "").strip().lower()
PAYOUT_SCHEDULE_HOUR = env_int("PAYOUT_SCHEDULE_HOUR", 2, minimum=0)
# A publisher whose payout details (where the money goes) changed within this many hours is
# held out of batches: time for the publisher to notice a change it did not ask for.
PAYOUT_DETAILS_COOLDOWN_HOURS = env_int("PAYOUT_DETAILS_COOLDOWN_HOURS", 72, minimum=0)
# Manual adjustments one author makes to one publisher (summed, per currency, since the
# publisher's last paid batch) above this amount wait for a second finance user's confirmation.
PAYOUT_ADJUSTMENT_CONFIRM_ABOVE = env_int("PAYOUT_ADJUSTMENT_CONFIRM_ABOVE", 1000, minimum=0)
# Earnings become payable once their month is closed by finance, plus this many days, besides
# PAYOUT_HOLD_DAYS (both must have passed). 0 by default: a network pays only from closed books,
# and the close is itself the check that the month's figures are final (the advertisers
# validated them), so nothing is gained by waiting longer unless the network's payment terms
# say so (e.g. 15 to pay mid-month after a close around the 10th). "off": the hold alone
# decides, as before periods existed.
_after_close = env_str("PAYABLE_AFTER_CLOSE_DAYS", "0").strip().lower()
if _after_close in ("off", "none", ""):
    PAYABLE_AFTER_CLOSE_DAYS: int | None = None
elif _after_close.isdigit():
    PAYABLE_AFTER_CLOSE_DAYS = int(_after_close)
else:
    raise ImproperlyConfigured(
        f"PAYABLE_AFTER_CLOSE_DAYS={_after_close!r}: a whole number of days (0 or more) or off."
    )
# Publishers are paid only once a finance user accepted a tax form of theirs (W-9, W-8BEN...),
# when on. Off by default: whether a form is needed depends on the network's jurisdiction.
TAX_FORM_REQUIRED = env_bool("TAX_FORM_REQUIRED", False)
TAX_FORM_MAX_BYTES = env_int("TAX_FORM_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# This many days before an accepted tax form's last valid day (network calendar), its publisher's
# users are told once to upload a renewal (daily at 07:00 UTC); 0: no notice.
TAX_FORM_EXPIRY_NOTICE_DAYS = env_int("TAX_FORM_EXPIRY_NOTICE_DAYS", 30, minimum=0)
CELERY_BEAT_SCHEDULE["payouts-tax-form-expiry-notices"] = {
    "task": "payouts.tasks.tax_form_expiry_notices_send",
    "schedule": crontab(minute=0, hour=7),
    "options": {"queue": "payouts", "expires": 12 * 3600},
}
# Uploaded documents (tax forms) go through Django's storage API: files under MEDIA_ROOT by
# default, never served by URL (finance downloads them through the API).
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploaded banner images (MEDIA_ROOT/creatives/) are public at MEDIA_URL + "creatives/": the web
# server serves that prefix only (deploy/nginx/affnet-locations.conf), never MEDIA_ROOT whole.
# A relative MEDIA_URL is made absolute with TRACKING_BASE_URL in publishers' creative codes.
MEDIA_URL = env_str("MEDIA_URL", "/media/")
if not MEDIA_URL.endswith("/"):
    raise ImproperlyConfigured(f"MEDIA_URL={MEDIA_URL!r} must end with '/'")
# The largest banner image accepted (PNG, JPEG, GIF or WebP, read from its bytes).
CREATIVE_IMAGE_MAX_BYTES = env_int("CREATIVE_IMAGE_MAX_BYTES", 512 * 1024, minimum=1024)
# The payout task's beat entry: daily; weekly on Mondays; monthly on the 1st; at the hour, UTC.
PAYOUT_SCHEDULES = {
    "daily": {},
    "weekly": {"day_of_week": 1},
    "monthly": {"day_of_month": 1},
}
if PAYOUT_SCHEDULE:
    if PAYOUT_SCHEDULE not in PAYOUT_SCHEDULES or PAYOUT_SCHEDULE_HOUR > 23:
        raise ImproperlyConfigured(
            f"PAYOUT_SCHEDULE={PAYOUT_SCHEDULE!r} must be one of {', '.join(PAYOUT_SCHEDULES)}"
            " (or empty), with PAYOUT_SCHEDULE_HOUR 0-23"
        )
    CELERY_BEAT_SCHEDULE["payouts-scheduled-batches"] = {
        "task": "payouts.tasks.scheduled_batches_build",
        "schedule": crontab(
            minute=0, hour=PAYOUT_SCHEDULE_HOUR, **PAYOUT_SCHEDULES[PAYOUT_SCHEDULE]
        ),
        "options": {"queue": "payouts"},
    }

# Outgoing publisher postbacks may target loopback only when this is explicitly on (tests of
# retries against a local server). Off by default; the SSRF tests keep it off.
POSTBACK_ALLOW_LOOPBACK = env_bool("POSTBACK_ALLOW_LOOPBACK", default=False)
# Publisher postbacks: attempts per delivery and the first backoff (x3 per attempt, +-20%).
POSTBACK_MAX_ATTEMPTS = env_int("POSTBACK_MAX_ATTEMPTS", 8, minimum=1)
POSTBACK_RETRY_BASE_SECONDS = env_int("POSTBACK_RETRY_BASE_SECONDS", 60, minimum=0)

# Conversion callbacks and attribution (tracking/callbacks/, tracking/attribution/).
CALLBACK_EVERFLOW_PATH = env_str("CALLBACK_EVERFLOW_PATH", "/everflow")
# Advertisers' postback secrets are encrypted at rest (offers/secret_box.py) with these Fernet
# keys, comma-separated: the first encrypts, all decrypt. Rotate by putting a new key first
# (`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`),
# running `manage.py postback_secrets_reencrypt`, then dropping the old key. Required with
# DATABASE_URL; the embedded mode uses a fixed, public development key.
# urlsafe base64 of b"affnet-embedded-dev-key-not-prod": public, for the embedded mode only.
_EMBEDDED_CALLBACK_KEY = "YWZmbmV0LWVtYmVkZGVkLWRldi1rZXktbm90LXByb2Q="
CALLBACK_SECRET_KEYS = env_list(
    "CALLBACK_SECRET_KEYS", [_EMBEDDED_CALLBACK_KEY] if EMBEDDED else []
)
if not CALLBACK_SECRET_KEYS:
    raise ImproperlyConfigured(
        "Environment variable CALLBACK_SECRET_KEYS (or CALLBACK_SECRET_KEYS_FILE) is required with"
        " DATABASE_URL: comma-separated Fernet keys that encrypt advertisers' postback secrets"
    )
try:
    from cryptography.fernet import Fernet

    for _key in CALLBACK_SECRET_KEYS:
        Fernet(_key)
except ValueError as exc:
    raise ImproperlyConfigured(
        f"Environment variable CALLBACK_SECRET_KEYS holds a key that is not a Fernet key: {exc}"
    ) from exc
# Signature v1 (keyed by sha256_hex(secret)) is accepted until this UTC date, exclusive; after
# it only v2 (keyed by the secret itself). docs/api.md states the window to advertisers.
try:
    from datetime import date

    CALLBACK_SIGNATURE_V1_UNTIL = date.fromisoformat(
        env_str("CALLBACK_SIGNATURE_V1_UNTIL", "2027-07-01")
    )
except ValueError as exc:
    raise ImproperlyConfigured(
        f"Environment variable CALLBACK_SIGNATURE_V1_UNTIL must be a date (YYYY-MM-DD): {exc}"
    ) from exc
CELERY_BEAT_SCHEDULE["callback-replay-keys-purge"] = {
    "task": "tracking.tasks.attribution.callback_replay_keys_purge",
    "schedule": 300.0,
}
# Callbacks received while PostgreSQL is unreachable wait in this Redis stream (on REDIS_URL,
# which must be noeviction) and are drained into the inbox once it is back
# (tracking/callbacks/spool.py, drain.py). Entries a dead drain held are claimed back after
# CALLBACK_SPOOL_CLAIM_IDLE_MS.
CALLBACK_SPOOL_KEY = env_str("CALLBACK_SPOOL_KEY", "{affnet:callback-spool}")
CALLBACK_SPOOL_GROUP = env_str("CALLBACK_SPOOL_GROUP", "inbox")
CALLBACK_SPOOL_CLAIM_IDLE_MS = env_int("CALLBACK_SPOOL_CLAIM_IDLE_MS", 30_000, minimum=0)
CALLBACK_SPOOL_BATCH = env_int("CALLBACK_SPOOL_BATCH", 500, minimum=1)
CELERY_BEAT_SCHEDULE["callback-spool-drain"] = {
    "task": "tracking.tasks.callback_spool.callback_spool_drain",
    "schedule": 2.0,
    "options": {"expires": 10},
}
ATTRIBUTION_BATCH_SIZE = env_int("ATTRIBUTION_BATCH_SIZE", 1000, minimum=1)
# A sale amount above this (in the offer's currency; a goal may set its own max_sale_amount)
# holds the conversion `amount_above_limit` for a manager, whatever dialect brought it.
try:
    MAX_SALE_AMOUNT = Decimal(env_str("MAX_SALE_AMOUNT", "10000"))
    if not MAX_SALE_AMOUNT.is_finite() or MAX_SALE_AMOUNT < 0:
        raise InvalidOperation
except InvalidOperation as exc:
    raise ImproperlyConfigured(
        f"Environment variable MAX_SALE_AMOUNT={env_str('MAX_SALE_AMOUNT')!r} is invalid: "
        "expected a non-negative decimal"
    ) from exc
# A callback whose click is not in PostgreSQL yet is retried this long, then `unknown_click`.
ATTRIBUTION_CLICK_WAIT_SECONDS = env_int("ATTRIBUTION_CLICK_WAIT_SECONDS", 120, minimum=0)
ATTRIBUTION_CLICK_RETRY_SECONDS = env_int("ATTRIBUTION_CLICK_RETRY_SECONDS", 2, minimum=1)
# Limits for unauthenticated work on the callback and pixel paths (tracking/callbacks/limits.py),
# as "<count>/<s|min|h>", counted in Redis across web nodes; empty: no limit. Per client address:
# callbacks stored unauthenticated or refused at auth, and pixels; per advertiser: authenticated
# callbacks (high: month-end bursts are normal). Over a limit: 429 with Retry-After, nothing
# stored (a pixel still answers its GIF).
_RATE_PATTERN = re.compile(r"\A\s*(|[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour))\s*\Z", re.I)
CALLBACK_RATE_ADDRESS = env_str("CALLBACK_RATE_ADDRESS", "300/min")
CALLBACK_RATE_ADVERTISER = env_str("CALLBACK_RATE_ADVERTISER", "2000/s")
CALLBACK_RATE_PIXEL = env_str("CALLBACK_RATE_PIXEL", "600/min")
for _name in ("CALLBACK_RATE_ADDRESS", "CALLBACK_RATE_ADVERTISER", "CALLBACK_RATE_PIXEL"):
    if not _RATE_PATTERN.match(globals()[_name]):
        raise ImproperlyConfigured(
            f"Environment variable {_name}={globals()[_name]!r} is invalid: expected a rate"
            " such as 300/min or 2000/s, or empty for no limit"
        )
# Parameters one callback may keep, and the length of each name and value: beyond, 400.
CALLBACK_MAX_PARAMS = env_int("CALLBACK_MAX_PARAMS", 50, minimum=1)
CALLBACK_MAX_PARAM_LENGTH = env_int("CALLBACK_MAX_PARAM_LENGTH", 2048, minimum=64)
# Inbox rows refused at the door (rejected_auth) or by attribution (no conversion) are deleted
# after this many days by a scheduled task; rows that made a conversion are kept.
CALLBACK_REFUSED_KEEP_DAYS = env_int("CALLBACK_REFUSED_KEEP_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE["callback-inbox-refused-purge"] = {
    "task": "tracking.tasks.retention.callback_inbox_refused_purge",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE.update(
    {
        "attribution-sweep": {
            "task": "tracking.tasks.attribution.attribution_sweep",
            "schedule": 10.0,
        },
        "postbacks-sweep": {"task": "tracking.tasks.postbacks.postbacks_sweep", "schedule": 30.0},
    }
)

# Click path (tracking/clicks/). In production the redirect appends each click to a Redis
# stream and the `clicks` queue moves them to PostgreSQL; the embedded mode writes directly.
CLICK_STREAM_KEY = env_str("CLICK_STREAM_KEY", "affnet:clicks")
CLICK_STREAM_GROUP = env_str("CLICK_STREAM_GROUP", "ingest")
# Pending stream entries idle this long were taken by an ingester that died: another claims them.
CLICK_STREAM_CLAIM_IDLE_MS = env_int("CLICK_STREAM_CLAIM_IDLE_MS", 30_000, minimum=0)
CLICK_INGEST_BATCH = env_int("CLICK_INGEST_BATCH", 2000, minimum=1)
# Where the click buffer and the repeat markers live (docs/scaling.md): "single" (REDIS_URL,
# the default) or "cluster" (a Redis Cluster; CLICK_REDIS_CLUSTER_URL lists one or more of its
# nodes, comma-separated). The Celery broker and Django's cache stay on REDIS_URL either way.
# CLICK_STREAM_SHARDS splits the stream into that many keys, each with its own hash tag, all
# read by the ingest group; raise it freely, lower it only once the stream is drained.
CLICK_REDIS_MODE = env_str("CLICK_REDIS_MODE", "single")
if CLICK_REDIS_MODE not in ("single", "cluster"):
    raise ImproperlyConfigured(f"CLICK_REDIS_MODE={CLICK_REDIS_MODE!r}: use single or cluster")
CLICK_REDIS_CLUSTER_URL = env_list("CLICK_REDIS_CLUSTER_URL", [])
if CLICK_REDIS_MODE == "cluster" and not (CLICK_REDIS_CLUSTER_URL and REDIS_URL):
    raise ImproperlyConfigured(
        "CLICK_REDIS_MODE=cluster needs CLICK_REDIS_CLUSTER_URL (a node of the cluster) and "
        "REDIS_URL (the plain Redis for the broker and the cache)"
    )
CLICK_STREAM_SHARDS = env_int(
    "CLICK_STREAM_SHARDS", 6 if CLICK_REDIS_MODE == "cluster" else 1, minimum=1
)
# Repeat markers are kept in this many hashes a day (tracking/clicks/buffer.py). Each stays a
# compact listpack while it holds at most Redis's hash-max-listpack-entries (128 by default):
# about distinct visitors a day / 100. docs/scaling.md.
CLICK_UNIQUE_BUCKETS = env_int("CLICK_UNIQUE_BUCKETS", 65_536, minimum=1)
# Link snapshots: fresh for this long (an edit is seen within it), then re-read from PostgreSQL;
# a stale snapshot is still served while PostgreSQL is down.
CLICK_LINK_CACHE_SECONDS = env_int("CLICK_LINK_CACHE_SECONDS", 5, minimum=1)
# Link snapshots each web process keeps in memory (least recently used evicted first), and how
# many stream entries a lookup of a click still in the buffer reads at most each way from its time.
CLICK_LINK_LOCAL_MAX = env_int("CLICK_LINK_LOCAL_MAX", 10_000, minimum=1)
# Stale link snapshots each web process rebuilds a second at most (each a few ms and nine
# queries); past it the stale copy is served a second longer (tracking/clicks/resolve.py).
CLICK_LINK_REBUILDS_PER_SECOND = env_int("CLICK_LINK_REBUILDS_PER_SECOND", 20, minimum=1)
CLICK_BUFFER_LOOKUP_MAX = env_int("CLICK_BUFFER_LOOKUP_MAX", 1000, minimum=1)
# Where a visitor goes when the offer has no fallback URL. Empty: our own small page.
CLICK_FALLBACK_URL = env_str("CLICK_FALLBACK_URL")
# A city-level MaxMind DB (GeoLite2-City, GeoIP2-City .mmdb) the operator supplies: the visitor's
# region for offers that target regions (tracking/clicks/regions.py). Empty or missing: regions
# are unknown (country targeting works without it).
CLICK_GEOIP_CITY_PATH = env_str("CLICK_GEOIP_CITY_PATH")
# Behind a trusted proxy: the header carrying the client IP (e.g. X-Real-IP; the last address of
# X-Forwarded-For is taken) and, optionally, one carrying the country (e.g. CF-IPCountry).
CLICK_IP_HEADER = env_str("CLICK_IP_HEADER")
CLICK_COUNTRY_HEADER = env_str("CLICK_COUNTRY_HEADER")
CLICK_COOKIE_NAME = env_str("CLICK_COOKIE_NAME", "affnet_click")
CLICK_COOKIE_DAYS = env_int("CLICK_COOKIE_DAYS", 30, minimum=1)
# Privacy: after CLICK_RETENTION_DAYS a click's address is truncated (IPv4 /24, IPv6 /48) and its
# user agent reduced to browser, OS and device kind, in batches (tracking/clicks/retention.py);
# after CLICK_DROP_DAYS its whole day is dropped. Keep the retention at least as long as the
# longest attribution window: a conversion after it is judged on the truncated click.
CLICK_RETENTION_DAYS = env_int("CLICK_RETENTION_DAYS", 30, minimum=1)
CLICK_DROP_DAYS = env_int("CLICK_DROP_DAYS", 90, minimum=1)
if CLICK_DROP_DAYS < CLICK_RETENTION_DAYS:
    raise ImproperlyConfigured(
        f"CLICK_DROP_DAYS={CLICK_DROP_DAYS} is shorter than CLICK_RETENTION_DAYS="
        f"{CLICK_RETENTION_DAYS}: clicks would be dropped before they are truncated"
    )
CLICK_RETENTION_BATCH = env_int("CLICK_RETENTION_BATCH", 5000, minimum=1)
CLICK_RETENTION_MAX_BATCHES = env_int("CLICK_RETENTION_MAX_BATCHES", 200, minimum=1)
CLICK_PARTITIONS_AHEAD_DAYS = env_int("CLICK_PARTITIONS_AHEAD_DAYS", 7, minimum=1)
# When CPC and CPM money is booked (tracking/traffic_booking.py). "daily" (default): once a
# network day is over, its unique clicks after the fraud and repeat filters, and its counted
# impressions, up to the click and impression caps, one ledger entry per publisher, offer and
# day. "hourly": the former way, CPC only, at ingest, per batch, with no fraud or cap filter
# (click and impression pixels carry no credential: only for a network that trusts its sources).
TRAFFIC_BOOKING = env_str("TRAFFIC_BOOKING", "daily").strip().lower()
if TRAFFIC_BOOKING not in ("daily", "hourly"):
    raise ImproperlyConfigured(f"TRAFFIC_BOOKING={TRAFFIC_BOOKING!r}: daily or hourly.")
# The daily booking looks back this many closed days for one not booked yet.
TRAFFIC_BOOKING_LOOKBACK_DAYS = env_int("TRAFFIC_BOOKING_LOOKBACK_DAYS", 3, minimum=1)
CELERY_BEAT_SCHEDULE.update(
    {
        # A run missed while the worker is busy is dropped, not queued behind it.
        "clicks-ingest": {
            "task": "tracking.tasks.clicks.clicks_ingest",
            "schedule": 1.0,
            "options": {"expires": 5},
        },
        "clicks-partitions": {
            "task": "tracking.tasks.clicks.click_partitions_maintain",
            "schedule": 3600.0,
        },
        "impressions-flush": {"task": "tracking.tasks.clicks.impressions_flush", "schedule": 60.0},
        # Hourly: books every closed network day not booked yet (idempotent per day).
        "traffic-days-book": {
            "task": "tracking.tasks.traffic.traffic_days_book",
            "schedule": 3600.0,
            "options": {"expires": 1800},
        },
        # Hourly; a run does at most CLICK_RETENTION_MAX_BATCHES batches and the next goes on.
        "clicks-retention": {
            "task": "tracking.tasks.retention.click_retention_apply",
            "schedule": 3600.0,
            "options": {"expires": 1800},
        },
    }
)

# Fraud: hosting networks, compliance and the quality report (fraud/asn.py, reports/quality.py).
# The ASN database `manage.py asn_load <file>` installs (GeoLite2-ASN .mmdb or an ip-to-ASN
# table); no file there: the `hosting_network` signal is `unknown`.
FRAUD_ASN_DB_PATH = env_str("FRAUD_ASN_DB_PATH", str(VAR_DIR / "fraud" / "asn.db"))
# The AS numbers that count as hosting: the shipped list unless this names another file, plus
# FRAUD_HOSTING_ASNS_EXTRA (comma-separated numbers).
FRAUD_HOSTING_ASNS_PATH = env_str("FRAUD_HOSTING_ASNS_PATH")
FRAUD_HOSTING_ASNS_EXTRA = env_list("FRAUD_HOSTING_ASNS_EXTRA", [])
# E-mail domains shared by strangers, never a link between publishers (fraud/payee_links.py).
FRAUD_WEBMAIL_DOMAINS_EXTRA = env_list("FRAUD_WEBMAIL_DOMAINS_EXTRA", [])
# Seconds a worker keeps an offer's traffic policy and a publisher's links before reading again.
FRAUD_POLICY_CACHE_SECONDS = env_int("FRAUD_POLICY_CACHE_SECONDS", 60, minimum=0)
# Pause publishers whose flagged share of conversions over the last
# FRAUD_AUTO_PAUSE_WINDOW_DAYS is at least FRAUD_AUTO_PAUSE_FLAGGED_PERCENT, with at least
# FRAUD_AUTO_PAUSE_MIN_CONVERSIONS conversions. Off by default: a manager decides.
FRAUD_AUTO_PAUSE = env_bool("FRAUD_AUTO_PAUSE", default=False)
FRAUD_AUTO_PAUSE_FLAGGED_PERCENT = env_int("FRAUD_AUTO_PAUSE_FLAGGED_PERCENT", 50, minimum=1)
FRAUD_AUTO_PAUSE_MIN_CONVERSIONS = env_int("FRAUD_AUTO_PAUSE_MIN_CONVERSIONS", 50, minimum=1)
FRAUD_AUTO_PAUSE_WINDOW_DAYS = env_int("FRAUD_AUTO_PAUSE_WINDOW_DAYS", 7, minimum=1)
CELERY_BEAT_SCHEDULE["fraud-quality-auto-pause"] = {
    "task": "reports.tasks.quality_auto_pause",
    "schedule": 3600.0,
}

# Advertiser billing (billing/): invoice numbers are <prefix>-<year>-<number>, gap-free per year.
BILLING_INVOICE_PREFIX = env_str("BILLING_INVOICE_PREFIX", "INV").strip() or "INV"
if not re.fullmatch(r"[A-Z0-9]{1,12}", BILLING_INVOICE_PREFIX):
    raise ImproperlyConfigured(
        f"BILLING_INVOICE_PREFIX={BILLING_INVOICE_PREFIX!r}: expected 1 to 12 capital letters "
        "or digits"
    )
# Offers pause when their advertiser's funds are used up or their revenue budget is reached;
# the holds are recomputed this often (and at once after a top-up, payment or limit change).
BILLING_HOLDS_REFRESH_SECONDS = env_int("BILLING_HOLDS_REFRESH_SECONDS", 5, minimum=1)
CELERY_BEAT_SCHEDULE["billing-holds-refresh"] = {
    "task": "billing.tasks.billing_holds_refresh",
    "schedule": float(BILLING_HOLDS_REFRESH_SECONDS),
    "options": {"expires": BILLING_HOLDS_REFRESH_SECONDS * 2},
}

# Operations: probes, metrics, logs (config/health.py, core/metrics.py, config/logging.py).
READY_MAX_CLICK_STREAM_LAG = env_int("READY_MAX_CLICK_STREAM_LAG", 100_000, minimum=0)
READY_MAX_INBOX_BACKLOG = env_int("READY_MAX_INBOX_BACKLOG", 10_000, minimum=0)
# Unset: /metrics answers direct loopback requests only. Set: a bearer token is required.
METRICS_TOKEN = env_str("METRICS_TOKEN")

try:
    LOGGING = logging_config(
        log_format=env_str("LOG_FORMAT", "text"), level=env_str("LOG_LEVEL", "INFO").upper()
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"Environment variable LOG_FORMAT: {exc}") from exc

# Getting in (portal/views/account.py, docs/portal.md).
# "Sign in as" buttons for the demo users on the sign-in page: the embedded mode only, and only
# to a visitor on loopback. Never on with DATABASE_URL, whatever the environment says.
DEMO_SIGN_IN = EMBEDDED and env_bool("DEMO_SIGN_IN", default=True)
# Sign-in throttling (django-axes): after SIGN_IN_FAILURE_LIMIT failed passwords for one
# username from one address, that pair is refused for SIGN_IN_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.sign_in_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "portal.views.account.sign_in_locked_out"
AXES_VERBOSE = False
# Axes logs every sign-in at INFO; failures and lockouts are what operators need.
LOGGING.setdefault("loggers", {})["axes"] = {"level": "WARNING"}
# Invitations (a link mailed by a manager) are valid this many hours, once.
INVITATION_VALID_HOURS = env_int("INVITATION_VALID_HOURS", 72, minimum=1)
# Password reset links (Django's) are valid this long.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_MINUTES", 60, minimum=5) * 60
# Two-factor: the name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Affnet")
# The public base URL of the pages, for links in emails (invitations, password reset).
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", TRACKING_BASE_URL).rstrip("/")

# Email: a file per message under var/mail in the embedded mode (read them there); SMTP from
# these settings in production (deploy/env.example).
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Affnet <no-reply@affnet.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if EMBEDDED
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=not EMAIL_USE_SSL)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on: pick one")
