"""Sending speed and memory of the edition worker: one edition to 10,000 subscribers.

A throwaway site (tests/newsletter/worker_site.py: production settings, WAL-mode SQLite
file) is seeded with 10,000 active subscribers; the real worker, `manage.py send_edition`,
then sends the edition over SMTP to a counting aiosmtpd server in this process. Reported:
messages per second as the server saw them (first to last message accepted), the worker's
wall time, and its peak resident memory (ru_maxrss of that one child, from os.wait4).
Written to var/bench/edition_send.txt. Target: at least 200 messages per second
and under 200 MB.

Run: `python -m tests.bench.edition_send` (or `make bench`, which runs every benchmark).

`python -m tests.bench.edition_send rq` measures the same engine on RQ (`TASKS_BACKEND=rq`):
messages per second with 1, 2 and 4 `run_worker` processes; see `rq_main`.
"""

import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

RECIPIENTS = 10_000
TARGET_RATE = 200
TARGET_MB = 200
ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from tests.newsletter.sinks import CountingSink
    from tests.newsletter.worker_site import prepare, site_env, worker_command

    sink = CountingSink(keep_messages=False)
    sink.start()
    try:
        with tempfile.TemporaryDirectory(prefix="edition-bench-") as folder:
            env = site_env(Path(folder), smtp_port=sink.port, NEWSLETTER_SEND_RATE=0)
            sys.stdout.write(f"Preparing a site with {RECIPIENTS} subscribers…\n")
            edition_id = prepare(env, active=RECIPIENTS, inactive=0)
            sys.stdout.write("Sending…\n")
            started = time.monotonic()
            worker = subprocess.Popen(
                worker_command(edition_id),
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _, status, usage = os.wait4(worker.pid, 0)
            wall = time.monotonic() - started
            errors = worker.stderr.read().decode()
            worker.stderr.close()
    finally:
        sink.stop()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(errors)
        return 1
    received = sink.total
    sending = (sink.handler.last_at or 0) - (sink.handler.first_at or 0)
    rate = received / sending if sending > 0 else float("inf")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    duplicates = sum(count - 1 for count in sink.counts.values() if count > 1)
    met = rate >= TARGET_RATE and peak_mb < TARGET_MB and received == RECIPIENTS
    lines = [
        f"Edition send: one edition to {RECIPIENTS} subscribers through a local SMTP server",
        f"  messages received:        {received} ({len(sink.counts)} addresses, "
        f"{duplicates} duplicates)",
        f"  rate (server's view):     {rate:8.1f} messages/s over {sending:.1f} s",
        f"  worker wall time:         {wall:8.1f} s (Django start-up and freezing included)",
        f"  worker peak RSS:          {peak_mb:8.1f} MB",
        f"  SMTP sessions:            {sink.handler.sessions} (one per batch)",
        f"  target: ≥{TARGET_RATE} msg/s and <{TARGET_MB} MB → {'met' if met else 'NOT met'}",
        f"  Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        "SQLite file (WAL), worker and SMTP server on one machine",
    ]
    report = "\n".join(lines) + "\n"
    out = ROOT / "var" / "bench" / "edition_send.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    sys.stdout.write(report + f"Written to {out}\n")
    return 0 if met else 1


# On RQ: messages per second with 1, 2 and 4 workers (`TASKS_BACKEND=rq`) -------------------
#
# A throwaway site (tests/newsletter/worker_site.py: production settings) on PostgreSQL when
# `DATABASE_URL` names a server (a database of its own is created there and dropped after;
# otherwise a WAL-mode SQLite file, where claims queue behind one writer) with its tasks on the
# Redis of `REDIS_URL` is seeded with BENCH_RQ_SUBSCRIBERS active subscribers (3,000). For each
# worker count, that many `manage.py run_worker` processes are started, an edition is sent, and
# the counting aiosmtpd server in this process (asyncio: it takes every SMTP session at once)
# says how many messages per second it accepted, first to last. Each round stops after
# BENCH_RQ_ROUND_SECONDS (120). The load average before and after is printed beside the
# figures: workers, server and anything else on the machine share its CPUs.
#
# Give it a Redis database of its own: it deletes the RQ and cache keys the site leaves there.
#
# Run: `REDIS_URL=redis://127.0.0.1:6379/3 DATABASE_URL=postgres://postgres@127.0.0.1/x
# python -m tests.bench.edition_send rq`. Written to var/bench/edition_send_rq.txt.

RQ_SUBSCRIBERS = int(os.environ.get("BENCH_RQ_SUBSCRIBERS", "3000"))
RQ_WORKER_COUNTS = [int(n) for n in os.environ.get("BENCH_RQ_WORKERS", "1,2,4").split(",")]
RQ_ROUND_SECONDS = float(os.environ.get("BENCH_RQ_ROUND_SECONDS", "120"))


def clean_redis(client) -> None:
    for pattern in ("rq:*", ":1:*"):
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)


