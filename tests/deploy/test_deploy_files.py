"""The files in deploy/ agree with the code and with each other, so they cannot drift.

- deploy/env.example names every environment variable config/ reads, and nothing else; it loads
  in a shell and, with a real key, passes `check --deploy`.
- The systemd units pass `systemd-analyze verify` (Debian's systemd), run what the README and
  the runbook say, and may write where env.example puts VAR_DIR.
- nginx's upload limit matches the site's, and its upstream is gunicorn's address.
"""

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "env.example"
UNITS = sorted((DEPLOY / "systemd").iterdir())
ENV_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")
ENVIRON = {"os.environ", "environ"}


def variables_config_reads() -> dict[str, set[str]]:
    """Every environment variable named in config/: env.get_*("X"), os.environ.get("X"),
    os.environ["X"], "X" in os.environ (config/env.py's helpers take `environ` as a parameter)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "config").rglob("*.py")):
        # gunicorn_logging.py's `environ` is a request's WSGI environ, not the process's.
        environs = ENVIRON if path.name == "env.py" else {"os.environ"}
        for node in ast.walk(ast.parse(path.read_text())):
            name = None
            if isinstance(node, ast.Call) and node.args and _is_str(node.args[0]):
                func = node.func
                if isinstance(func, ast.Attribute) and (
                    (ast.unparse(func.value) == "env" and func.attr.startswith("get_"))
                    or (ast.unparse(func.value) in environs and func.attr in {"get", "setdefault"})
                ):
                    name = node.args[0].value
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in environs:
                name = node.slice.value if _is_str(node.slice) else None
            elif isinstance(node, ast.Compare) and _is_str(node.left):
                if any(ast.unparse(other) in environs for other in node.comparators):
                    name = node.left.value
            if name:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def _is_str(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def env_example() -> dict[str, tuple[bool, str]]:
    """NAME -> (set, value) for every `NAME=` or `#NAME=` line of env.example."""
    names: dict[str, tuple[bool, str]] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if match := ENV_LINE.match(line):
            name, value = match.groups()
            assert name not in names, f"{name} appears twice in env.example"
            names[name] = (not line.startswith("#"), value.strip('"'))
    return names


def test_the_scan_finds_variables_read_every_way_config_reads_them():
    read = variables_config_reads()
    # env.get_int, os.environ.get, os.environ["…"] behind a check, setdefault, env.site_url's.
    assert {"PAGE_CACHE_SECONDS", "REDIS_URL", "BULK_EMAIL_URL", "DEBUG", "SITE_URL"} <= set(read)
    assert {"GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_LOG_STATIC"} <= set(read)
    assert "PATH_INFO" not in read


def test_env_example_names_every_variable_config_reads_and_no_other():
    read = variables_config_reads()
    listed = env_example()
    missing = sorted(set(read) - set(listed))
    assert not missing, f"config/ reads these, deploy/env.example does not list them: {missing}"
    stale = sorted(set(listed) - set(read))
    assert not stale, f"deploy/env.example lists these, config/ no longer reads them: {stale}"


def test_env_example_loads_in_a_shell_and_passes_the_deploy_check(tmp_path):
    listed = env_example()
    assert listed["DEBUG"] == (True, "0")
    assert listed["SECRET_KEY"] == (True, "")  # nothing anyone could run with
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    script = (
        f"set -a; . {ENV_EXAMPLE}; set +a; "
        f"export SECRET_KEY={'Kx8v-' * 12} VAR_DIR={tmp_path}; "
        f"exec {sys.executable} manage.py check --deploy --fail-level WARNING"
    )
    done = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def test_the_units_run_gunicorn_with_its_config_the_worker_and_the_backup():
    web, worker, backup = (
        unit(f"dispatch-{name}.service")["Service"] for name in ("web", "worker", "backup")
    )
    assert web["ExecStart"].endswith("/gunicorn -c config/gunicorn.conf.py config.wsgi")
    assert web["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert worker["ExecStart"].endswith("/python manage.py run_worker")
    assert backup["ExecStart"].endswith("/python manage.py backup")
    var_dir = env_example()["VAR_DIR"][1]
    for service in (web, worker, backup):
        assert service["EnvironmentFile"] == "/etc/dispatch/env"
        assert service["User"] == "dispatch"
        assert service["ReadWritePaths"] == var_dir
        assert service["Restart" if service is not backup else "Type"] in {"always", "oneshot"}


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_the_units_pass_systemd_analyze_verify(tmp_path):
    # The units name /srv/dispatch/app; verify checks that ExecStart's programs exist, so they
    # point at this checkout here.
    for path in UNITS:
        text = path.read_text().replace("/srv/dispatch/app", str(ROOT))
        (tmp_path / path.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{path.name}" for path in UNITS)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_nginx_takes_an_upload_as_large_as_the_site_accepts_and_little_more():
    conf = (DEPLOY / "nginx" / "site.conf").read_text()
    size, unit_letter = re.search(r"client_max_body_size (\d+)([km]?);", conf).groups()
    limit = int(size) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit_letter]
    assert settings.IMAGE_MAX_UPLOAD_BYTES < limit <= settings.IMAGE_MAX_UPLOAD_BYTES * 1.25


def test_nginx_proxies_to_gunicorns_address_and_serves_var_dir():
    conf = (DEPLOY / "nginx" / "site.conf").read_text()
    listed = env_example()
    upstream = re.search(r"upstream dispatch_app \{\s*server ([^;]+);", conf).group(1)
    assert upstream == listed["GUNICORN_BIND"][1]
    var_dir = listed["VAR_DIR"][1]
    assert f"alias {var_dir}/static/;" in conf
    assert f"alias {var_dir}/media/;" in conf
    assert listed["SERVE_MEDIA"] == (True, "0")
    assert listed["TRUST_X_FORWARDED_PROTO"] == (True, "1")
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
