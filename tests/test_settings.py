import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env
from config.settings import base as settings_base

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "p" + "Q7x!r2Lm9#vT4kZ8@wN1eB6yH3sJ0uF5gD" * 2


def clean_environ(**environ) -> dict[str, str]:
    """This process's environment without any setting of the site's, plus `environ`."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    for key in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "SITE_URL", "ALLOWED_HOSTS", "EMAIL_URL"):
        base.pop(key, None)
    return base | environ


def run_manage(*args, **environ):
    base = clean_environ(**environ, DJANGO_SETTINGS_MODULE="config.settings.local")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", DEBUG="0")
    assert result.returncode == 2
    assert result.stderr.startswith("Refusing to start: SECRET_KEY must be set")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_malformed_number_is_refused_in_one_line_naming_the_variable():
    result = run_manage("check", PAGE_CACHE_SECONDS="5m")
    assert result.returncode == 2
    assert result.stderr == (
        "Refusing to start: PAGE_CACHE_SECONDS must be a whole number of seconds; got '5m'.\n"
    )


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", DEBUG="0", SECRET_KEY="changeme")
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr


def test_deploy_check_is_clean_with_production_environment(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="opinion.example.org",
        SITE_URL="https://opinion.example.org",
        EMAIL_URL="smtp://mailer:secret@mail.example.org:587/?tls=1",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_without_secret_key_uses_a_development_key():
    result = run_manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("postgres://blog:pw@db.internal:5433/opinion", "django.db.backends.postgresql", "opinion"),
        ("postgresql://postgres@127.0.0.1:5432/test", "django.db.backends.postgresql", "test"),
        ("sqlite:////srv/blog/db.sqlite3", "django.db.backends.sqlite3", "/srv/blog/db.sqlite3"),
    ],
)
def test_database_url_is_parsed(url, engine, name, tmp_path):
    config = env.database_config(url, sqlite_path=tmp_path / "unused.sqlite3")
    assert config["ENGINE"] == engine
    assert config["NAME"] == name


def test_database_url_keeps_credentials_and_port():
    url = "postgres://blog:p%40ss@db.internal:5433/opinion"
    config = env.database_config(url, sqlite_path=Path())
    assert (config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "blog",
        "p@ss",
        "db.internal",
        5433,
    )


def test_without_database_url_sqlite_is_tuned_for_concurrent_writers(tmp_path):
    config = env.database_config(None, sqlite_path=tmp_path / "var" / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["timeout"] >= 5
    assert (tmp_path / "var").is_dir()


def test_sqlite_connections_are_kept_by_each_worker(tmp_path):
    """Opening and closing a connection per request cost more CPU than a cached page."""
    config = env.database_config(None, sqlite_path=tmp_path / "db.sqlite3")
    assert config["CONN_MAX_AGE"] is None


def test_unknown_database_scheme_is_a_clear_error(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env.database_config("nosuchdb://x/y", sqlite_path=tmp_path / "db")


def test_smtp_email_url_becomes_a_mailer_with_starttls():
    mailers = env.mailers_from_url("smtp://user%40example.org:p%3Ass@mail.example.org:587/?tls=1")
    assert mailers == {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": "mail.example.org",
                "port": 587,
                "timeout": 20,
                "username": "user@example.org",
                "password": "p:ss",
                "use_tls": True,
            },
        }
    }


def test_smtps_email_url_uses_implicit_tls_on_465():
    options = env.mailers_from_url("smtps://u:p@mail.example.org")["default"]["OPTIONS"]
    assert options["port"] == 465
    assert options["use_ssl"] is True
    assert "use_tls" not in options


def test_console_email_url_prints_mail():
    assert env.mailers_from_url("console:")["default"]["BACKEND"].endswith("console.EmailBackend")


def test_unknown_email_scheme_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        env.mailers_from_url("carrier-pigeon://loft")


def test_boolean_environment_values_are_strict():
    assert env.get_bool("X", environ={"X": "yes"}) is True
    assert env.get_bool("X", environ={"X": "0"}) is False
    assert env.get_bool("X", default=True, environ={}) is True
    with pytest.raises(ImproperlyConfigured):
        env.get_bool("X", environ={"X": "maybe"})


def test_redis_url_selects_the_redis_cache():
    config = env.cache_config("redis://127.0.0.1:6379/1", fallback={})
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert env.cache_config(None, fallback={"BACKEND": "x"}) == {"BACKEND": "x"}
    assert env.cache_config(None) == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
    }


def test_whole_numbers_are_read_with_their_default_and_minimum():
    assert env.get_int("X", 300, environ={}) == 300
    assert env.get_int("X", 300, environ={"X": " 60 "}) == 60
    assert env.get_int("X", 300, minimum=0, environ={"X": "0"}) == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("5m", "X must be a whole number of seconds; got '5m'."),
        ("2.5", "X must be a whole number of seconds; got '2.5'."),
        ("", "X must be a whole number of seconds; got ''."),
        ("-1", "X must be a whole number of seconds, at least 0; got '-1'."),
    ],
)
def test_a_bad_whole_number_is_refused_with_the_variable_and_the_value(raw, message):
    with pytest.raises(ImproperlyConfigured) as error:
        env.get_int("X", 300, minimum=0, unit="seconds", environ={"X": raw})
    assert str(error.value) == message


def test_numbers_may_have_a_fraction_but_must_be_finite():
    assert env.get_float("X", 0, environ={}) == 0
    assert env.get_float("X", 0, environ={"X": "2.5"}) == 2.5
    for raw in ("fast", "nan", "inf"):
        with pytest.raises(ImproperlyConfigured, match=f"^X must be a number; got '{raw}'.$"):
            env.get_float("X", 0, environ={"X": raw})
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env.get_float("X", 10, minimum=1, environ={"X": "0.5"})


def test_a_bad_smtp_timeout_names_email_url():
    with pytest.raises(ImproperlyConfigured, match="^EMAIL_URL timeout .* got 'soon'."):
        env.mailers_from_url("smtp://mail.example.org/?timeout=soon")


NUMERIC_VARIABLES = [
    "PAGE_CACHE_SECONDS",
    "PREVIEW_LINK_MAX_AGE",
    "EMAIL_RETRY_BASE_SECONDS",
    "EMAIL_MAX_ATTEMPTS",
    "OUTBOX_RETENTION_DAYS",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_MINUTES",
    "SECURE_HSTS_SECONDS",
    "COMMENTS_MAX_THREAD_LEVEL",
    "COMMENT_MAX_LENGTH",
    "COMMENTS_CLOSE_AFTER_DAYS",
    "COMMENTS_THREADS_PER_PAGE",
    "COMMENTS_MIN_SUBMIT_SECONDS",
    "COMMENTS_PER_ADDRESS_PER_MINUTE",
    "COMMENTS_PER_ADDRESS_PER_HOUR",
    "COMMENTS_PER_NETWORK_PER_MINUTE",
    "COMMENTS_PER_NETWORK_PER_HOUR",
    "COMMENTS_HIDE_AFTER_FLAGS",
    "READER_SIGN_IN_MAX_AGE",
    "NEWSLETTER_CONFIRM_MAX_AGE",
    "NEWSLETTER_PENDING_PURGE_DAYS",
    "NEWSLETTER_SIGNUPS_PER_HOUR",
    "NEWSLETTER_MIN_SUBMIT_SECONDS",
    "NEWSLETTER_FORM_MAX_AGE",
    "NEWSLETTER_SEND_RATE",
    "NEWSLETTER_BATCH_SIZE",
    "NEWSLETTER_LEASE_SECONDS",
    "NEWSLETTER_RETRY_BASE_SECONDS",
    "NEWSLETTER_RETRY_MAX_SECONDS",
    "NEWSLETTER_MAX_ATTEMPTS",
    "NEWSLETTER_HARD_BOUNCE_LIMIT",
    "NEWSLETTER_TASK_SECONDS",
    "NEWSLETTER_POST_EMAIL_MAX_AGE_HOURS",
    "NEWSLETTER_FEED_TIMEOUT",
    "NEWSLETTER_FEED_MAX_BYTES",
    "TASKS_LEASE_SECONDS",
    "PERIODIC_TICK_SECONDS",
    "STAFF_DEVICE_TRUST_DAYS",
    "STAFF_CODES_PER_HOUR",
    "COMMENTS_FORM_STAMP_MAX_AGE",
]


def test_no_setting_parses_a_number_by_hand():
    """A bare int()/float() of an environment variable is a traceback waiting for a typo."""
    source = Path(settings_base.__file__).read_text()
    assert not re.search(r"\b(int|float)\(\s*os\.environ", source)


@pytest.mark.parametrize("name", NUMERIC_VARIABLES)
def test_every_numeric_variable_is_read_through_a_typed_getter(name, monkeypatch, tmp_path):
    monkeypatch.setenv("DEBUG", "1")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv(name, "lots")
    with pytest.raises(ImproperlyConfigured, match=f"^{name} must be a "):
        runpy.run_path(str(ROOT / "config" / "settings" / "base.py"))


def test_time_zone_and_language_come_from_the_environment():
    environ = {"TIME_ZONE": "Europe/Paris", "LANGUAGE_CODE": "en_US"}
    assert env.get_time_zone("TIME_ZONE", "UTC", environ=environ) == "Europe/Paris"
    assert env.get_language_code("LANGUAGE_CODE", "en-gb", environ=environ) == "en-us"
    assert env.get_time_zone("TIME_ZONE", "UTC", environ={}) == "UTC"
    assert env.get_language_code("LANGUAGE_CODE", "en-gb", environ={}) == "en-gb"


def test_an_unknown_time_zone_or_language_is_refused_in_one_line():
    result = run_manage("check", TIME_ZONE="Paris")
    assert result.returncode == 2
    assert result.stderr == (
        "Refusing to start: TIME_ZONE must be a time zone name such as Europe/Paris or "
        "America/New_York; got 'Paris'.\n"
    )
    with pytest.raises(ImproperlyConfigured, match="LANGUAGE_CODE must be a language code"):
        env.get_language_code("LANGUAGE_CODE", "en-gb", environ={"LANGUAGE_CODE": "klingon"})


def test_development_derives_site_url_from_port_so_emailed_links_reach_the_server():
    assert env.site_url(debug=True, environ={"PORT": "9000"}) == "http://127.0.0.1:9000"
    assert env.site_url(debug=True, environ={}) == "http://127.0.0.1:8000"
    assert env.site_url(debug=False, environ={"SITE_URL": "https://a.example/"}) == (
        "https://a.example"
    )


def test_a_local_site_url_on_another_port_than_the_server_is_refused():
    with pytest.raises(ImproperlyConfigured, match="PORT=9000"):
        env.site_url(debug=True, environ={"PORT": "9000", "SITE_URL": "http://127.0.0.1:8000"})
    # Behind a proxy the public address has its own port: only loopback addresses must match.
    public = {"PORT": "9000", "SITE_URL": "https://opinion.example.org"}
    assert env.site_url(debug=False, environ=public) == "https://opinion.example.org"
    # ...and in production only: there a proxy on this machine may own the public port.
    proxied = {"PORT": "9000", "SITE_URL": "http://127.0.0.1:8000"}
    assert env.site_url(debug=False, environ=proxied) == "http://127.0.0.1:8000"


def test_production_refuses_to_start_with_port_but_no_site_url():
    result = run_manage("check", DEBUG="0", SECRET_KEY=STRONG_KEY, PORT="9000")
    assert result.returncode == 2
    assert result.stderr.startswith("Refusing to start: SITE_URL must be set when DEBUG is off")
    assert "PORT=9000" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_development_with_port_puts_that_port_in_site_url():
    result = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.SITE_URL)", PORT="9123"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:9123"


def test_the_wsgi_application_loads_as_gunicorn_loads_it(tmp_path):
    """`make run` starts `gunicorn config.wsgi` with no DJANGO_SETTINGS_MODULE set: importing
    the module must configure settings before anything reads them."""
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi; print(config.wsgi.application.__name__)"],
        cwd=ROOT,
        env=clean_environ(DEBUG="1", VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cached_pages_first"