def throwaway_database(server_url: str):
    """(the site's DATABASE_URL, a function dropping it) on the server of `server_url`."""
    import psycopg

    parts = urlsplit(server_url)
    admin_url = parts._replace(path="/postgres").geturl()
    name = f"bench_rq_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return parts._replace(path=f"/{name}").geturl(), drop


def one_round(*, workers, site, edition_id, redis_client, folder):
    """Send edition `edition_id` with `workers` RQ workers: (received, seconds, duplicates)."""
    from tests.newsletter.sinks import CountingSink
    from tests.newsletter.worker_site import site_env, site_script

    sink = CountingSink(keep_messages=False)
    sink.start()
    env = site_env(folder, smtp_port=sink.port, **site)
    processes = []
    try:
        for n in range(workers):
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(ROOT / "manage.py"),
                        "run_worker",
                        "--worker-id",
                        f"bench-{workers}-{n}",
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        while redis_client.scard("rq:workers:default") < workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {redis_client.scard('rq:workers:default')} workers")
            time.sleep(0.1)
        site_script(env, "send", str(edition_id))
        deadline = time.monotonic() + RQ_ROUND_SECONDS
        while sink.total < RQ_SUBSCRIBERS and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        sink.stop()
    seconds = (sink.handler.last_at or 0) - (sink.handler.first_at or 0)
    duplicates = sum(count - 1 for count in sink.counts.values() if count > 1)
    return sink.total, seconds, duplicates


def rq_main() -> int:
    sys.path.insert(0, str(ROOT))
    import redis

    from tests.newsletter.worker_site import prepare, site_env, site_script

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        sys.stderr.write("REDIS_URL=redis://127.0.0.1:6379/N is needed (a database of its own).\n")
        return 2
    redis_client = redis.Redis.from_url(redis_url)
    clean_redis(redis_client)
    site = {"TASKS_BACKEND": "rq", "REDIS_URL": redis_url, "NEWSLETTER_SEND_RATE": 0}
    drop = None
    server = os.environ.get("DATABASE_URL", "")
    if server.startswith(("postgres://", "postgresql://")):
        site["DATABASE_URL"], drop = throwaway_database(server)
    load_before = os.getloadavg()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="edition-bench-rq-") as name:
            folder = Path(name)
            sys.stdout.write(f"Preparing a site with {RQ_SUBSCRIBERS} subscribers…\n")
            env = site_env(folder, smtp_port=25, **site)
            first = prepare(env, active=RQ_SUBSCRIBERS, inactive=0)
            for workers in RQ_WORKER_COUNTS:
                edition_id = int(site_script(env, "copy", str(first)))
                sys.stdout.write(f"Sending with {workers} RQ worker(s)…\n")
                sys.stdout.flush()
                received, seconds, duplicates = one_round(
                    workers=workers,
                    site=site,
                    edition_id=edition_id,
                    redis_client=redis_client,
                    folder=folder,
                )
                rows.append((workers, received, seconds, duplicates))
                clean_redis(redis_client)
    finally:
        clean_redis(redis_client)
        if drop:
            drop()
    load_after = os.getloadavg()
    database = "PostgreSQL" if drop else "SQLite file (WAL)"
    lines = [
        f"Edition send on RQ: {RQ_SUBSCRIBERS} subscribers, {database}, Redis, a local SMTP server",
        "  workers   received   duplicates   seconds   messages/s",
    ]
    for workers, received, seconds, duplicates in rows:
        rate = received / seconds if seconds > 0 else 0.0
        lines.append(
            f"  {workers:>7}   {received:>8}   {duplicates:>10}   {seconds:>7.1f}   {rate:>10.1f}"
        )
    lines += [
        "  load average before {:.2f} / {:.2f} / {:.2f}, after {:.2f} / {:.2f} / {:.2f} "
        "(1 / 5 / 15 min)".format(*load_before, *load_after),
        f"  Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; "
        "workers, SMTP server and databases on one machine",
    ]
    report = "\n".join(lines) + "\n"
    out = ROOT / "var" / "bench" / "edition_send_rq.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    sys.stdout.write(report + f"Written to {out}\n")
    complete = all(received == RQ_SUBSCRIBERS and not dup for _, received, _, dup in rows)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(rq_main() if sys.argv[1:] == ["rq"] else main())
