"""The edition under load: 20,000 copies, a killed worker, a reloaded node, readers all along.

Timeline (t = 0 when the author presses "Send now"):

- t 0 → LOAD_SECONDS: wrk reads pages through nginx (the micro-cache answers most; one request
  in 40 carries a query string no cache holds, so the nodes render too), and WRITERS threads
  act as readers signing up and commenting through nginx, each from a network of its own.
- once worker-2 has sent KILL_AFTER_SHARE of the edition: SIGKILL to worker-2's process
  group; RESTART_AFTER seconds later it is started again, as systemd would.
- t LOAD_SECONDS / 2: SIGHUP to node A's gunicorn (graceful reload: new workers, the old
  ones finish their requests).
- after the load: the edition must finish; every writer's confirmation email is followed, as a
  reader would; then the ledgers are compared: the SMTP sink's (who got what, from which
  worker), the database's (deliveries, subscribers, comments) and nginx's (every status).
"""

import collections
import concurrent.futures
import itertools
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.prodcheck import checks
from tests.prodcheck.reader import Mailbox, Reader
from tests.prodcheck.report import Report
from tests.prodcheck.site import READER_DOMAIN
from tests.prodcheck.topology import Topology, wait_until

WRITERS = 4
# worker-2 is killed once it has sent this share of the edition (1,500 of 20,000) and node A
# is reloaded halfway through the load.
KILL_AFTER_SHARE = 0.075
RESTART_AFTER = 3.0
# How long the edition may take to finish once the load is over. At about 10 ms of worker
# CPU a message, 20,000 take some 230 s on two shared cores (172 s after the load in a run at
# load average 4-6); a busier machine can allow more.
EDITION_TIMEOUT = float(os.environ.get("PRODCHECK_EDITION_TIMEOUT", 240))
# Each wrk connection waits this long between requests: a steady crowd of readers rather
# than a benchmark that would take both cores from the workers.
READER_PAUSE_MS = int(os.environ.get("PRODCHECK_READER_PAUSE_MS", 10))
READER_CONNECTIONS = 8

WRK_SCRIPT = """\
local paths = {%(paths)s}
local counter = 0
local thread_id = 0
setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
request = function()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  if counter %% 40 == 0 then
    path = path .. "?from=" .. tid .. "-" .. counter
  end
  return wrk.format("GET", path, {["Accept-Encoding"] = "gzip"})
end
delay = function()
  return %(pause)d
end
"""


@dataclass
class Writers:
    """What the reader-writers did: accepted signups and comments, every status they got."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    signups: list[str] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    refused: list[str] = field(default_factory=list)

    def record(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1


class CountingReader(Reader):
    writers: Writers

    def request(self, method, path, **kwargs):
        answer = super().request(method, path, **kwargs)
        self.writers.record(answer.status)
        return answer


def writer_loop(number: int, stop: threading.Event, topology: Topology, posts, writers: Writers):
    action = 0
    while not stop.is_set():
        action += 1
        # A network of its own for each action: the per-network limits see separate readers.
        reader = CountingReader(topology.site_url, address=f"127.{20 + number}.{action % 250}.1")
        reader.writers = writers
        token = f"{number}-{action}-{secrets.token_hex(3)}"
        try:
            if action % 2:
                address = f"signup-{token}@writers.example.org"
                fields = checks.start_signup(reader, address)
                time.sleep(checks.TYPING_SECONDS)
                status = checks.send_signup(reader, fields)
                with writers.lock:
                    if status == 200:
                        writers.signups.append(address)
                    else:
                        writers.refused.append(f"signup {status}")
            else:
                address = f"comment-{token}@writers.example.org"
                text = f"Writer {token} says the timetable change helps the night shift."
                post = posts[action % len(posts)]
                fields = checks.start_comment(
                    reader, post, name=f"Writer {number}", address=address, text=text
                )
                time.sleep(checks.TYPING_SECONDS)
                status = checks.send_comment(reader, fields)
                with writers.lock:
                    if status == 202:
                        writers.comments.append((address, text))
                    else:
                        writers.refused.append(f"comment {status}")
        except Exception as error:  # counted and reported, the loop goes on
            with writers.lock:
                writers.refused.append(f"{type(error).__name__}: {error}")


class SinkLog:
    """received.log, read as it grows: (time, recipient, Message-ID, sending worker)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.rows: list[tuple[float, str, str, str]] = []

    def read(self) -> list[tuple[float, str, str, str]]:
        if self.path.exists():
            with self.path.open(encoding="utf-8") as file:
                file.seek(self.offset)
                chunk = file.read()
            complete = chunk[: chunk.rfind("\n") + 1]
            self.offset += len(complete.encode())
            for line in complete.splitlines():
                at, recipient, message_id, sender = line.split("\t")
                self.rows.append((float(at), recipient, message_id, sender))
        return self.rows

    def edition(self) -> list[tuple[float, str, str, str]]:
        return [row for row in self.read() if row[1].endswith("@" + READER_DOMAIN)]

    def sent_by(self, worker: str) -> int:
        return sum(1 for row in self.edition() if row[3] == worker)


