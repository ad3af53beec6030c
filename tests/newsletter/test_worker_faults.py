"""Fault drill (issue 10, acceptance): the database disappears for 30 s under a busy worker.

A real `manage.py run_worker` on a PostgreSQL database of its own reaches the server through
a TCP proxy in this process. While the worker is in the middle of an edition, with
confirmation emails queued behind it, the proxy cuts every connection and refuses new ones
for DRILL_OUTAGE_SECONDS (30 by default), then lets them through again. Nobody touches
anything after that: the worker must survive, finish the edition and deliver the queued mail,
each message exactly once.

What makes it work: the worker rides out the outage (core/worker.py); a message accepted by
the mail server while the database was away is recorded once it is back
(newsletter/delivery.py); an edition whose task died in the outage gets a new one from the
periodic job (newsletter/tasks.py: keep_editions_moving); queued email is retried
(core/tasks.py).

SQLite is a file inside the worker's own process: there is no connection to cut, so the
drill runs on PostgreSQL only (`DATABASE_URL=postgres://...`).
"""

import asyncio
import os
import secrets
import subprocess
import threading
import time
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.newsletter.worker_site import (
    ROOT,
    active_address,
    prepare,
    run_worker_command,
    signup_address,
    site_env,
    site_script,
    wait_for,
)

OUTAGE_SECONDS = float(os.environ.get("DRILL_OUTAGE_SECONDS", 30))
ACTIVE = 400
SIGNUPS = 15
CUT_AFTER = 120  # edition messages accepted before the database goes away

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="the drill cuts the worker's TCP connection to PostgreSQL; SQLite has none",
    ),
]


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 that can drop every connection and refuse new ones."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None
        self.port = 0
        self.streams: set[asyncio.StreamWriter] = set()

    def start(self) -> None:
        self.thread.start()
        self._run(self._listen())
        self.port = self.server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    def stop(self) -> None:
        self._run(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    async def _listen(self):
        self.server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )

    async def _cut(self):
        server, self.server = self.server, None
        if server is not None:
            server.close()  # refuse new connections
        for writer in list(self.streams):
            writer.transport.abort()  # and drop the open ones, as a dead network would
        self.streams.clear()
        if server is not None:
            await server.wait_closed()

    async def _serve(self, client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self.streams |= {client_writer, server_writer}

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.transport.abort()

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
        self.streams -= {client_writer, server_writer}


@pytest.fixture
def server_url():
    parts = urlsplit(DATABASE_URL)
    return parts._replace(path="/postgres").geturl(), parts


@pytest.fixture
def drill_database(server_url):
    """A database of the drill's own on the test server, dropped afterwards."""
    admin_url, parts = server_url
    name = f"worker_drill_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name, parts
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def proxy(server_url):
    _, parts = server_url
    cuttable = CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    cuttable.start()
    yield cuttable
    cuttable.stop()


def test_a_thirty_second_database_outage_loses_and_repeats_nothing(
    drill_database, proxy, sink, tmp_path
):
    """Fault drill: queued mail and an edition in flight, the database away, all sent once."""
    name, parts = drill_database
    user = f"{parts.username}:{parts.password}@" if parts.password else f"{parts.username}@"
    direct_url = parts._replace(path=f"/{name}").geturl()
    env = site_env(
        tmp_path,
        smtp_port=sink.port,
        DATABASE_URL=f"postgres://{user}127.0.0.1:{proxy.port}/{name}",
        NEWSLETTER_BATCH_SIZE=20,
        NEWSLETTER_SEND_RATE=40,
        NEWSLETTER_TASK_SECONDS=600,  # the edition keeps the worker busy: mail waits behind it
        NEWSLETTER_LEASE_SECONDS=int(OUTAGE_SECONDS) + 30,
        PERIODIC_TICK_SECONDS=1,
        EMAIL_RETRY_BASE_SECONDS=1,
    )
    edition_id = prepare(env, active=ACTIVE, inactive=5)
    site_script(env, "send", str(edition_id))
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        run_worker_command(), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )

    def state():
        with psycopg.connect(direct_url) as db:
            edition = db.execute(
                "SELECT status FROM newsletter_edition WHERE id = %s", [edition_id]
            ).fetchone()[0]
            unsent = db.execute(
                "SELECT count(*) FROM blog_outgoingemail WHERE status <> 'sent'"
            ).fetchone()[0]
        return edition, unsent

    try:
        wait_for(
            lambda: sink.total >= CUT_AFTER,
            timeout=60,
            what="the edition to be in flight",
            poll=0.05,
        )
        site_script(env, "signups", str(SIGNUPS))
        assert state() == ("sending", SIGNUPS), "mail queued and an edition in flight"

        proxy.cut()
        sent_before_outage = sink.total
        time.sleep(OUTAGE_SECONDS)
        assert worker.poll() is None, "the worker died in the outage"
        assert sink.total - sent_before_outage <= 1, "nothing could be sent while it was down"
        proxy.restore()

        wait_for(
            lambda: state() == ("sent", 0),
            timeout=OUTAGE_SECONDS + 120,
            what="the edition and the queued mail after the outage",
            poll=0.05,
        )
        assert worker.poll() is None, "the worker is still running"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()

    counts = sink.counts
    expected = {active_address(n) for n in range(ACTIVE)} | {
        signup_address(n) for n in range(SIGNUPS)
    }
    assert set(counts) == expected
    assert {address: n for address, n in counts.items() if n != 1} == {}, "exactly once"
