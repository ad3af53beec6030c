import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "p" + "Q7x!r2Lm9#vT4kZ8@wN1eB6yH3sJ0uF5gD" * 2


def run_manage(*args, **environ):
    base = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    for key in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "SITE_URL", "ALLOWED_HOSTS", "EMAIL_URL"):
        base.pop(key, None)
    base.update(environ)
    base["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
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
