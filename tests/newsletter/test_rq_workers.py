"""Several RQ workers share an edition; one is killed with SIGKILL mid-send; nobody is missed.

Real processes on a site of their own (tests/newsletter/worker_site.py) with
`TASKS_BACKEND=rq`: two `manage.py run_worker` processes take the edition's batches (SELECT …
FOR UPDATE SKIP LOCKED on PostgreSQL when the suite runs there, BEGIN IMMEDIATE on SQLite),
then the whole of one worker (its process group: RQ's scheduler too, as when a machine dies)
is killed with SIGKILL and a replacement started. The SMTP server in this process counts
copies per address: every subscriber gets the edition, and at most the one message in flight
when the worker died arrives twice (newsletter/delivery.py, MAX_DUPLICATES_PER_CRASH).

Runs in the step of .ci/run that sets TASKS_BACKEND=rq and REDIS_URL; it uses that Redis
database's queue `default` and deletes the keys the site left there afterwards.
"""

import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from newsletter.delivery import MAX_DUPLICATES_PER_CRASH
from tests.newsletter.worker_site import (
    ROOT,
    active_address,
    prepare,
    site_env,
    site_script,
    wait_for,
)

ACTIVE = 1_000
KILL_AFTER = 300

pytestmark = [
    pytest.mark.slow,
    pytest.mark.tasks,
    pytest.mark.skipif(
        settings.TASKS_BACKEND != "rq", reason="RQ workers: run with TASKS_BACKEND=rq REDIS_URL=…"
    ),
]


def redis_url() -> str:
    return settings.RQ_QUEUES["default"]["URL"]


@pytest.fixture
def site_database():
    """The site's own PostgreSQL database when the suite runs on PostgreSQL (dropped
    afterwards); otherwise nothing, and the site keeps a SQLite file in its folder."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield {}
        return
    import psycopg

    parts = urlsplit(url)
    admin_url = parts._replace(path="/postgres").geturl()
    name = f"rq_workers_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield {"DATABASE_URL": parts._replace(path=f"/{name}").geturl()}
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_keys():
    """The Redis database of the test run, emptied of what the site and its workers left."""
    import redis

    client = redis.Redis.from_url(redis_url())
    yield client
    for pattern in ("rq:*", ":1:*"):
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)


def start_worker(env, name, tmp_path):
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_worker", "--worker-id", name],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: RQ's scheduler dies with it
    )


def stop(worker):
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)


def edition_status(env, edition_id) -> str:
    """Read from the site's database directly: a `site_script` would take a second a time."""
    query = "SELECT status FROM newsletter_edition WHERE id = %s"
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as db:
            return db.execute(query, [edition_id]).fetchone()[0]
    with sqlite3.connect(f"{env['VAR_DIR']}/db.sqlite3") as db:
        return db.execute(query.replace("%s", "?"), [edition_id]).fetchone()[0]


def test_two_rq_workers_share_an_edition_and_a_killed_one_loses_nobody(
    sink, tmp_path, site_database, redis_keys
):
    env = site_env(
        tmp_path,
        smtp_port=sink.port,
        TASKS_BACKEND="rq",
        REDIS_URL=redis_url(),
        NEWSLETTER_LEASE_SECONDS=8,
        NEWSLETTER_BATCH_SIZE=20,
        NEWSLETTER_SEND_RATE=100,
        NEWSLETTER_TASK_SECONDS=5,
        PERIODIC_TICK_SECONDS=1,
        **site_database,
    )
    for pattern in ("rq:*", ":1:*"):  # nothing left by an earlier, interrupted run
        keys = list(redis_keys.scan_iter(match=pattern))
        if keys:
            redis_keys.delete(*keys)
    started = time.monotonic()
    edition_id = prepare(env, active=ACTIVE, inactive=5)
    prepared = time.monotonic()
    pair = ("worker-a", "worker-b")
    workers = {name: start_worker(env, name, tmp_path) for name in pair}
    try:
        wait_for(
            lambda: redis_keys.scard("rq:workers:default") == 2,
            timeout=60,
            what="both workers to register",
            poll=0.1,
        )
        site_script(env, "send", str(edition_id))
        wait_for(
            lambda: all(redis_keys.hget(f"rq:worker:{name}", "state") == b"busy" for name in pair),
            timeout=60,
            what="both workers to be sending at once",
        )
        wait_for(lambda: sink.total >= KILL_AFTER, timeout=90, what=f"{KILL_AFTER} messages")
        os.killpg(workers["worker-a"].pid, signal.SIGKILL)
        assert workers["worker-a"].wait(timeout=30) == -signal.SIGKILL
        assert sink.total < ACTIVE, "the worker must be killed in the middle of the send"
        workers["worker-c"] = start_worker(env, "worker-c", tmp_path)

        wait_for(
            lambda: edition_status(env, edition_id) == "sent",
            timeout=120,
            what="the other workers to finish the edition",
            poll=0.2,
        )
        finished = time.monotonic()
    finally:
        for worker in workers.values():
            stop(worker)

    counts = sink.counts
    missing = [n for n in range(ACTIVE) if counts[active_address(n)] == 0]
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    sys.stdout.write(
        f"\n{ACTIVE} subscribers, {sink.total} messages, {duplicates} duplicates; "
        f"site ready in {prepared - started:.0f} s, sent {finished - prepared:.0f} s later\n"
    )
    assert missing == []
    assert duplicates <= MAX_DUPLICATES_PER_CRASH, counts.most_common(3)
    assert set(counts) == {active_address(n) for n in range(ACTIVE)}
