"""The shipped nginx configuration (deploy/nginx/site.conf), run locally as a plain child process.

`render_site(...)` rewrites only the lines the file marks EDIT (listen address, upstream, the
static and media folders, the cache folder) and fails loudly when one of them is not found, so
what runs here is what an operator installs. `Nginx(...)` wraps it, with any extra server
blocks, in a minimal main configuration under a temporary prefix and runs
`nginx -p PREFIX -c nginx.conf -g 'daemon off;'`: never the system service.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE_CONF = ROOT / "deploy" / "nginx" / "site.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (str(p) for p in (Path("/usr/sbin/nginx"), Path("/usr/local/sbin/nginx")) if p.exists()),
        None,
    )


def render_site(
    *, listen: int, upstream: int, static_root: Path, media_root: Path, cache_dir: Path
) -> str:
    text = SITE_CONF.read_text(encoding="utf-8")
    replacements = {
        "/var/cache/nginx/dispatch ": f"{cache_dir} ",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "listen 80;": f"listen 127.0.0.1:{listen};",
        "alias /srv/dispatch/var/static/;": f"alias {static_root}/;",
        "alias /srv/dispatch/var/media/;": f"alias {media_root}/;",
    }
    for old, new in replacements.items():
        if text.count(old) != 1:
            raise RuntimeError(f"{SITE_CONF} no longer has exactly one {old!r}: update the bench.")
        text = text.replace(old, new)
    return text


MAIN = """\
{user}worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include {mime};
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
{servers}
}}
"""


class Nginx:
    """nginx under `prefix` serving `servers` (server blocks and http-level text)."""

    def __init__(self, prefix: Path, servers: list[str], ports: list[int]):
        self.prefix = prefix
        self.ports = ports
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        # Workers of a root master drop to `nobody`, who could not read a private temp folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(
            MAIN.format(
                user=user,
                prefix=prefix,
                mime=MIME_TYPES,
                servers="\n".join(servers),
            ),
            encoding="utf-8",
        )
        self.process: subprocess.Popen | None = None

    def command(self, *extra: str) -> list[str]:
        return [nginx_binary(), "-p", str(self.prefix), "-c", str(self.conf), *extra]

    def start(self) -> "Nginx":
        check = subprocess.run(self.command("-t"), capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration:\n{check.stderr}")
        self.process = subprocess.Popen(
            self.command("-g", "daemon off;"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in self.ports:
            wait_for_port(port, process=self.process, what="nginx")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown of master and workers
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()

    def __enter__(self) -> "Nginx":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"{what} exited with status {process.returncode}:\n{error[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")
