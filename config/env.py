"""Turn environment variables into settings values.

Every setting that differs between a laptop and production is read here, so the settings
module stays a flat list of assignments and these parsers can be tested on their own.
"""

import math
import os
import zoneinfo
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def get_bool(name: str, default: bool = False, environ=os.environ) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off; got {raw!r}.")


def _parse_finite_float(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _get_number(name, default, *, parse, kind, minimum, unit, environ):
    """`parse(raw)` of the variable, refused in one line naming it when it is not a `kind`."""
    raw = environ.get(name)
    if raw is None:
        return default
    expected = f"{kind} of {unit}" if unit else kind
    try:
        value = parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {expected}; got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be {expected}, at least {minimum}; got {raw!r}.")
    return value


def get_int(
    name: str, default: int, *, minimum: int | None = None, unit: str = "", environ=os.environ
) -> int:
    """A whole number such as ``PAGE_CACHE_SECONDS=300``; `unit` only words the refusal."""
    return _get_number(
        name, default, parse=int, kind="a whole number", minimum=minimum, unit=unit, environ=environ
    )


def get_float(
    name: str, default: float, *, minimum: float | None = None, unit: str = "", environ=os.environ
) -> float:
    """A number that may have a fraction, such as ``NEWSLETTER_SEND_RATE=2.5``; never nan or inf."""
    return _get_number(
        name,
        default,
        parse=_parse_finite_float,
        kind="a number",
        minimum=minimum,
        unit=unit,
        environ=environ,
    )


def get_list(name: str, default: list[str] | None = None, environ=os.environ) -> list[str]:
    raw = environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_time_zone(name: str, default: str, environ=os.environ) -> str:
    """An IANA time zone such as ``TIME_ZONE=Europe/Paris``: every date the writer enters or
    reads in the admin is in it, and every page and email shows it."""
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ImproperlyConfigured(
            f"{name} must be a time zone name such as Europe/Paris or America/New_York; "
            f"got {raw!r}."
        ) from None
    return value


def get_language_code(name: str, default: str, environ=os.environ) -> str:
    """A language Django knows, such as ``LANGUAGE_CODE=en-us``: dates and numbers in the
    admin and on the pages follow its formats."""
    from django.conf.global_settings import LANGUAGES

    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower().replace("_", "-")
    known = {code for code, _ in LANGUAGES}
    # A regional variant Django has no formats for ("en-us", "fr-ca") uses its language's.
    if value not in known and value.split("-")[0] not in known:
        raise ImproperlyConfigured(
            f"{name} must be a language code Django knows, such as en-gb, en-us or fr; got {raw!r}."
        )
    return value


LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def site_url(*, debug: bool, environ=os.environ) -> str:
    """The public address, from SITE_URL; in development, http://127.0.0.1:$PORT without one.

    Every emailed link and feed is built on it, so a guess in production would send readers
    to the wrong place: there SITE_URL is required. In development, a local SITE_URL whose port
    is not the PORT the server listens on is refused too (emailed links would point at nothing).
    """
    port = get_int("PORT", 8000, minimum=1, environ=environ)
    raw = environ.get("SITE_URL", "").strip()
    if not raw:
        if debug:
            return f"http://127.0.0.1:{port}"
        listening = (
            f" (PORT={environ['PORT']} only says where the server listens)"
            if ("PORT" in environ)
            else ""
        )
        raise ImproperlyConfigured(
            "SITE_URL must be set when DEBUG is off: it is the address in every emailed link "
            f"and feed, e.g. SITE_URL=https://opinion.example.org{listening}."
        )
    url = raw.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(f"SITE_URL must be an absolute http(s) URL; got {raw!r}.")
    try:
        url_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ImproperlyConfigured(
            f"SITE_URL has a port that is not a number; got {raw!r}."
        ) from None
    # In development the reader's browser talks to PORT itself. With DEBUG off a proxy on this
    # machine may take the public port and pass requests to PORT (deploy/, `make bench`).
    if debug and "PORT" in environ and parts.hostname in LOOPBACK_HOSTS and url_port != port:
        raise ImproperlyConfigured(
            f"SITE_URL {url} names port {url_port} but the server listens on PORT={port}: "
            "emailed links would lead nowhere. Set one to match the other, or unset SITE_URL "
            "in development to derive it from PORT."
        )
    return url


def mail_domain(site_url: str) -> str:
    """The domain mail is sent from (core.addresses.domain_of_site, one rule for both)."""
    from core.addresses import domain_of_site

    return domain_of_site(site_url)


def database_config(url: str | None, *, sqlite_path: Path) -> dict:
    """`DATABASE_URL` to a DATABASES entry; without one, a tuned SQLite file.

    SQLite runs in WAL mode (readers never block the writer), waits for a lock instead of
    failing at once, and opens write transactions with BEGIN IMMEDIATE so two writers queue
    rather than one dying with "database is locked" on lock upgrade.
    https://docs.djangoproject.com/en/6.1/ref/databases/#sqlite-notes
    """
    if not url:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite_path,
            # Each worker keeps its connection: opening one (and its PRAGMAs) and closing it
            # cost 3 ms of CPU, more than serving a cached page.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                ),
            },
        }
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as err:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {err}") from err
    if not config.get("ENGINE"):
        raise ImproperlyConfigured("DATABASE_URL has an unknown scheme.")
    return config


