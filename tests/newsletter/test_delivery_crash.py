"""SIGKILL the worker mid-send, twice, restart it: everyone gets one copy.

The worker is the real `manage.py send_edition` in its own process, on a site of its own
(tests/newsletter/worker_site.py explains why the test database cannot be shared), sending
to a real SMTP server in this process that counts copies per recipient.

The bound asserted: each SIGKILL can cause at most `MAX_DUPLICATES_PER_CRASH` (1) extra copy,
the message in flight — accepted by the server, but the worker died before its `sent` UPDATE
committed. After restarting, that row's lease runs out and it is sent again. Nothing else can
be repeated (every other accepted message was already marked sent in its own transaction)
and nothing can be skipped (a row only leaves pending/sending as sent, failed or skipped).
"""

import signal
import sqlite3
import subprocess

import pytest

from newsletter.delivery import MAX_DUPLICATES_PER_CRASH
from tests.newsletter.worker_site import (
    ROOT,
    active_address,
    inactive_address,
    prepare,
    site_env,
    wait_for,
    worker_command,
)

ACTIVE = 2000
INACTIVE = 50
KILL_AFTER = (400, 1200)  # messages counted by the server before each SIGKILL
LEASE_SECONDS = 7


@pytest.mark.slow
def test_a_worker_killed_mid_send_and_restarted_sends_every_copy_once(sink, tmp_path):
    env = site_env(
        tmp_path,
        smtp_port=sink.port,
        NEWSLETTER_LEASE_SECONDS=LEASE_SECONDS,
        NEWSLETTER_BATCH_SIZE=50,
        NEWSLETTER_SEND_RATE=500,
    )
    edition_id = prepare(env, active=ACTIVE, inactive=INACTIVE)

    kills = 0
    for threshold in KILL_AFTER:
        log = (tmp_path / f"worker-{kills}.log").open("w")
        worker = subprocess.Popen(
            worker_command(edition_id), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        wait_for(
            lambda t=threshold: sink.total >= t,
            timeout=120,
            what=f"{threshold} messages",
            poll=0.002,
        )
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
        kills += 1
        assert sink.total < ACTIVE, "the worker must be killed in the middle of the send"

    restarted = subprocess.run(
        worker_command(edition_id), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert restarted.returncode == 0, restarted.stderr
    assert "Done: " in restarted.stdout

    counts = sink.counts
    missing = [n for n in range(ACTIVE) if counts[active_address(n)] == 0]
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    assert missing == []
    assert duplicates <= MAX_DUPLICATES_PER_CRASH * kills, counts.most_common(5)
    assert not any(counts[inactive_address(n)] for n in range(INACTIVE))
    assert counts["pending@example.org"] == 0
    assert set(counts) == {active_address(n) for n in range(ACTIVE)}

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        statuses = dict(
            db.execute(
                "SELECT status, count(*) FROM newsletter_delivery WHERE edition_id = ? "
                "GROUP BY status",
                [edition_id],
            ).fetchall()
        )
        edition = db.execute(
            "SELECT status, sent_count, recipients_count FROM newsletter_edition WHERE id = ?",
            [edition_id],
        ).fetchone()
    assert statuses == {"sent": ACTIVE}
    assert edition == ("sent", ACTIVE, ACTIVE)
