"""Sending speed and memory of the edition worker: one edition to 10,000 subscribers.

A throwaway site (tests/newsletter/worker_site.py: production settings, WAL-mode SQLite
file) is seeded with 10,000 active subscribers; the real worker, `manage.py send_edition`,
then sends the edition over SMTP to a counting aiosmtpd server in this process. Reported:
messages per second as the server saw them (first to last message accepted), the worker's
wall time, and its peak resident memory (ru_maxrss of that one child, from os.wait4).
Written to var/bench/edition_send.txt. Target: at least 200 messages per second
and under 200 MB.

Run: `python -m tests.bench.edition_send` (or `make bench`, which runs every benchmark).
"""

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


if __name__ == "__main__":
    sys.exit(main())
