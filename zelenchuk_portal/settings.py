"""Settings for «Эффективный руководитель», driven by environment variables.

One module for every environment: SQLite when DATABASE_URL is unset (a laptop, `make run`),
PostgreSQL in production and CI (`DATABASE_URL=postgres://...`).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The fallback key only serves local runs; `check --deploy` flags it, production sets its own.
SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-local-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # First, so that its registry is filled from AUDITLOG_INCLUDE_TRACKING_MODELS before the
    # portal's ready() completes it (zelenchuk_portal/audit.py, `connect`).
    "auditlog",
    "zelenchuk_portal",
    "monitoring",
    "trajectories",
    "mentoring",
    "reserve",
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
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who changed a record, from where: the audit trail's actor (docs/security-audit.md).
    "zelenchuk_portal.audit.AuditMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout noticed during the login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zelenchuk_portal.urls"
WSGI_APPLICATION = "zelenchuk_portal.wsgi.application"

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
                "zelenchuk_portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# Every request is one transaction: a failed page never leaves half its writes behind.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "zelenchuk_portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out username+address before a password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Validators judge a new password (password change, admin, `changepassword`); hashes already
# stored, such as the demo accounts', are never re-validated at login.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Overridable so that a scratch run (scripts/load_test.py) collects elsewhere and leaves the
# checkout's static storage, which the line below reads, as it is.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploaded files are private: no URL serves MEDIA_ROOT (MEDIA_URL stays unset); each one is
# handed out by a view that checks access first (zelenchuk_portal/files.py: serve).
# Uploaded Excel workbooks (monitoring import), checked before anything parses them
# (zelenchuk_portal/files.py: check_workbook; docs/security-files.md): the file's size, its
# unpacked size, and the cells a sheet spans once read. A full district (40,000 organisations)
# takes about 8 MB, 67 MB unpacked and 2.6 million cells.
WORKBOOK_MAX_MB = int(os.environ.get("WORKBOOK_MAX_MB", "50"))
WORKBOOK_MAX_UNPACKED_MB = int(os.environ.get("WORKBOOK_MAX_UNPACKED_MB", "256"))
WORKBOOK_MAX_CELLS = int(os.environ.get("WORKBOOK_MAX_CELLS", "10000000"))
# After `collectstatic` (production) files get hashed names and are cached for ever; without it
# (a laptop, the tests) WhiteNoise serves them from the source folders under their own names.
_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not _COLLECTED

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# A session ends after SESSION_COOKIE_AGE seconds without a request (a working day by default:
# a head filling a self-report between lessons is not thrown out, a computer left on overnight
# is), or when the browser closes. Saving on every request is what makes the age count from the
# last request instead of from the login; it costs one small UPDATE per page.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Failed logins (django-axes): after AXES_FAILURE_LIMIT failures in a row the same username from
# the same address is refused for AXES_COOLOFF_MINUTES, even with the right password. Counting per
# username *and* address means a colleague at another computer, or another person at this one, can
# still sign in, and nobody elsewhere can lock a head out by trying passwords on his or her login.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Behind a reverse proxy every request arrives from the proxy's own address; name the header in
# which it passes the client's (CLIENT_IP_HEADER=X-Real-IP) so that lockouts stay per computer.
# Unset, such a header is ignored: a client could forge it to dodge the count.
CLIENT_IP_HEADER = os.environ.get("CLIENT_IP_HEADER", "").strip()
AXES_CLIENT_IP_CALLABLE = "zelenchuk_portal.lockout.client_ip"
AXES_RESET_ON_SUCCESS = True
# The lockout lasts the announced 30 minutes: tries made during it do not restart the clock.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "zelenchuk_portal.lockout.lockout_response"
# Every failure is kept (admin → Axes) for the information-security officer, not only the count.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Transport. With DEBUG off the portal expects HTTPS: http is redirected, cookies travel only
# over HTTPS, browsers are told to use nothing else for a year (HSTS). A district intranet served
# over plain http says SECURE_SSL_REDIRECT=0, which also drops the Secure flag and HSTS — a
# browser refuses Secure cookies over http, so nobody could sign in (docs/SECURITY.md).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_SSL_REDIRECT
CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = (
    int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600))) if SECURE_SSL_REDIRECT else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy that ends TLS, name the header it sets (SECURE_PROXY_SSL_HEADER=
# X-Forwarded-Proto). Opt-in only: trusted without such a proxy, any client could forge it.
if _proxy_header := os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")

# Content-Security-Policy (django-csp): scripts, styles, fonts and images come from the portal
# itself, never inline and never from elsewhere (no CDN: district networks are closed anyway), so
# an injected <script> or on…= handler does not run. One allowance: style="…" attributes, which
# progress bars use for their computed width; style-src-attr permits exactly those and no <style>
# element. Scripts get no such allowance.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# Audit trail (django-auditlog; docs/security-audit.md). Every create, change and delete of these
# records is written to auditlog's LogEntry with who, when, from which address and old → new.
# Registered here, by name, so that no app imports the audit machinery and the lower apps never
# name the higher ones. Left out: fields that change on every save or duplicate the trail
# (updated_at, the records' own JSON `history`, the optimistic lock's revision stamp: see
# zelenchuk_portal/concurrency.py), secrets (password), and bulky computed JSON.
# Values and scores are not listed: they are written in bulk through COPY, which bypasses model
# signals, and keep their own history (monitoring.ValueChange; a ScoringRun per recomputation).
_AUDIT_NOISE = ("updated_at", "history", "revision", "revised_at", "revised_by")
_AUDITED = {
    # "app.Model": (fields left out besides _AUDIT_NOISE, many-to-many fields)
    "zelenchuk_portal.Organization": ((), ()),
    "zelenchuk_portal.Membership": ((), ()),
    "zelenchuk_portal.Period": ((), ()),
    "zelenchuk_portal.User": (("password", "last_login"), ()),
    "monitoring.MethodologyVersion": ((), ()),
    "monitoring.PeriodMethodology": ((), ()),
    "monitoring.PeriodEvent": ((), ()),
    "monitoring.ImportRecord": (("issues", "warnings", "changes_preview"), ()),
    "monitoring.ScoringRun": (("seconds",), ()),
    "monitoring.SelfReport": ((), ()),
    "monitoring.Evidence": ((), ()),
    "monitoring.RecommendationRule": ((), ()),
    "monitoring.Recommendation": (("drafted_rules",), ()),
    "monitoring.RecommendationItem": ((), ()),
    "monitoring.Measure": ((), ("organizations", "people")),
    "monitoring.MeasureMaterial": ((), ()),
    "monitoring.Decision": ((), ("organizations", "people")),
    "monitoring.DecisionNote": ((), ()),
    "monitoring.DecisionEvidence": ((), ()),
    "trajectories.Competency": ((), ()),
    "trajectories.Assessment": ((), ()),
    "trajectories.AssessmentItem": ((), ()),
    "trajectories.Deficit": ((), ()),
    "trajectories.DeficitRule": ((), ()),
    "trajectories.Plan": ((), ()),
    "trajectories.PlanGoal": ((), ()),
    "trajectories.PlanTask": ((), ()),
    "trajectories.TaskEvidence": ((), ()),
    "trajectories.DeficitAnalysis": ((), ()),
    "trajectories.PlanComment": ((), ()),
    "reserve.Candidacy": ((), ()),
    "reserve.StatusChange": ((), ()),
    "reserve.Training": ((), ()),
    "reserve.Contest": ((), ()),
    "reserve.ReadinessReview": (("breakdown",), ()),
    "mentoring.BaseSite": ((), ()),
    "mentoring.Agreement": ((), ()),
    "mentoring.Internship": ((), ("competencies",)),
    "mentoring.Trainee": ((), ()),
    "mentoring.Assignment": ((), ()),
    "mentoring.DiaryEntry": ((), ()),
    "mentoring.Decision": ((), ()),
    "mentoring.DecisionCompetency": ((), ()),
    "mentoring.FinalRating": ((), ()),
}
AUDITLOG_INCLUDE_TRACKING_MODELS = [
    {"model": name, "exclude_fields": [*_AUDIT_NOISE, *exclude], "m2m_fields": list(m2m)}
    for name, (exclude, m2m) in _AUDITED.items()
]
# Changes kept as JSON values (numbers, booleans, dicts), not as their text: 78.5 and 78.5000 are
# one number, and a self-report's values can be compared key by key.
AUDITLOG_STORE_JSON_CHANGES = True
# Fixtures loaded with `loaddata` are not somebody's change.
AUDITLOG_DISABLE_ON_RAW_SAVE = True
# The audit records the client's address as the sign-in lockout counts it (CLIENT_IP_HEADER).

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Background jobs (zelenchuk_portal/jobs.py). With CELERY_BROKER_URL unset — a laptop, `make run`,
# the tests — long work runs inline in the request and no server is needed; with a broker
# (redis://host:6379/0) it goes to `celery -A zelenchuk_portal worker` and the page polls.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Progress reported from inside a job's database transaction is invisible to other connections
# until it commits, so workers report it through the result backend (the same Redis by default).
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL) or None
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Jobs are long: a worker takes one at a time instead of hoarding the queue while busy.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# An import of fewer organisation rows than this is applied in the request, as always.
JOBS_INLINE_BELOW_ROWS = int(os.environ.get("JOBS_INLINE_BELOW_ROWS", "2000"))
