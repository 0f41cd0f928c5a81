"""Settings, read from environment variables prefixed ``PRECINCT_``.

PRECINCT_ENV            development (default) | production | test
PRECINCT_DATABASE_URL   default sqlite:///<var>/precinct.sqlite3 ; postgresql://user@host:5432/db ;
                        a cluster: postgresql://user@h1:5432,h2:5432,h3:5432/db?target_session_attrs=read-write
PRECINCT_SECRET_KEY     required in production; in development a random key is kept in var/
PRECINCT_DEBUG          1/0; refused in production
PRECINCT_TZ             bureau time zone, default Asia/Shanghai
PRECINCT_VAR_DIR        where the SQLite file and local state live, default ./var
PRECINCT_ALLOWED_HOSTS  comma-separated, default localhost,127.0.0.1
PRECINCT_LANGUAGE       default UI language: zh-hans (default), zh-hant, en
PRECINCT_OTP_REQUIRED   1 (default): every account signs in with a TOTP second factor
PRECINCT_OTP_EXEMPT_ROLES, PRECINCT_OTP_EXEMPT_NETWORKS  roles exempted from the second factor
                        when they sign in from these networks (a secured dispatch room)
PRECINCT_PASSWORD_MAX_AGE_DAYS  days before a password must be changed; 0 (default) = never
PRECINCT_TRUSTED_PROXIES  the reverse proxies' networks (CIDRs) whose X-Forwarded-For is believed
PRECINCT_REDIS_URL      the rate limits' shared counters in Redis (default: the database)
PRECINCT_PROVINCE       1: this installation is a province's, its database receiving the cities'
PRECINCT_DATABASE_REPLICA_URL  a read replica for dashboards, statistics, exports and searches
                        (PRECINCT_REPLICA_MAX_LAG_SECONDS, PRECINCT_REPLICA_STICKY_SECONDS)
PRECINCT_REAUTH_SECONDS how long a re-authentication covers privileged actions, default 600
PRECINCT_SECONDMENT_GOAL  share of headquarters officers the bureau aims to have seconded to
                        grassroots units (动态用警), a fraction in (0, 1], default 0.6
PRECINCT_TODAY          live on this day (YYYY-MM-DD; tests, training); refused in production
PRECINCT_HSTS_SECONDS   Strict-Transport-Security max-age sent over HTTPS, default one year; 0 = off
"""

import ipaddress
import os
import secrets
from pathlib import Path

import xstatic.pkg.leaflet as _leaflet
from django.core.exceptions import ImproperlyConfigured

from precinct.common import databases
from precinct.core import clock

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"PRECINCT_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    raw = env(name, "1" if default else "0").strip().lower()
    return raw in {"1", "true", "yes", "on"}


