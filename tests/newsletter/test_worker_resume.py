"""A task worker killed with SIGKILL mid-send: a new worker finishes the edition by itself.

Issue 10, item 5: after `kill -9` at 848 of 2,000 sent, a new worker sent nothing for four
minutes; only the cron command finished the edition. The killed worker's task stays
"running" in the task table, so nothing would run it again before TASKS_LEASE_SECONDS
(set to an hour here, so the test shows the worker does not rely on it). The worker's
periodic job `newsletter-editions` (newsletter/tasks.py: `keep_editions_moving`) sees an
edition in "sending" with no task queued, and enqueues one.

Real processes: `manage.py run_worker` on a site of its own (tests/newsletter/worker_site.py),
sending to an SMTP server in this process that counts copies per recipient.
"""

import signal
import sqlite3
import subprocess

import pytest

from newsletter.delivery import MAX_DUPLICATES_PER_CRASH
from tests.newsletter.worker_site import (
    ROOT,
    active_address,
    prepare,
    run_worker_command,
    site_env,
    site_script,
    wait_for,
)

ACTIVE = 600
KILL_AFTER = 200


def edition_state(path, edition_id):
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT status, sent_count FROM newsletter_edition WHERE id = ?", [edition_id]
        ).fetchone()


@pytest.mark.slow
def test_a_new_worker_resumes_the_edition_of_a_killed_one_by_itself(sink, tmp_path):
    """Item 5: kill -9 `run_worker` mid-send, start another: everyone gets one copy."""
    env = site_env(
        tmp_path,
        smtp_port=sink.port,
        NEWSLETTER_LEASE_SECONDS=8,
        NEWSLETTER_BATCH_SIZE=20,
        NEWSLETTER_SEND_RATE=150,
        PERIODIC_TICK_SECONDS=1,
        TASKS_LEASE_SECONDS=3600,
    )
    edition_id = prepare(env, active=ACTIVE, inactive=5)
    site_script(env, "send", str(edition_id))
    workers = []

    def start_worker(name):
        log = (tmp_path / f"{name}.log").open("w")
        worker = subprocess.Popen(
            run_worker_command(), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        workers.append(worker)
        return worker

    try:
        first = start_worker("first")
        wait_for(lambda: sink.total >= KILL_AFTER, timeout=60, what=f"{KILL_AFTER} messages")
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
        assert sink.total < ACTIVE, "the worker must be killed in the middle of the send"

        start_worker("second")
        wait_for(
            lambda: edition_state(tmp_path / "db.sqlite3", edition_id)[0] == "sent",
            timeout=60,
            what="the new worker to finish the edition",
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)

    counts = sink.counts
    missing = [n for n in range(ACTIVE) if counts[active_address(n)] == 0]
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    assert missing == []
    assert duplicates <= MAX_DUPLICATES_PER_CRASH, counts.most_common(3)
    assert set(counts) == {active_address(n) for n in range(ACTIVE)}
    assert edition_state(tmp_path / "db.sqlite3", edition_id) == ("sent", ACTIVE)
