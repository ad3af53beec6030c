"""Serving speed of public pages: gunicorn on loopback, anonymous readers, cached and not.

A throwaway site (production settings from the environment, WAL-mode SQLite file, collected
static files, the demo content plus 100 comments on one post) is served by gunicorn on
127.0.0.1. Client threads then request each page for a fixed time, first as anonymous readers
(served from the shared page cache after the first hit) and then with a session cookie, which
bypasses the cache so every request renders the page and queries the database.
Reported per page and mode: requests per second, median and 95th-percentile latency, and any
answer other than 200. Written to var/bench/pages.txt. Traffic goes to 127.0.0.1 only, for
a bounded time.

Run: `python -m tests.bench.pages` (or `make bench`).
"""

import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.newsletter.worker_site import manage

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
SECONDS = 8
WORKERS = 3
TARGET_CACHED_P95_MS = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_env(var_dir: Path, port: int) -> dict[str, str]:
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "EMAIL_URL"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": "pages-bench-only-" + "x9Lq" * 12,
        "DEBUG": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "EMAIL_URL": "dummy:",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
        "WEB_CONCURRENCY": str(WORKERS),
        "PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }


SEED_COMMENTS = """
from django.contrib.contenttypes.models import ContentType
from blog.models import Post
from comments.models import Comment
post = Post.objects.published().order_by("-publish_at").first()
base = dict(content_type=ContentType.objects.get_for_model(Post), object_pk=str(post.pk),
            site_id=1, is_public=True)
for n in range(25):
    root = Comment.objects.create(**base, user_name=f"Reader {n}",
        user_email=f"r{n}@example.org", comment="I *agree*, mostly.", parent_id=0)
    first = Comment.objects.create(**base, user_name="Zoë", user_email="z@example.org",
        comment="Not so fast — read the appendix.", parent_id=root.pk)
    Comment.objects.create(**base, user_name="José", user_email="j@example.org",
        comment="The appendix says “later”…", parent_id=first.pk)
    Comment.objects.create(**base, user_name="Łukasz", user_email="l@example.org",
        comment="Fair point.", parent_id=root.pk)
print(post.get_absolute_url())
"""


def prepare(env: dict[str, str]) -> str:
    """Build the site; returns the path of the post carrying 100 comments."""

    def run(*args: str) -> str:
        return manage(env, *args, timeout=300).stdout

    run("migrate", "--noinput")
    run("createcachetable")
    run("collectstatic", "--noinput")
    run("load_demo_content")
    return run("shell", "-c", SEED_COMMENTS).strip().splitlines()[-1]


def hammer(url: str, *, cookie: str | None) -> dict:
    """CLIENTS threads requesting `url` for SECONDS; latencies in ms and non-200 answers."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS
    headers = {"Cookie": cookie} if cookie else {}

    def client():
        while time.monotonic() < deadline:
            request = urllib.request.Request(url, headers=headers)
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    failures.append(status)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "rate": len(latencies) / SECONDS,
        "p50": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "failures": len(failures),
        "count": len(latencies),
    }


def main() -> int:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as folder:
        env = site_env(Path(folder), port)
        sys.stdout.write("Preparing a site with the demo content and 100 comments…\n")
        post_path = prepare(env)
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py"]
            + ["config.wsgi"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                os.killpg(server.pid, signal.SIGTERM)
                sys.stderr.write(server.stderr.read().decode()[-3000:])
                sys.exit("gunicorn did not answer within 30 s")
            pages = {"home": "/", "post with 100 comments": post_path}
            results = []
            for label, path in pages.items():
                for mode, cookie in (("cached", None), ("uncached", "sessionid=bench")):
                    results.append((label, mode, hammer(base + path, cookie=cookie)))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    lines = [
        f"Public pages over HTTP: gunicorn ({WORKERS} sync workers) on 127.0.0.1, "
        f"{CLIENTS} client threads, {SECONDS} s per row",
    ]
    for label, mode, r in results:
        lines.append(
            f"  {label:<24} {mode:<9} {r['rate']:7.1f} req/s   p50 {r['p50']:6.1f} ms   "
            f"p95 {r['p95']:6.1f} ms   non-200: {r['failures']} of {r['count']}"
        )
    cached_ok = all(r["p95"] < TARGET_CACHED_P95_MS for _, mode, r in results if mode == "cached")
    no_errors = all(r["failures"] == 0 for _, _, r in results)
    lines.append(
        f"  target: cached p95 under {TARGET_CACHED_P95_MS} ms and no errors → "
        f"{'met' if cached_ok and no_errors else 'NOT met'}"
    )
    lines.append(
        f"  Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        "SQLite file (WAL), database cache; client and server share the machine"
    )
    report = "\n".join(lines) + "\n"
    out = ROOT / "var" / "bench" / "pages.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    sys.stdout.write(report + f"Written to {out}\n")
    return 0 if cached_ok and no_errors else 1


if __name__ == "__main__":
    sys.exit(main())
