"""The `make run` console: one line per task, no access lines for files, no /favicon.ico 404."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_favicon_ico_is_the_shipped_icon_with_long_caching(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content.startswith(b"\x00\x00\x01\x00")  # an ICO header
    assert "max-age=604800" in response["Cache-Control"]
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.django_db
def test_pages_link_the_svg_icon_and_the_ico(client):
    html = client.get(reverse("blog:post-list")).content.decode()
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in html
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html


# What `make run`'s worker does with its logging: Django's setup with the project's settings
# (DEBUG on), the worker command's own configure_logging, then a task's two log calls (the
# receivers of task_started and task_finished, as the worker sends them).
WORKER_CONSOLE = """
import logging, types
import django
django.setup()
from django.tasks.base import TaskResultStatus
from django.tasks.signals import log_task_finished, log_task_started
from core.management.commands.run_worker import Command
Command().configure_logging(1)
task = types.SimpleNamespace(module_path="blog.tasks.make_image_renditions")
for task_id, outcome in (("task-ok", "SUCCESSFUL"), ("task-bad", "FAILED")):
    running = types.SimpleNamespace(id=task_id, task=task, backend="default",
                                    status=TaskResultStatus.RUNNING)
    log_task_started(sender=None, task_result=running)
    done = types.SimpleNamespace(id=task_id, task=task, backend="default",
                                 status=TaskResultStatus[outcome])
    log_task_finished(sender=None, task_result=done)
logging.getLogger("django.template").warning("one django line")
"""


def test_the_worker_console_shows_each_task_once_and_django_lines_once(tmp_path):
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("LOG_LEVEL", None)
    done = subprocess.run(
        [sys.executable, "-c", WORKER_CONSOLE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    console = (done.stdout + done.stderr).splitlines()
    ok = [line for line in console if "task-ok" in line]
    assert len(ok) == 1 and "state=SUCCESSFUL" in ok[0], console
    bad = [line for line in console if "task-bad" in line]
    assert len(bad) == 1 and "state=FAILED" in bad[0] and "ERROR" in bad[0], console
    assert sum("one django line" in line for line in console) == 1, console


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("log_static", ["", "1"])
def test_gunicorn_leaves_files_out_of_the_access_log(tmp_path, log_static):
    """gunicorn with the project's config file, serving a stand-in app (tests/core/wsgi_stub)."""
    port = free_port()
    env = os.environ | {
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_LOG_STATIC": log_static,
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "console.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                "tests.core.wsgi_stub:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    get(base_url + "/up")
                    break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
            assert get(base_url + "/static/css/site.abc123.css") == 200
            assert get(base_url + "/favicon.ico") == 200
            assert get(base_url + "/static/css/missing.css") == 404
            assert get(base_url + "/2026/12/a-post/") == 200
        finally:
            server.terminate()
            server.wait(timeout=20)
    console = log.read_text()
    assert '"GET /2026/12/a-post/ HTTP/1.1" 200' in console
    assert '"GET /static/css/missing.css HTTP/1.1" 404' in console  # failures stay
    quiet = not log_static
    assert ("site.abc123.css" in console) is not quiet
    assert ("/favicon.ico" in console) is not quiet