ENVIRONMENT = env("ENV", "development")
if ENVIRONMENT not in {"development", "production", "test"}:
    raise ImproperlyConfigured(
        f"PRECINCT_ENV must be development, production or test, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

if clock.shift():
    if PRODUCTION:
        raise ImproperlyConfigured(
            f"{clock.SHIFT_VARIABLE} moves the clock for tests and training; refused in production."
        )
    from django.utils import timezone as _timezone

    _timezone.now = clock.now  # Django's own stamps (sessions, sign-ins, records) follow the clock

VAR_DIR = Path(env("VAR_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("PRECINCT_SECRET_KEY must be set in production.")
    # Development: a random key kept beside the database, never in the repository.
    path = VAR_DIR / "secret.key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
INSECURE_KEYS = {"", "change-me", "changeme", "secret", "django-insecure"}
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("PRECINCT_DEBUG must be off in production.")
    if (
        SECRET_KEY in INSECURE_KEYS
        or SECRET_KEY.startswith("django-insecure")
        or len(SECRET_KEY) < 32
    ):
        raise ImproperlyConfigured(
            "PRECINCT_SECRET_KEY is a default or too short (32+ random characters needed)."
        )


def _audit_key() -> bytes:
    """The audit chain's MAC key: PRECINCT_AUDIT_KEY (required in production), else derived from
    the secret key. Kept outside the database so that whoever can edit rows cannot re-forge MACs."""
    key = env("AUDIT_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("PRECINCT_AUDIT_KEY must be 32+ random characters.")
        return key.encode()
    if PRODUCTION:
        raise ImproperlyConfigured("PRECINCT_AUDIT_KEY must be set in production.")
    import hashlib
    import hmac

    return hmac.new(SECRET_KEY.encode(), b"precinct audit chain v1", hashlib.sha256).digest()


AUDIT_KEY = _audit_key()


def _field_keys() -> tuple[bytes, ...]:
    """The keys of citizens' personal data in the database (AES-256-GCM, ADR 0022), newest first:
    PRECINCT_FIELD_KEY (required in production; base64 of 32 random bytes: `precinct keys new`),
    then the comma-separated PRECINCT_FIELD_OLD_KEYS while `precinct keys rotate-fields` runs.
    Development and tests derive one from the secret key (and keep it as the oldest key when
    PRECINCT_FIELD_KEY is set, so a trial's data can be rotated onto the real key)."""
    from precinct.common.encryption import derive_key, parse_key

    new, old = env("FIELD_KEY"), [k for k in env("FIELD_OLD_KEYS").split(",") if k.strip()]
    if not new and PRODUCTION:
        raise ImproperlyConfigured(
            "PRECINCT_FIELD_KEY must be set in production (precinct keys new)."
        )
    if not new and old:
        raise ImproperlyConfigured(
            "PRECINCT_FIELD_OLD_KEYS needs PRECINCT_FIELD_KEY: the newest key."
        )
    try:
        keys = [parse_key(k) for k in (new, *old) if k]
    except ValueError as exc:
        raise ImproperlyConfigured(f"PRECINCT_FIELD_KEY / PRECINCT_FIELD_OLD_KEYS: {exc}") from exc
    derived = derive_key(SECRET_KEY)
    if not PRODUCTION and derived not in keys:
        keys.append(derived)
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured("PRECINCT_FIELD_OLD_KEYS repeats a key.")
    return tuple(keys)


FIELD_KEYS = _field_keys()

ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]
if ENVIRONMENT == "test":
    ALLOWED_HOSTS += ["testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves its Swagger UI files locally (no CDN)
    "template_partials",
    "axes",
    "django_typer",
    "django_tasks",
    "django_tasks_db",
    "precinct.identity",
    "precinct.org",
    "precinct.cases",
    "precinct.supervision",
    "precinct.merit",
    "precinct.geo",
    "precinct.command",
    "precinct.planning",
    "precinct.campaigns",
    "precinct.stats",
    "precinct.province",
    "precinct.demo",
    "precinct.ops",
    "precinct.jobs",
    "precinct.web",
]

MIDDLEWARE = [
    "precinct.web.headers.SecurityHeadersMiddleware",  # CSP, no-store, Secure cookies over HTTPS
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "precinct.web.middleware.DatabaseUnavailableMiddleware",  # database unreachable: 503 + Retry-After
    "precinct.common.routing.ReadYourWritesMiddleware",  # after a write, reads on the primary
    "precinct.web.middleware.LimitsMiddleware",
    "precinct.web.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "precinct.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "precinct.identity.middleware.AccessMiddleware",
    "precinct.web.trail.AuditTrailMiddleware",  # downloads and refusals into the audit log
    "axes.middleware.AxesMiddleware",
    "precinct.web.keyerrors.FieldKeyErrorMiddleware",  # a sealed field that does not open: 503
]

ROOT_URLCONF = "precinct.config.urls"
ASGI_APPLICATION = "precinct.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "precinct.web.context.navigation",
            ],
            "debug": DEBUG,
        },
    }
]

# --- database -------------------------------------------------------------------------------
DEFAULT_SQLITE = VAR_DIR / "precinct.sqlite3"
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}")
# A connection is kept by its request thread from request to request (the server's request
# threads are kept too: config.handler, ADR 0040): opening one costs, per request, SQLite's
# pragmas and a cold page cache, or a PostgreSQL backend process started and authenticated (as
# much CPU as the request itself under a busy evening's load, ADR 0044). Django checks a kept
# connection at each request's start and end and closes it after an error that left it
# unusable, or at this age. 0: a connection per request.
DATABASE_CONN_MAX_AGE = int(env("DATABASE_CONN_MAX_AGE", env("SQLITE_CONN_MAX_AGE", "600")))
_db = databases.parse(DATABASE_URL, conn_max_age=DATABASE_CONN_MAX_AGE)
# seconds, PostgreSQL; per host of a cluster's list (libpq's least is 2), where a host that does
# not answer is passed over for the next
DATABASE_CONNECT_TIMEOUT = int(
    env("DATABASE_CONNECT_TIMEOUT", "2" if _db["ENGINE"] == databases.CLUSTER_ENGINE else "5")
)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        # Every write transaction takes the write lock at BEGIN: no upgrade deadlocks in WAL mode,
        # and read-modify-write (the audit chain head) is serialised. A 128 MiB page cache per
        # connection (SQLite's default is 2 MiB) keeps index pages of a big city in memory.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000; PRAGMA cache_size=-131072; "
            # deleted and overwritten content is zeroed, not left in free space (ADR 0022)
            "PRAGMA secure_delete=ON;"
        ),
    }
    # Tests use a file, not shared-cache memory, so that threads exercise real locking.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif _db["ENGINE"] in ("django.db.backends.postgresql", databases.CLUSTER_ENGINE):
    databases.postgresql_options(_db, connect_timeout=DATABASE_CONNECT_TIMEOUT)
