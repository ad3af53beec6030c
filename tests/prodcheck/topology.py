"""The production topology on one machine, as child processes the prod-check owns.

nginx (Debian's binary, the shipped deploy/nginx/site.conf with its EDIT lines set to local
ports and folders and a second upstream server) → two gunicorn nodes, each with a folder of
its own → PostgreSQL + Redis, two task workers, and an SMTP sink.

Every child runs in a process group of its own; `Topology.stop()` (run from a `finally`)
sends SIGTERM to each group, then SIGKILL to whatever is left after a few seconds, so nothing
outlives the check even when an assertion or Ctrl-C ends it early. Only the ports from
PRODCHECK_PORT (8150 by default, four in a row) and the one Redis database of
PRODCHECK_REDIS_URL are used; the PostgreSQL database of PRODCHECK_DATABASE_URL is dropped
and created again at each run.
"""

import concurrent.futures
import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

from tests.bench.nginx import Nginx, nginx_binary, render_site, wait_for_port
from tests.bench.sites import last_json, run_python

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
AUTHOR = {"username": "author", "email": "author@prodcheck.example.org"}
# Dropped from the environment the site's processes inherit: theirs is set below.
INHERITED_SITE_SETTINGS = {
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "EMAIL_URL",
    "BULK_EMAIL_URL",
    "VAR_DIR",
    "MEDIA_ROOT",
    "SITE_URL",
    "PORT",
    "DEBUG",
    "TASKS_BACKEND",
}


