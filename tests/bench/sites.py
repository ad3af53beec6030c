"""Throwaway sites for the serving benchmark, and gunicorn as shipped in front of them.

A site is a temporary VAR_DIR with production settings (`config.settings.base`, DEBUG off)
read from the environment exactly as a deployment reads them: a WAL-mode SQLite file and the
database cache by default, or PostgreSQL and Redis when `database_url`/`redis_url` are given.
PostgreSQL gets a database of its own, created here and dropped at the end; Redis a database
number of its own (BENCH_REDIS_DB, 14 unless set), flushed before and after, and only that one.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from tests.bench.nginx import wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", 14))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
DROPPED = {
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "EMAIL_URL",
    "BULK_EMAIL_URL",
    "WEB_CONCURRENCY",
    "PAGE_CACHE_SECONDS",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_THREADS",
    "GUNICORN_ACCESS_LOG",
    "GUNICORN_BIND",
    "PORT",
}


def run_python(args: list[str], *, env: dict[str, str], timeout: float, what: str) -> str:
    """This Python with `args`, from the project root, in `env`: its output, or an error
    naming `what` with the end of what it printed on stderr."""
    done = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def last_json(output: str):
    """The last line a site script printed, read as JSON (its answer)."""
    return json.loads(output.strip().splitlines()[-1])


class Site:
    def __init__(self, name: str, var_dir: Path, *, database_url: str = "", redis_url: str = ""):
        self.name = name
        self.var_dir = var_dir
        var_dir.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if key not in DROPPED}
        env |= {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "VAR_DIR": str(var_dir),
            "SECRET_KEY": "serving-bench-only-" + "p4Wv" * 12,
            "DEBUG": "0",
            "SITE_URL": "http://127.0.0.1:8000",
            "EMAIL_URL": "dummy:",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        if database_url:
            env["DATABASE_URL"] = database_url
        if redis_url:
            env["REDIS_URL"] = redis_url
        self.env = env

    def manage(self, *args: str, timeout: int = 600, **extra_env: str) -> str:
        return run_python(
            [str(ROOT / "manage.py"), *args],
            env=self.env | extra_env,
            timeout=timeout,
            what=f"{self.name}: manage.py {args[0]}",
        )

    def shell(self, code: str) -> dict:
        """Run `code` with `manage.py shell -c`; its last line of output, read as JSON."""
        return last_json(self.manage("shell", "-c", code))

    def inprocess(self, *args: str, **extra_env: str) -> dict:
        output = run_python(
            ["-m", "tests.bench.inprocess", *args],
            env=self.env | extra_env,
            timeout=900,
            what=f"{self.name}: inprocess {args[0]}",
        )
        return last_json(output)

    def prepare(self, *, static_from: "Site | None" = None) -> None:
        self.manage("migrate", "--noinput")
        self.manage("createcachetable")
        if static_from is None:
            self.manage("collectstatic", "--noinput", "--verbosity", "0")
        else:  # the same collected files: one collectstatic is enough
            (self.var_dir / "static").symlink_to(static_from.var_dir / "static")


class Gunicorn:
    """`gunicorn -c config/gunicorn.conf.py APP` on a local port, as `make run` starts it."""

    def __init__(self, name: str, env: dict[str, str], app: str, port: int, **extra_env: str):
        self.name = name
        self.port = port
        self.env = env | {"PORT": str(port)} | extra_env
        self.app = app
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> "Gunicorn":
        # The error log goes to a file: a pipe nobody reads would block the workers once full.
        self.log = Path(self.env["VAR_DIR"]) / f"gunicorn-{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", self.app],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,  # the access log, on as shipped
                stderr=log,
                start_new_session=True,
            )
        return self

    def wait_ready(self, path: str = "/") -> None:
        try:
            wait_for_port(self.port, process=self.process, what=f"gunicorn ({self.name})")
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{self.log_tail()}") from None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + path, timeout=30) as response:
                    response.read()
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn ({self.name}) did not answer {path}")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
            )
            sizes.append(kb / 1024)
        return sizes

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def postgres_and_redis() -> str:
    """'' when both are reachable, else why not."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True).close()
    except Exception as error:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(error).__name__})"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except Exception as error:
        return f"Redis not reachable at {REDIS_URL} ({type(error).__name__})"
    return ""


def create_database() -> str:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()
