"""Settings for every environment, read from environment variables (see README's table).

Local defaults are safe and need no services; production (DEBUG off) refuses to start without
a real SECRET_KEY. Tests layer `config.settings.test` on top of this module.

One flat file of assignments, grouped by concern, on purpose (a little past our ~400-line
guide): an operator reads every setting and its reason top to bottom, and `grep` finds each.
"""

import datetime
import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEBUG = env.get_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-local-development-only-never-used-with-debug-off"
elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
    # The same bar as Django's security.W009 check, enforced instead of merely reported.
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off "
        '(generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )
SECRET_KEY_FALLBACKS = env.get_list("SECRET_KEY_FALLBACKS")

# Required with DEBUG off; in development http://127.0.0.1:$PORT (config/env.py).
SITE_URL = env.site_url(debug=DEBUG)
_site = urlsplit(SITE_URL)
SITE_NAME = os.environ.get("SITE_NAME", "The Dispatch")
SITE_TAGLINE = os.environ.get("SITE_TAGLINE", "OpEds and reporting from an independent writer")
HTTPS = _site.scheme == "https"

ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", default=[_site.hostname, "127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.get_list(
    "CSRF_TRUSTED_ORIGINS", default=[f"{_site.scheme}://{_site.netloc}"]
)

INSTALLED_APPS = [
    # django.contrib.admin, with the machinery under one "System" section (core.admin_site).
    "core.apps.WorkspaceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.sites",
    # django_comments_xtd before django_comments: its templates override the latter's.
    "django_comments_xtd",
    "django_comments",
    "rest_framework",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "blog",
    "comments",
    "newsletter",
]

MIDDLEWARE = [
    # First: a cached page is answered before anything else runs, with the headers every
    # layer below added when it was stored (security, CSP, Permissions-Policy, gzip).
    "core.pagecache.AnonymousPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses what is not served from the page cache (signed-in pages, errors, first
    # renders), fast (level 3); it keeps Django's BREACH mitigation (a random gzip filename).
    "core.middleware.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # Addresses of imported posts on their old platform answer 301 (core.transfer.redirects).
    "core.transfer.redirects.ImportedRedirectMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Holds a staff sign-in from an unknown browser at the emailed-code page (core.staff).
    "core.middleware.StaffVerificationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

# What a single writer never needs day to day: only superusers see it, under "System" at the
# bottom of the admin index ("app_label.model_name" or "app_label.*"; core.admin_site).
ADMIN_SYSTEM_MODELS = [
    "auth.*",
    "sites.*",
    "axes.*",
    "django_tasks_database.*",
    "otp_totp.*",
    "otp_static.*",
    "django_comments_xtd.*",
    "core.trusteddevice",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        # Django's engine, importing each tag library on its first {% load %} (issue 12).
        "BACKEND": "core.templates.LazyLibraryTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "core.context_processors.site",
            ],
            # {% url %} remembers what a name without arguments reverses to (issue 12).
            "builtins": ["core.templatetags.remembered_urls"],
        },
    },
]