def gunicorn_workers(master: int) -> set[int]:
    children = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                children.add(int(entry))
    return children


def start_wrk(topology: Topology, posts: list[str], seconds: float) -> subprocess.Popen:
    paths = ["/", "/newsletter/", "/archive/", *posts]
    script = topology.folder / "readers.lua"
    script.write_text(
        WRK_SCRIPT % {"paths": ", ".join(json.dumps(p) for p in paths), "pause": READER_PAUSE_MS}
    )
    output = (topology.folder / "wrk.log").open("wb")
    process = subprocess.Popen(
        [
            "wrk",
            "-t2",
            f"-c{READER_CONNECTIONS}",
            f"-d{int(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            topology.site_url + "/",
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output.close()
    return process


def nginx_statuses(path: Path) -> collections.Counter:
    counts = collections.Counter()
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            counts[int(line.split(" ", 1)[0])] += 1
    return counts


def gunicorn_5xx(path: Path) -> int:
    if not path.exists():
        return 0
    return len(re.findall(r'" 5\d\d ', path.read_text(errors="replace")))


def edition_under_load(
    topology: Topology,
    report: Report,
    *,
    edition: int,
    subscribers: int,
    posts: list[str],
    load_seconds: float,
    earlier_signups: list[str],
) -> None:
    sink = SinkLog(topology.mail_folder / "received.log")
    writers = Writers()
    stop = threading.Event()
    wrk = None
    threads = []
    events = {}
    nginx_before = nginx_statuses(topology.access_log)
    try:
        sent = topology.site("send", str(edition))
        started = time.monotonic()
        wrk = start_wrk(topology, posts, load_seconds)
        threads = [
            threading.Thread(
                target=writer_loop, args=(n, stop, topology, posts, writers), daemon=True
            )
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        killed = reloaded = False
        kill_after = max(1, int(subscribers * KILL_AFTER_SHARE))
        while time.monotonic() - started < load_seconds:
            elapsed = time.monotonic() - started
            due = sink.sent_by("worker-2") >= kill_after or elapsed > load_seconds * 2 / 3
            if not killed and due:
                events["killed_after"] = sink.sent_by("worker-2")
                events["killed_at"] = elapsed
                topology.kill_worker("worker-2")
                killed = True
                time.sleep(RESTART_AFTER)
                topology.restart_worker("worker-2", as_name="worker-2 restarted")
            if not reloaded and elapsed >= load_seconds / 2:
                master = topology.children["node-a"].process.pid
                events["workers_before"] = gunicorn_workers(master)
                topology.reload_node("a")
                events["reloaded_at"] = elapsed
                reloaded = True
            time.sleep(0.2)
        if reloaded:
            # The old workers finish what they were answering, then exit.
            master = topology.children["node-a"].process.pid
            old = events["workers_before"]
            wait_until(lambda: not old & gunicorn_workers(master), timeout=30)
            events["workers_after"] = gunicorn_workers(master)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        if wrk is not None:
            try:
                wrk.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(wrk.pid, signal.SIGKILL)
                wrk.wait()
    load_ended = time.monotonic()

    # The edition finishes; everyone who wrote follows the link in their email.
    finished = None
    while time.monotonic() - load_ended < EDITION_TIMEOUT:
        if len({row[1] for row in sink.edition()}) >= subscribers:
            finished = time.monotonic() - started
            break
        time.sleep(0.5)
    confirm_problems = confirm_everything(topology, writers, earlier_signups)
    time.sleep(1)  # any straggler copy still on its way to the sink
    ledger_file = topology.folder / "writers.json"
    ledger_file.write_text(
        json.dumps(
            {
                "signups": writers.signups + earlier_signups,
                "comments": [text for _, text in writers.comments],
            }
        )
    )
    ledger = topology.site("ledger", str(edition), str(ledger_file))

    # What the readers got.
    rows = sink.edition()
    copies = collections.Counter(row[1] for row in rows)
    distinct_messages = collections.Counter(row[1] for row in {(r[1], r[2]) for r in rows})
    duplicates = sum(n - 1 for n in copies.values())
    missing = subscribers - len(copies)
    by_worker = collections.Counter(row[3] for row in rows)
    times = sorted(row[0] for row in rows)
    sending = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = len(rows) / sending if sending else 0.0
    report.check(
        sent["recipients"] == subscribers and missing == 0 and finished is not None,
        f"the edition reached all {subscribers:,} subscribers",
        f"{len(copies):,} readers got it, {missing} missing, in {fmt_s(finished)} after "
        f"'Send now'; {rate:.0f} messages/s (first to last accepted, {sending:.1f} s)",
    )
    kills = 1 if "killed_at" in events else 0
    report.check(
        duplicates <= kills * ledger["max_duplicates_per_crash"],
        "…each exactly once, a SIGKILL included",
        f"{duplicates} extra copies ({sum(n - 1 for n in distinct_messages.values())} "
        f"with a new Message-ID); the engine's bound is {ledger['max_duplicates_per_crash']} per "
        f"SIGKILL (the message in flight), {kills} SIGKILL here",
    )
    report.check(
        ledger["deliveries"] == {"sent": subscribers},
        "…and the delivery ledger agrees",
        f"deliveries by status: {checks.dump(ledger['deliveries'])}",
    )
    shares = ", ".join(f"{name}: {count:,}" for name, count in sorted(by_worker.items()))
    report.check(
        by_worker["worker-1"] > 0
        and events.get("killed_after", 0) > 0
        and by_worker["worker-2 restarted"] > 0,
        "both workers sent, worker-2 SIGKILLed mid-send and restarted",
        f"{shares}; killed at t={events.get('killed_at', 0):.1f} s after "
        f"{events.get('killed_after', 0):,} messages, restarted {RESTART_AFTER:.0f} s later",
    )
    before, after = events.get("workers_before", set()), events.get("workers_after", set())
    report.check(
        bool(before) and bool(after) and not (before & after),
        "node A reloaded gracefully (SIGHUP) under load",
        f"at t={events.get('reloaded_at', 0):.1f} s, gunicorn workers "
        f"{sorted(before)} → {sorted(after)}",
    )

    # What the readers and writers saw.
    served = nginx_statuses(topology.access_log) - nginx_before
    total = sum(served.values())
    errors = sum(n for status, n in served.items() if status >= 500)
    node_errors = sum(gunicorn_5xx(topology.folder / f"node-{n}.access.log") for n in "ab")
    wrk_summary = (topology.folder / "wrk.log").read_text(errors="replace")
    wrk_requests = re.search(r"(\d+) requests in", wrk_summary)
    report.check(
        total > 0 and errors == 0 and node_errors == 0 and wrk.returncode == 0,
        f"{load_seconds:.0f} s of readers through nginx: no 5xx",
        f"{total:,} requests served ({total / load_seconds:.0f}/s; wrk "
        f"{wrk_requests.group(1) if wrk_requests else '?'}), statuses "
        f"{checks.dump(dict(sorted(served.items())))}, 5xx at nginx {errors}, at the nodes "
        f"{node_errors}",
    )
    writer_5xx = sum(n for status, n in writers.statuses.items() if status >= 500)
    report.check(
        writer_5xx == 0 and not writers.refused,
        "the writers' loop: every signup and comment accepted",
        f"{len(writers.signups)} signups, {len(writers.comments)} comments; requests by status "
        f"{checks.dump(dict(sorted(writers.statuses.items())))}; refused: "
        f"{writers.refused[:3] or 'none'}",
    )
    report.check(
        not ledger["signups_missing"] and not ledger["comments_missing"] and not confirm_problems,
        "0 lost signups or comments",
        f"{len(writers.signups) + len(earlier_signups)} signups confirmed and active, "
        f"{len(writers.comments)} comments confirmed and public; missing: "
        f"{len(ledger['signups_missing'])} signups, {len(ledger['comments_missing'])} comments; "
        f"problems: {confirm_problems[:3] or 'none'}",
    )
    writer_addresses = set(writers.signups + earlier_signups) | {a for a, _ in writers.comments}
    received = collections.Counter(r[1] for r in sink.read() if r[1] in writer_addresses)
    extra = sum(n - 1 for n in received.values() if n > 1)
    report.check(
        extra == 0 and len(received) == len(writer_addresses),
        "every writer got one confirmation email",
        f"{len(received)} of {len(writer_addresses)} addresses, {extra} extra copies",
    )
    report.figure("requests served (nginx)", f"{total:,} in {load_seconds:.0f} s")
    report.figure("5xx (nginx / nodes / writers)", f"{errors} / {node_errors} / {writer_5xx}")
    report.figure("edition messages/s", f"{rate:.0f} ({len(rows):,} messages, 2 workers)")
    report.figure("edition per worker", shares)
    report.figure("duplicates / missing", f"{duplicates} / {missing}")
    report.figure(
        "lost signups / comments",
        f"{len(ledger['signups_missing'])} / {len(ledger['comments_missing'])}",
    )


def confirm_everything(topology: Topology, writers: Writers, earlier: list[str]) -> list[str]:
    """Each writer follows the link in their email and presses the button, four at a time."""
    mailbox = Mailbox(topology.mail_folder)
    problems = []
    networks = itertools.cycle(range(110, 250))

    def confirm(kind: str, address: str) -> None:
        reader = Reader(topology.site_url, address=f"127.0.{next(networks)}.1")
        try:
            if kind == "signup":
                checks.confirm_signup(reader, mailbox, address, timeout=60)
            else:
                checks.confirm_comment(reader, mailbox, address, timeout=60)
        except Exception as error:  # reported as a lost write
            problems.append(f"{address}: {type(error).__name__}: {error}")

    jobs = [("signup", a) for a in writers.signups + earlier]
    jobs += [("comment", a) for a, _ in writers.comments]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda job: confirm(*job), jobs))
    return problems


def fmt_s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"