@dataclass
class Ports:
    nginx: int
    node_a: int
    node_b: int
    smtp: int

    @classmethod
    def from_base(cls, base: int) -> "Ports":
        return cls(nginx=base, node_a=base + 1, node_b=base + 2, smtp=base + 3)


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path

    def signal(self, number: int) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, number)

    def stop(self, timeout: float = 10) -> None:
        try:
            self.signal(signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            # The group too: a gunicorn or RQ worker child left behind by its parent.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()


@dataclass
class Topology:
    folder: Path
    ports: Ports
    database_url: str
    redis_url: str
    tasks_backend: str
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    children: dict[str, Child] = field(default_factory=dict)
    nginx: Nginx | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.site_url = f"http://127.0.0.1:{self.ports.nginx}"
        self.media_root = self.folder / "shared-media"
        self.env = {k: v for k, v in os.environ.items() if k not in INHERITED_SITE_SETTINGS}
        self.env |= {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "PYTHONPATH": str(ROOT),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SITE_URL": self.site_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.ports.smtp}/?timeout=10",
            # The nodes share one folder for uploads (an NFS mount, say); nginx serves it.
            "MEDIA_ROOT": str(self.media_root),
            "SERVE_MEDIA": "0",
            # Behind nginx, as deploy/nginx/site.conf asks.
            "TRUST_X_FORWARDED_FOR": "1",
            "TRUST_X_FORWARDED_PROTO": "1",
            "DEFAULT_FROM_EMAIL": "The Dispatch <letters@prodcheck.example.org>",
            "NEWSLETTER_POSTAL_ADDRESS": "1 Harbour Street, Portsmouth",
            "DJANGO_SUPERUSER_USERNAME": AUTHOR["username"],
            "DJANGO_SUPERUSER_EMAIL": AUTHOR["email"],
            "DJANGO_SUPERUSER_PASSWORD": self.password,
            "LOG_LEVEL": "WARNING",
            # A killed worker's batch goes back to the queue after this lease (300 s by
            # default); the check waits for that, so it is short here (longer than a send).
            "NEWSLETTER_LEASE_SECONDS": "20",
            # The same for a confirmation email the killed worker was sending (600 s).
            "EMAIL_SENDING_TIMEOUT_SECONDS": "30",
            # Workers look for due periodic jobs (keep_editions_moving puts the second worker
            # on the edition) every second instead of every 30.
            "PERIODIC_TICK_SECONDS": "1",
            # A task sends for 10 s, then queued transactional mail gets its turn.
            "NEWSLETTER_TASK_SECONDS": "10",
        }
        if self.tasks_backend:
            self.env["TASKS_BACKEND"] = self.tasks_backend

    # Preparing ---------------------------------------------------------------------------

    def node_env(self, node: str) -> dict[str, str]:
        """Each node has a folder of its own (static files, anything local), like a machine."""
        port = self.ports.node_a if node == "a" else self.ports.node_b
        return self.env | {
            "VAR_DIR": str(self.folder / f"node-{node}"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": os.environ.get("PRODCHECK_WEB_CONCURRENCY", "2"),
            "GUNICORN_ACCESS_LOG": str(self.folder / f"node-{node}.access.log"),
        }

    def worker_env(self, name: str) -> dict[str, str]:
        return self.env | {"VAR_DIR": str(self.folder / name)}

    def manage(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
        return run_python(
            [str(ROOT / "manage.py"), *args],
            env=env or self.node_env("a"),
            timeout=timeout,
            what=f"manage.py {' '.join(args)}",
        )

    def site(self, *args: str, timeout: float = 300) -> dict:
        """`tests.prodcheck.site` inside the site; its JSON answer."""
        output = run_python(
            ["-m", "tests.prodcheck.site", *args],
            env=self.node_env("a"),
            timeout=timeout,
            what=f"tests.prodcheck.site {args[0]}",
        )
        return last_json(output)

    def reset_services(self) -> None:
        """A new, empty database and an empty Redis database (only ours: FLUSHDB, never ALL)."""
        parts = urlsplit(self.database_url)
        name = parts.path.lstrip("/")
        admin_url = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(self.redis_url).flushdb()

    def prepare(self) -> None:
        """A first deploy: migrate, static files (shipped to both nodes), the author, demo posts."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.media_root.mkdir(exist_ok=True)
        self.reset_services()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:  # the database, and files
            steps = [
                pool.submit(self.manage, "migrate", "--noinput"),
                pool.submit(self.manage, "collectstatic", "--noinput", "--verbosity", "0"),
            ]
            for step in steps:
                step.result()
        shutil.copytree(self.folder / "node-a" / "static", self.folder / "node-b" / "static")
        self.manage("ensure_author")
        self.manage("load_demo_content")

    # Running -----------------------------------------------------------------------------

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> Child:
        log = self.folder / f"{name}.log"
        handle = log.open("ab")
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own: killpg reaches its children
            preexec_fn=_die_with_parent,
        )
        handle.close()
        child = Child(name=name, process=process, log=log)
        self.children[name] = child
        return child

    def start_sink(self) -> None:
        child = self.spawn(
            "smtp-sink",
            [PYTHON, "-m", "tests.prodcheck.sink", str(self.ports.smtp), str(self.mail_folder)],
            self.env,
        )
        self._wait_for(self.ports.smtp, child)

    @property
    def mail_folder(self) -> Path:
        return self.folder / "smtp"

    def start_nodes(self) -> None:
        """Both nodes at once (each takes a few seconds to import the site), from this thread:
        PR_SET_PDEATHSIG fires when the *thread* that started a child ends."""
        started = {
            port: self.spawn(
                f"node-{node}",
                [PYTHON, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
                self.node_env(node),
            )
            for node, port in (("a", self.ports.node_a), ("b", self.ports.node_b))
        }
        for port, child in started.items():
            self._wait_for(port, child)

    def start_worker(self, name: str) -> Child:
        child = self.spawn(
            name, [PYTHON, str(ROOT / "manage.py"), "run_worker"], self.worker_env(name)
        )
        self._record_workers()
        return child

    def _record_workers(self) -> None:
        """Tell the sink which process trees are which worker (tests/prodcheck/sink.py)."""
        workers = {
            str(child.process.pid): name
            for name, child in self.children.items()
            if name.startswith("worker") and child.process.poll() is None
        }
        self.mail_folder.mkdir(parents=True, exist_ok=True)
        path = self.mail_folder / "workers.json"
        path.with_suffix(".tmp").write_text(json.dumps(workers))
        path.with_suffix(".tmp").replace(path)

    def kill_worker(self, name: str) -> None:
        """SIGKILL, the worker's whole process group, as the OOM killer or a power cut would."""
        child = self.children[name]
        child.signal(signal.SIGKILL)
        child.process.wait()

    def restart_worker(self, name: str, *, as_name: str) -> None:
        """What systemd's Restart=always does after a crash (named apart for the figures)."""
        self.children.pop(name)
        self.start_worker(as_name)

    def reload_node(self, node: str) -> None:
        """gunicorn's graceful reload (`systemctl reload`): new workers, old ones finish."""
        os.kill(self.children[f"node-{node}"].process.pid, signal.SIGHUP)

    def start_nginx(self) -> None:
        site = render_site(
            listen=self.ports.nginx,
            upstream=self.ports.node_a,
            static_root=self.folder / "node-a" / "static",
            media_root=self.media_root,
            cache_dir=self.folder / "nginx-cache",
        )
        # The second node: one more line in the upstream block the file marks EDIT.
        one = f"server 127.0.0.1:{self.ports.node_a};"
        site = site.replace(one, f"{one}\n    server 127.0.0.1:{self.ports.node_b};")
        self.nginx = Nginx(self.folder / "nginx", [site], [self.ports.nginx])
        # Our own access log (the status and which node answered) to count what was served.
        conf = self.nginx.conf.read_text()
        self.nginx.conf.write_text(
            conf.replace(
                "access_log off;",
                "log_format prodcheck '$status $upstream_addr $upstream_cache_status "
                "$request_method $request_uri';\n"
                f"    access_log {self.access_log} prodcheck;",
                1,  # the main file's, not the static and media locations' own
            )
        )
        check = subprocess.run(
            self.nginx.command("-t"), capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration:\n{check.stderr}")
        # Started like every other child (its own process group, dies with the check).
        child = self.spawn("nginx", self.nginx.command("-g", "daemon off;"), self.env)
        self._wait_for(self.ports.nginx, child)

    @property
    def access_log(self) -> Path:
        return self.folder / "nginx-access.log"

    def _wait_for(self, port: int, child: Child) -> None:
        try:
            wait_for_port(port, process=child.process, what=child.name)
        except RuntimeError as error:
            log = child.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{error}\n{log}") from None

    def stop(self) -> None:
        for child in reversed(list(self.children.values())):
            child.stop()


_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before any fork
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Should the prod-check itself be killed (SIGKILL from a CI timeout: no `finally` runs),
    each child gets SIGTERM instead of running on (Linux's PR_SET_PDEATHSIG). It fires when
    the thread that started the child ends: children are started from the main thread only."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def require_tools() -> list[str]:
    """What is missing on this machine to run the check."""
    missing = []
    if nginx_binary() is None:
        missing.append("nginx")
    if shutil.which("wrk") is None:
        missing.append("wrk")
    return missing


def wait_until(condition, *, timeout: float, poll: float = 0.2) -> float | None:
    """Seconds until `condition()` held, or None if it did not within `timeout`."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        time.sleep(poll)