DATABASES = {
    "default": env.database_config(
        os.environ.get("DATABASE_URL"), sqlite_path=VAR_DIR / "db.sqlite3"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_config(os.environ.get("REDIS_URL"))}
PAGE_CACHE_SECONDS = env.get_int("PAGE_CACHE_SECONDS", 300, minimum=0, unit="seconds")
# How long a process answers from its own copy of a page before checking the shared cache for
# a newer generation (core.pagecache.serve_cached_pages); 0 turns that copy off.
PAGE_CACHE_LOCAL_SECONDS = env.get_float("PAGE_CACHE_LOCAL_SECONDS", 1.0, minimum=0, unit="seconds")
# How often each process writes the page views it counted (core.pageviews); 0: only at exit.
PAGE_VIEWS_FLUSH_SECONDS = env.get_float(
    "PAGE_VIEWS_FLUSH_SECONDS", 10.0, minimum=0, unit="seconds"
)
# How long the dashboard keeps a computed figure before counting again (core.dashboard).
DASHBOARD_CACHE_SECONDS = env.get_int("DASHBOARD_CACHE_SECONDS", 60, minimum=0, unit="seconds")
PREVIEW_LINK_MAX_AGE = env.get_int("PREVIEW_LINK_MAX_AGE", 7 * 24 * 3600, minimum=1, unit="seconds")

# A task still "running" after this long was left by a dead worker and is run again; every
# task of the site finishes far sooner (and may safely run twice).
TASKS_LEASE_SECONDS = env.get_int("TASKS_LEASE_SECONDS", 900, minimum=60, unit="seconds")
# TASKS_BACKEND=rq: tasks in Redis for workers on several machines (docs/decisions.md).
TASKS_BACKEND, TASKS, _rq_queues = env.tasks_config(lease_seconds=TASKS_LEASE_SECONDS)
if _rq_queues:
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = _rq_queues
# How often a worker checks for periodic jobs (core.periodic) that are due.
PERIODIC_TICK_SECONDS = env.get_int("PERIODIC_TICK_SECONDS", 30, minimum=1, unit="seconds")

# "transport" talks to the mail server; "default" (all transactional mail, Django's and
# django-comments-xtd's) stores each message and lets the worker deliver it with retries;
# "bulk" sends newsletter editions, batch by batch, from the worker (BULK_EMAIL_URL, or the
# same server as EMAIL_URL).
_transport = env.mailers_from_url(os.environ.get("EMAIL_URL", "console:"))["default"]
MAILERS = {
    "default": {
        "BACKEND": "core.mail.QueuedEmailBackend",
        "OPTIONS": {"deliver_using": "transport"},
    },
    "transport": _transport,
    "bulk": env.mailers_from_url(os.environ["BULK_EMAIL_URL"])["default"]
    if os.environ.get("BULK_EMAIL_URL")
    else _transport,
}
EMAIL_RETRY_BASE_SECONDS = env.get_int("EMAIL_RETRY_BASE_SECONDS", 30, minimum=0, unit="seconds")
EMAIL_RETRY_MAX_SECONDS = 3600
EMAIL_MAX_ATTEMPTS = env.get_int("EMAIL_MAX_ATTEMPTS", 20, minimum=1)
# A message being sent belongs to its worker this long; one whose worker died mid-send (a
# SIGKILL, a power cut) is sent again after it. Longer than the SMTP timeout (EMAIL_URL's).
EMAIL_SENDING_TIMEOUT_SECONDS = env.get_int(
    "EMAIL_SENDING_TIMEOUT_SECONDS", 600, minimum=30, unit="seconds"
)
# Sent and failed messages stay in the outbox (admin: Site › Outgoing emails) this long, then
# the worker deletes them: long enough to answer "did my email go out?", no longer.
OUTBOX_RETENTION_DAYS = env.get_int("OUTBOX_RETENTION_DAYS", 30, minimum=1, unit="days")
# Never @localhost: the site's own domain (SITE_URL's host). The sender, reply-to and postal
# address the writer sets in the admin (Site › Site identity, core.identity) win over these.
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@{env.mail_domain(SITE_URL)}>"
)
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
ADMINS = env.get_list("ADMINS")

# Admin brute force (ASVS 6.3.1): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, even the right password is refused until the cool-off has passed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.get_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env.get_int("AXES_COOLOFF_MINUTES", 30, minimum=1, unit="minutes")
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.client_ip"
# The lockout page with Retry-After (the end of the cool-off), instead of axes' own answer.
AXES_LOCKOUT_CALLABLE = "core.views.locked_out"
AXES_VERBOSE = False

# New-device verification: the right admin password from a browser not seen before
# is not enough; the staff member also enters a 6-digit code emailed to them, an authenticator
# code or a recovery code. The browser is then trusted for STAFF_DEVICE_TRUST_DAYS.
STAFF_DEVICE_VERIFICATION = env.get_bool("STAFF_DEVICE_VERIFICATION", default=True)
STAFF_DEVICE_TRUST_DAYS = env.get_int("STAFF_DEVICE_TRUST_DAYS", 180, minimum=1, unit="days")
STAFF_DEVICE_COOKIE_NAME = "__Host-staffdevice" if HTTPS else "staffdevice"
STAFF_CODE_VALID_MINUTES = 15
STAFF_CODE_MAX_ATTEMPTS = 5
# Emailed codes per staff account per hour, the one at sign-in included.
STAFF_CODES_PER_HOUR = env.get_int("STAFF_CODES_PER_HOUR", 5, minimum=1)
OTP_TOTP_ISSUER = SITE_NAME
# django-otp's admin would show every authenticator secret and recovery code to superusers.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
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

