"""`make prod-check`: the production topology on this machine, proven with assertions.

Starts nginx → two gunicorn nodes → PostgreSQL + Redis, two task workers and an SMTP sink
(tests/prodcheck/topology.py), then checks, each with a PASS/FAIL line and its figures:

1. a comment posted and confirmed through node A shows through node B and through nginx;
2. publishing on node A refreshes node B's and nginx's cached pages;
3. a reader rate-limited on node A is limited on node B;
4. an edition to 20,000 subscribers, sent by both workers while one is SIGKILLed and
   restarted and node A is reloaded (HUP), under 60 s of reader load through nginx (wrk) and
   a loop of readers signing up and commenting: every subscriber gets it once, no answer is a
   5xx, no signup or comment is lost (tests/prodcheck/load.py).

Settings (environment): PRODCHECK_DATABASE_URL (dropped and created again; default
postgres://postgres@127.0.0.1:5432/prodcheck), PRODCHECK_REDIS_URL (one database, emptied
with FLUSHDB; default redis://127.0.0.1:6379/5), PRODCHECK_PORT (first of four ports, 8150),
PRODCHECK_SUBSCRIBERS (20000), PRODCHECK_LOAD_SECONDS (60), PRODCHECK_EDITION_TIMEOUT (240 s
for the edition to finish after the load), TASKS_BACKEND (the site's own switch; `make
prod-check` sets rq). Logs stay in var/prodcheck/ for a failed run to be read.
"""

import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

from tests.prodcheck import checks, load
from tests.prodcheck.report import Report
from tests.prodcheck.topology import ROOT, Ports, Topology, require_tools


def _stop_on_signal(number, frame):
    raise SystemExit(128 + number)  # through every `finally`: the children are stopped


def main() -> int:
    missing = require_tools()
    if missing:
        names = " ".join(missing)
        sys.stderr.write(f"prod-check needs {names}: apt-get install {names}\n")
        return 2
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    folder = ROOT / "var" / "prodcheck"
    shutil.rmtree(folder, ignore_errors=True)
    topology = Topology(
        folder=folder,
        ports=Ports.from_base(int(os.environ.get("PRODCHECK_PORT", 8150))),
        database_url=os.environ.get(
            "PRODCHECK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prodcheck"
        ),
        redis_url=os.environ.get("PRODCHECK_REDIS_URL", "redis://127.0.0.1:6379/5"),
        tasks_backend=os.environ.get("TASKS_BACKEND", ""),
    )
    subscribers = int(os.environ.get("PRODCHECK_SUBSCRIBERS", 20_000))
    load_seconds = float(os.environ.get("PRODCHECK_LOAD_SECONDS", 60))
    report = Report()
    started = time.monotonic()
    say(
        f"prod-check: tasks on {topology.tasks_backend or 'the database backend (default)'}, "
        f"files in {folder.relative_to(ROOT)}/"
    )
    try:
        say("Preparing: new database, migrate, collectstatic, author…")
        topology.prepare()
        seeding = time.monotonic()
        seeded = topology.site("seed", str(subscribers))
        report.figure(
            "seeding",
            f"{seeded['subscribers']} subscribers in "
            f"{time.monotonic() - seeding:.1f} s (bulk_create)",
        )
        say("Starting the SMTP sink, two nodes, nginx, two workers…")
        topology.start_sink()
        topology.start_nodes()
        topology.start_nginx()
        topology.start_worker("worker-1")
        topology.start_worker("worker-2")
        report.figure("setup", f"{time.monotonic() - started:.1f} s")

        checks.comment_shows_everywhere(topology, report, seeded["posts"][0])
        checks.publishing_refreshes_everywhere(topology, report, seeded["draft"])
        limited = checks.rate_limit_is_shared(topology, report)
        load.edition_under_load(
            topology,
            report,
            edition=seeded["edition"],
            subscribers=subscribers,
            posts=seeded["posts"],
            load_seconds=load_seconds,
            earlier_signups=limited,
        )
    except Exception as error:  # a crash is one more FAIL line, then cleanup
        ours = [f for f in traceback.extract_tb(error.__traceback__) if "prodcheck" in f.filename]
        where = ours[-1]
        report.check(
            False,
            "the prod-check ran to the end",
            f"{type(error).__name__}: {error} ({Path(where.filename).name}:{where.lineno})",
        )
        (folder / "traceback.txt").write_text(traceback.format_exc(), encoding="utf-8")
    finally:
        topology.stop()  # first: nothing before it may fail (a closed stdout, say)
        say("Stopped every process.")
    report.figure("duration", f"{time.monotonic() - started:.1f} s")
    load_average = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    report.figure("load average (1, 5, 15 min)", load_average)
    sys.stdout.write(report.summary())
    (folder / "report.txt").write_text(
        "\n".join(f"{'PASS' if ok else 'FAIL'}  {what}: {fig}" for ok, what, fig in report.lines)
        + report.summary(),
        encoding="utf-8",
    )
    return 0 if report.passed else 1


def say(text: str) -> None:
    sys.stdout.write(f"==> {text}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