def mailers_from_url(url: str) -> dict:
    """`EMAIL_URL` to Django 6.1's MAILERS setting.

    Accepted forms: ``console:``, ``locmem:``, ``dummy:``, ``file:///path``,
    ``smtp://user:pass@host:587/?tls=1`` (STARTTLS) and ``smtps://user:pass@host:465``
    (implicit TLS). Credentials are URL-decoded, so a password may hold ``@`` as ``%40``.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if scheme in simple:
        return {"default": {"BACKEND": simple[scheme]}}
    if scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured("EMAIL_URL file:// needs a folder, e.g. file:///var/mail.")
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": parts.path},
            }
        }
    if scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not one of smtp, smtps, console, locmem, dummy, file."
        )
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL needs a host, e.g. smtp://mail.example.org:587.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options = {
        "host": parts.hostname,
        "port": parts.port or (465 if scheme == "smtps" else 25),
        "timeout": _smtp_timeout(query.get("timeout", "20")),
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    if scheme == "smtps" or query.get("ssl", "").lower() in TRUE_WORDS:
        options["use_ssl"] = True
    elif query.get("tls", "").lower() in TRUE_WORDS:
        options["use_tls"] = True
    return {
        "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    }


def _smtp_timeout(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"EMAIL_URL timeout must be a whole number of seconds; got {raw!r}."
        ) from None


def cache_config(redis_url: str | None, *, fallback: dict | None = None) -> dict:
    """A shared Redis cache when `REDIS_URL` is set; otherwise `fallback`, by default the
    database cache, which every gunicorn worker shares too, so invalidation reaches them all."""
    if redis_url:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    if fallback is not None:
        return fallback
    return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}


def media_storage_from_url(url: str | None) -> tuple[dict, str | None]:
    """`MEDIA_STORAGE_URL` to (the STORAGES["default"] entry, the origin media is served from).

    Without one, uploads go to MEDIA_ROOT on this machine's disk (one web node). With
    ``s3://KEY:SECRET@bucket/prefix?endpoint_url=https://s3.example.net&region=eu-west-1``
    they go to any S3-compatible store (AWS, MinIO, Garage, Ceph…), shared by every web node
    and worker; ``custom_domain=media.example.org`` serves them from a CDN name. Media is
    public (no signed URLs, no ACL per file), as every image on a public blog is.
    """
    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}, None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "s3" or not parts.hostname:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE_URL must look like s3://KEY:SECRET@bucket?endpoint_url=https://…"
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"endpoint_url", "region", "custom_domain"}
    if unknown:
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL has unknown options: {sorted(unknown)}")
    options = {
        "bucket_name": parts.hostname,
        "location": parts.path.strip("/"),
        "querystring_auth": False,
        "default_acl": None,
        "file_overwrite": False,
        "addressing_style": "path",
    }
    if parts.username:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    if "region" in query:
        options["region_name"] = query["region"]
    if "endpoint_url" in query:
        options["endpoint_url"] = query["endpoint_url"].rstrip("/")
    if "custom_domain" in query:
        options["custom_domain"] = query["custom_domain"]
        origin = f"https://{query['custom_domain']}"
    elif "endpoint_url" in query:
        endpoint = urlsplit(query["endpoint_url"])
        origin = f"{endpoint.scheme}://{endpoint.netloc}"
    else:
        region = query.get("region", "us-east-1")
        origin = f"https://s3.{region}.amazonaws.com"
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, origin


TASKS_BACKENDS = {"database", "rq"}


def tasks_config(
    *, environ=os.environ, lease_seconds: int
) -> tuple[str, dict, dict[str, dict] | None]:
    """`TASKS_BACKEND` to (its name, the TASKS setting, django-rq's RQ_QUEUES or None).

    ``database`` (the default) keeps tasks in the site's database, run by one or a few
    `run_worker` processes beside it: nothing else to install or run. ``rq`` puts them in Redis
    (`REDIS_URL`, required then) through django-tasks-rq, for workers on several machines.
    An RQ job runs at most `lease_seconds`, as a database task is presumed dead after it.
    """
    raw = environ.get("TASKS_BACKEND", "database")
    name = raw.strip().lower()
    if name not in TASKS_BACKENDS:
        raise ImproperlyConfigured(f"TASKS_BACKEND must be database or rq; got {raw!r}.")
    if name == "database":
        return name, {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}, None
    redis_url = environ.get("REDIS_URL", "").strip()
    if not redis_url:
        raise ImproperlyConfigured(
            "TASKS_BACKEND=rq needs REDIS_URL, the Redis every web node and worker shares, "
            "e.g. REDIS_URL=redis://127.0.0.1:6379/0."
        )
    queues = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": lease_seconds}}
    tasks = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": list(queues)}}
    return name, tasks, queues