# Every date the writer enters or reads is in TIME_ZONE, and the admin says so; dates and
# numbers take the formats of LANGUAGE_CODE's locale (Django's, never a hard-coded pattern).
LANGUAGE_CODE = env.get_language_code("LANGUAGE_CODE", "en-gb")
TIME_ZONE = env.get_time_zone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
# Django serves uploaded images itself unless a web server in front serves MEDIA_ROOT.
SERVE_MEDIA = env.get_bool("SERVE_MEDIA", default=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploads on this machine's disk, or in S3-compatible storage that every web node and worker
# shares (MEDIA_STORAGE_URL, config/env.py); then nothing serves them from here.
_media_storage, MEDIA_ORIGIN = env.media_storage_from_url(os.environ.get("MEDIA_STORAGE_URL"))
if MEDIA_ORIGIN:
    SERVE_MEDIA = False
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Security. Everything served over https gets secure, prefixed cookies and HSTS; the
# Content-Security-Policy allows nothing from another host and no inline script.
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", default=HTTPS and not DEBUG)
# Behind a reverse proxy, the client's address is the last one in X-Forwarded-For.
TRUST_X_FORWARDED_FOR = env.get_bool("TRUST_X_FORWARDED_FOR", default=False)
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
if env.get_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.get_int(
    "SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0, unit="seconds"
)
# On by default over https (OWASP HSTS guidance); turn off if a subdomain still serves http.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.get_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.get_bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    # The __Host- prefix pins a cookie to this exact host over https (ASVS 3.3.1).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o644
IMAGE_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The largest export the admin's import page accepts (the command reads any size up to
# core.transfer.bundle's limits); nginx must allow as much (deploy/nginx: 12m).
SITE_IMPORT_MAX_UPLOAD_BYTES = env.get_int("SITE_IMPORT_MAX_UPLOAD_MB", 10, minimum=1) * 2**20
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_RENDITION_WIDTHS = [480, 800, 1200, 1600]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "one_line_per_task": {"()": "core.logging.OneLinePerTask"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # Errors mail ADMINS, the same error at most once per ERROR_EMAIL_INTERVAL_SECONDS.
        "mail_admins": {
            "class": "core.logging.ThrottledAdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {
            "handlers": ["console", "mail_admins"],
            "level": "WARNING",
            "propagate": False,
        },
        "django.security": {
            "handlers": ["console", "mail_admins"],
            "level": "WARNING",
            "propagate": False,
        },
        # Django's own default gives `django` a second console handler under DEBUG (and an
        # unthrottled error mailer): every line, a task's included, was printed twice.
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        # One line per task, when it ends (with its outcome), not also one when it starts.
        "django.tasks": {
            "handlers": ["console", "mail_admins"],
            "filters": ["one_line_per_task"],
            "level": "INFO",
            "propagate": False,
        },
        # The same for tasks run by RQ (TASKS_BACKEND=rq): django-tasks-rq logs through the
        # `django_tasks` backport's receivers, which bear the same names.
        "django_tasks": {
            "handlers": ["console", "mail_admins"],
            "filters": ["one_line_per_task"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
ERROR_EMAIL_INTERVAL_SECONDS = 600

# django-comments-xtd's few API routes we keep use the session only: HTTP Basic auth would be
# a second password form, outside the admin's lockout.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
}

# Comments: django-comments-xtd with our model, form and templates (comments/). Why it is
# pinned and sends no mail of its own: docs/decisions.md, 5 and 6.
SITE_ID = 1  # kept in step with SITE_URL and SITE_NAME by comments.apps (post_migrate)
COMMENTS_APP = "django_comments_xtd"  # required as is, even with a custom model
COMMENTS_XTD_MODEL = "comments.models.Comment"
COMMENTS_XTD_FORM_CLASS = "comments.forms.CommentForm"
# 2 = a top-level comment plus two levels of replies.
COMMENTS_XTD_MAX_THREAD_LEVEL = env.get_int("COMMENTS_MAX_THREAD_LEVEL", 2, minimum=0)
COMMENTS_XTD_CONFIRM_EMAIL = True
# Mail goes through the queued `default` mailer; xtd's own thread would lose errors.
COMMENTS_XTD_THREADED_EMAILS = False
# xtd's extra key for its signed-pickle links, derived from SECRET_KEY. We no longer make or
# read those links (comments/links.py); it only lets an old link be recognised as ours.
COMMENTS_XTD_SALT = hashlib.sha256(f"comments-xtd:{SECRET_KEY}".encode()).digest()
COMMENTS_XTD_FROM_EMAIL = DEFAULT_FROM_EMAIL
COMMENTS_XTD_CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", DEFAULT_FROM_EMAIL)
COMMENTS_XTD_APP_MODEL_OPTIONS = {
    "blog.post": {
        "who_can_post": "all",
        "allow_flagging": True,
        "allow_feedback": True,
        "show_feedback": True,
    }
}
COMMENT_MAX_LENGTH = env.get_int("COMMENT_MAX_LENGTH", 3000, minimum=1, unit="characters")
COMMENTS_CLOSE_AFTER_DAYS = env.get_int("COMMENTS_CLOSE_AFTER_DAYS", 30, minimum=0, unit="days")
COMMENTS_EDIT_MINUTES = 15
COMMENTS_THREADS_PER_PAGE = env.get_int("COMMENTS_THREADS_PER_PAGE", 20, minimum=1)
# Spam rules (docs/decisions.md, 8): minimum seconds between form render and submit, comment
# rate limits, links that hold a comment for the author.
COMMENTS_MIN_SUBMIT_SECONDS = env.get_int(
    "COMMENTS_MIN_SUBMIT_SECONDS", 3, minimum=0, unit="seconds"
)
# The per-visitor form stamp's life (comments/stamps.py): fetched when the reader starts writing.
COMMENTS_FORM_STAMP_MAX_AGE = env.get_int(
    "COMMENTS_FORM_STAMP_MAX_AGE", 3600, minimum=60, unit="seconds"
)
# New comments per commenter (account or address) and per network (IPv4 /24, IPv6 /64), each
# per minute and per hour (comments/throttle.py): a lively thread goes through, a flood not.
COMMENTS_PER_ADDRESS_PER_MINUTE = env.get_int("COMMENTS_PER_ADDRESS_PER_MINUTE", 4, minimum=1)
COMMENTS_PER_ADDRESS_PER_HOUR = env.get_int("COMMENTS_PER_ADDRESS_PER_HOUR", 30, minimum=1)
COMMENTS_PER_NETWORK_PER_MINUTE = env.get_int("COMMENTS_PER_NETWORK_PER_MINUTE", 10, minimum=1)
COMMENTS_PER_NETWORK_PER_HOUR = env.get_int("COMMENTS_PER_NETWORK_PER_HOUR", 120, minimum=1)
COMMENTS_HOLD_LINKS = 2
COMMENTS_HOLD_FIRST_FROM_NEW_ADDRESS = env.get_bool(
    "COMMENTS_HOLD_FIRST_FROM_NEW_ADDRESS", default=False
)
# Confirmation links expire after this many days; until an address confirms, it gets one
# confirmation mail a day at most (comments/throttle.py; docs/decisions.md, 9).
COMMENTS_CONFIRMATION_MAX_AGE_DAYS = 3
# Mute links ("stop reply emails") in follow-up mail; every new reply email has a fresh one.
COMMENTS_MUTE_LINK_MAX_AGE_DAYS = 90
COMMENTS_NOTIFY_AUTHOR = env.get_bool("COMMENTS_NOTIFY_AUTHOR", default=True)
# Distinct readers' "removal suggestion" flags that hide a comment until the author reviews it.
COMMENTS_HIDE_AFTER_FLAGS = env.get_int("COMMENTS_HIDE_AFTER_FLAGS", 3, minimum=1)
# Readers sign in with a one-time emailed link (comments/accounts/); there are no passwords.
READER_SIGN_IN_MAX_AGE = env.get_int("READER_SIGN_IN_MAX_AGE", 30 * 60, minimum=1, unit="seconds")
# xtd's like/flag views send anonymous readers here (login_required) with ?next=.
LOGIN_URL = "accounts:sign-in"

# Newsletter
# Double opt-in links expire after 48 h; signups never confirmed are purged after
# NEWSLETTER_PENDING_PURGE_DAYS by the worker once a day (`manage.py purge_pending_subscribers`).
NEWSLETTER_CONFIRM_MAX_AGE = env.get_int(
    "NEWSLETTER_CONFIRM_MAX_AGE", 48 * 3600, minimum=1, unit="seconds"
)
NEWSLETTER_PENDING_PURGE_DAYS = env.get_int(
    "NEWSLETTER_PENDING_PURGE_DAYS", 7, minimum=0, unit="days"
)
# Signup abuse limits: per client network (/24 or /48) per hour, and the fastest a person types.
NEWSLETTER_SIGNUPS_PER_HOUR = env.get_int("NEWSLETTER_SIGNUPS_PER_HOUR", 5, minimum=1)
NEWSLETTER_MIN_SUBMIT_SECONDS = env.get_int(
    "NEWSLETTER_MIN_SUBMIT_SECONDS", 3, minimum=0, unit="seconds"
)
# A signup form's stamp works once, for this long (newsletter/tokens.py): the form's script
# fetches a fresh one when the reader turns to the form.
NEWSLETTER_FORM_MAX_AGE = env.get_int("NEWSLETTER_FORM_MAX_AGE", 30 * 60, minimum=1, unit="seconds")
# The sender's postal address, shown in every newsletter email (CAN-SPAM, 15 U.S.C. 7704).
NEWSLETTER_POSTAL_ADDRESS = os.environ.get("NEWSLETTER_POSTAL_ADDRESS", "")

# Weekly edition: sending, retries, click counting and headline feeds.
# Messages per second per worker process (0 = as fast as the mail server takes them; with
# several workers the rates add up) and deliveries claimed per batch (one SMTP connection each).
NEWSLETTER_SEND_RATE = env.get_float(
    "NEWSLETTER_SEND_RATE", 0, minimum=0, unit="messages per second"
)
NEWSLETTER_BATCH_SIZE = env.get_int("NEWSLETTER_BATCH_SIZE", 100, minimum=1)
# A claimed batch belongs to its worker this long; a dead worker's rows are retried after it.
NEWSLETTER_LEASE_SECONDS = env.get_int("NEWSLETTER_LEASE_SECONDS", 300, minimum=1, unit="seconds")
NEWSLETTER_RETRY_BASE_SECONDS = env.get_int(
    "NEWSLETTER_RETRY_BASE_SECONDS", 30, minimum=0, unit="seconds"
)
NEWSLETTER_RETRY_MAX_SECONDS = env.get_int(
    "NEWSLETTER_RETRY_MAX_SECONDS", 3600, minimum=0, unit="seconds"
)
NEWSLETTER_MAX_ATTEMPTS = env.get_int("NEWSLETTER_MAX_ATTEMPTS", 10, minimum=1)
# Permanent (5xx) refusals in a row that mark an address bounced (1 = at once); why not one:
# docs/decisions.md, 11.
NEWSLETTER_HARD_BOUNCE_LIMIT = env.get_int("NEWSLETTER_HARD_BOUNCE_LIMIT", 3, minimum=1)
# How long one worker task sends before re-enqueueing itself.
NEWSLETTER_TASK_SECONDS = env.get_int("NEWSLETTER_TASK_SECONDS", 60, minimum=1, unit="seconds")
# Aggregate click counts through a first-party redirect; no open pixel, nothing per reader.
NEWSLETTER_CLICK_TRACKING = env.get_bool("NEWSLETTER_CLICK_TRACKING", default=True)
# Posts published at most this long ago get their every-post email (edits of old posts never).
NEWSLETTER_POST_EMAIL_MAX_AGE_HOURS = env.get_int(
    "NEWSLETTER_POST_EMAIL_MAX_AGE_HOURS", 24, minimum=0, unit="hours"
)
NEWSLETTER_FEED_TIMEOUT = env.get_float("NEWSLETTER_FEED_TIMEOUT", 10, minimum=1, unit="seconds")
NEWSLETTER_FEED_MAX_BYTES = env.get_int(
    "NEWSLETTER_FEED_MAX_BYTES", 2 * 1024 * 1024, minimum=1, unit="bytes"
)
NEWSLETTER_HEADLINE_MAX_AGE_DAYS = 7