# A read, or a write with an Idempotency-Key, that lost its database waits this long for it
# (a cluster's new primary: about 10-15 s, ADR 0041) and runs again; 0: answered 503 at once.
DATABASE_REPLAY_SECONDS = float(
    env("DATABASE_REPLAY_SECONDS", "20" if _db["ENGINE"] == databases.CLUSTER_ENGINE else "0")
)
DATABASES = {"default": _db}
# Reads that may be a moment behind (dashboards, statistics, exports, the auditor's searches,
# planning inputs: common.routing.replica_reads) go to a read replica when one is named, e.g. the
# cluster's standbys: postgresql://u@h1,h2,h3/db?target_session_attrs=prefer-standby (ADR 0042)
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    _replica = databases.parse(DATABASE_REPLICA_URL, conn_max_age=DATABASE_CONN_MAX_AGE)
    if "postgresql" not in _replica["ENGINE"]:
        raise ImproperlyConfigured("PRECINCT_DATABASE_REPLICA_URL: a PostgreSQL replica")
    databases.postgresql_options(_replica, connect_timeout=DATABASE_CONNECT_TIMEOUT)
    _replica["TEST"] = {"MIRROR": "default"}  # tests read the test database through it
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["precinct.common.routing.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = float(env("REPLICA_MAX_LAG_SECONDS", "5"))  # further behind: primary
REPLICA_STICKY_SECONDS = int(env("REPLICA_STICKY_SECONDS", "15"))  # after a write: primary
# A province's installation (ADR 0043): its database receives the cities' records by logical
# replication; the province's own bureau is left out of the cities compared
PROVINCE = env("PROVINCE", "0") == "1"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- identity -----------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

SESSION_COOKIE_AGE = 30 * 60  # idle timeout: 30 minutes, renewed on every request
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# --- security headers (precinct.web.headers; ADR 0033) ---
# HSTS on every answer served over HTTPS (Django sends it on secure requests only: plain-HTTP
# development is untouched); 0 turns it off. Subdomains are left out: a bureau's intranet may
# serve other systems over plain HTTP under the same name.
SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
# --- end of security headers ---

# django-axes: 5 failures within 15 minutes lock the account, keyed on the user name as the
# sign-in normalises it; the lock expires after 15 minutes, and each further lock within a week
# lasts twice as long, at most a day; the system administrator unlocks sooner (ADR 0035,
# precinct.identity.lockout).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = "precinct.identity.lockout.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "precinct.identity.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "precinct.identity.middleware.client_ip"  # behind a trusted proxy too
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # tries during a lock do not prolong it
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the earlier locks that make the next one longer
AXES_LOCKOUT_CALLABLE = "precinct.identity.lockout.lockout_response"
AXES_HANDLER = "precinct.identity.lockout.LockoutHandler"  # holds each lock as long as it lasts
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = 0
SILENCED_SYSTEM_CHECKS = ["axes.W006"]  # axes locks accounts; addresses: LimitsMiddleware

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TZ", "Asia/Shanghai")
LANGUAGE_COOKIE_NAME = "precinct_language"

# --- static -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# the planning simulator's compiled loop is cached here, not beside an installed package
os.environ.setdefault("NUMBA_CACHE_DIR", str(VAR_DIR / "numba"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Leaflet's browser build from its PyPI package (xstatic-leaflet), never a CDN
STATICFILES_DIRS = [("vendor/leaflet", _leaflet.BASE_DIR)]
WHITENOISE_USE_FINDERS = True  # serve straight from installed packages; no collectstatic step
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # checked by the forms before an upload is read
MAX_BODY_BYTES = int(env("MAX_BODY_BYTES", str(1024 * 1024)))  # any other body (JSON, forms): 413
IDLE_ACCOUNT_DAYS = int(env("IDLE_ACCOUNT_DAYS", "90"))  # `precinct accounts disable-idle`
# Second factor (TOTP) for every account. A bureau may exempt positions in a secured room (e.g.
# PRECINCT_OTP_EXEMPT_ROLES=command_centre with PRECINCT_OTP_EXEMPT_NETWORKS=10.20.30.0/24): both
# the role and the network must match.
OTP_REQUIRED = env_bool("OTP_REQUIRED", default=True)
OTP_ISSUER = env("OTP_ISSUER", "precinct")
OTP_EXEMPT_ROLES = [r.strip() for r in env("OTP_EXEMPT_ROLES").split(",") if r.strip()]


def _networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for raw in env(name).split(","):
        if raw.strip():
            try:
                out.append(ipaddress.ip_network(raw.strip(), strict=False))
            except ValueError as exc:
                raise ImproperlyConfigured(
                    f"PRECINCT_{name}: {raw.strip()!r} is not a network"
                ) from exc
    return out


OTP_EXEMPT_NETWORKS = _networks("OTP_EXEMPT_NETWORKS")

# --- trusted reverse proxies (ADR 0035) ---
# PRECINCT_TRUSTED_PROXIES: the networks of the bureau's reverse proxies (CIDRs, comma-separated).
# A request from one of them is the client the right-most X-Forwarded-For address not of a trusted
# proxy names (precinct.identity.middleware.client_ip): the sign-in budget, the audit log and the
# secured-room exemption see that address. Unset: REMOTE_ADDR only, the header ignored.
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES")


def _proxy_ssl_header(
    proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> tuple[str, str] | None:
    """Believe X-Forwarded-Proto only when a proxy is configured to set it."""
    return ("HTTP_X_FORWARDED_PROTO", "https") if proxies else None


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(TRUSTED_PROXIES)
# --- end of trusted reverse proxies ---
if OTP_EXEMPT_ROLES and not OTP_EXEMPT_NETWORKS:
    raise ImproperlyConfigured(
        "PRECINCT_OTP_EXEMPT_ROLES needs PRECINCT_OTP_EXEMPT_NETWORKS: the secured room's networks."
    )
# Maximum age of a password in days; 0 = none (CJIS since 2020). MLPS level 3: e.g. 90.
PASSWORD_MAX_AGE_DAYS = int(env("PASSWORD_MAX_AGE_DAYS", "0"))
# Privileged actions (accounts, roles, policies, approvals) need the password and second factor
# given again within this many seconds.
REAUTH_SECONDS = int(env("REAUTH_SECONDS", "600"))
LOGIN_RATE_PER_MINUTE = int(env("LOGIN_RATE_PER_MINUTE", "30"))  # sign-in attempts per address
API_RATE_PER_MINUTE = int(env("API_RATE_PER_MINUTE", "1200"))  # API calls per client: 429
# The rate limits' counters, shared by every server process: Redis when PRECINCT_REDIS_URL is
# set (needs the redis package), else a table in the database (created by a migration).
REDIS_URL = env("REDIS_URL")
CACHES: dict[str, dict[str, object]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "precinct_cache",
            # a counter per address (and API client) and minute; culling past this drops live ones
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
}

NINJA_PAGINATION_MAX_LIMIT = 200


def _fraction(name: str, default: str) -> float:
    raw = env(name, default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise ImproperlyConfigured(f"PRECINCT_{name} must be a fraction in (0, 1], not {raw!r}.")
    return value


# --- business settings --------------------------------------------------------------------
# The share of headquarters officers seconded to grassroots units the bureau aims for (动态用警).
PRECINCT_SECONDMENT_GOAL = _fraction("SECONDMENT_GOAL", "0.6")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"outage": {"()": "precinct.web.logs.OutageFilter"}},  # one line a minute
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["outage"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"precinct": {"level": "INFO"}},
}

# --- background work (ADR 0031) -------------------------------------------------------------
# django-tasks with its database backend: the queue lives in the same database (SQLite or
# PostgreSQL), so `make run` needs nothing more; `precinct serve` starts a worker beside itself.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# a job's kind → its handler (a function taking precinct.jobs.services.Work)
JOBS = {
    "merit.pay": "precinct.merit.jobs.pay_month",
    "merit.close": "precinct.merit.jobs.close_month",
    "merit.pack": "precinct.merit.jobs.session_pack",
    "planning.posts": "precinct.planning.jobs.post_run",
    "supervision.sweep": "precinct.supervision.jobs.sweep",
    "org.refresh": "precinct.org.jobs.refresh",
    "identity.idle": "precinct.identity.jobs.disable_idle",
    "org.roster_import": "precinct.org.jobs.roster_import",
    "stats.import": "precinct.stats.jobs.import_figures",
    "geo.traffic": "precinct.geo.jobs.learn_traffic",
}
# the daily work, at local time (PRECINCT_JOB_SCHEDULE="supervision.sweep=01:30,…" overrides)
JOB_SCHEDULE = dict(
    item.split("=", 1)
    for item in env(
        "JOB_SCHEDULE",
        "org.refresh=00:10,supervision.sweep=00:30,geo.traffic=02:30,identity.idle=03:00",
    ).split(",")
    if "=" in item
)
JOB_STALE_SECONDS = int(env("JOB_STALE_SECONDS", "300"))  # no heartbeat this long: run it again
