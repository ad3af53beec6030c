"""The restore drill: back up a lived-in site, wipe it, restore it into a new database on a
"new machine" (another folder), and everything readers and subscribers hold still works.

Each step is a separate process with production settings (tests/core/drill_site.py), running
`manage.py backup` and `manage.py restore` as an operator would. SQLite always; PostgreSQL too
when `DATABASE_URL` names a PostgreSQL server (databases of the drill's own, dropped after).
A few minutes of work, so in the slow suite (`make test-slow`, CI).
"""

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.core.drill_site import ORIGIN

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
SECRET_KEY = "drill-site-only-" + "Vq3x" * 12
ENV_DROPPED = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "EMAIL_URL", "BULK_EMAIL_URL"}


def site_env(var_dir: Path, mail_dir: Path, database_url: str | None, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ENV_DROPPED}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "0",
        "SITE_URL": ORIGIN,
        "DEFAULT_FROM_EMAIL": "The Dispatch <letters@drill.example>",
        "NEWSLETTER_POSTAL_ADDRESS": "1 Harbour Street, Portsmouth",
        "EMAIL_URL": f"file://{mail_dir}",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env | extra


def run(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if check:
        assert done.returncode == 0, done.stderr[-4000:]
    return done


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(env, str(ROOT / "manage.py"), *args, check=check)


def drill(env: dict, step: str, *paths: Path) -> dict:
    run(env, "-m", "tests.core.drill_site", step, *map(str, paths))
    return json.loads(paths[-1].read_text())


class Databases:
    """Where the old and the new machine keep their rows: SQLite files, or PostgreSQL."""

    def __init__(self, engine: str):
        self.engine = engine
        self.created: list[str] = []

    def url(self, name: str) -> str | None:
        if self.engine == "sqlite":
            return None  # VAR_DIR/db.sqlite3, the embedded default
        parts = urlsplit(DATABASE_URL)
        database = f"{parts.path.lstrip('/')}_drill_{name}_{secrets.token_hex(3)}"
        self._admin(f'CREATE DATABASE "{database}"')
        self.created.append(database)
        return parts._replace(path=f"/{database}").geturl()

    def drop(self, url: str | None, var_dir: Path) -> None:
        if url:
            self._admin(f'DROP DATABASE "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
        shutil.rmtree(var_dir)

    def _admin(self, sql: str) -> None:
        import psycopg

        admin_url = urlsplit(DATABASE_URL)._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql)

    def cleanup(self) -> None:
        for database in self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


pytestmark = pytest.mark.slow

ENGINES = ["sqlite", *(["postgres"] if ON_POSTGRES else [])]


@pytest.fixture(scope="module", params=ENGINES)
def databases(request):
    found = Databases(request.param)
    yield found
    if found.engine == "postgres":
        found.cleanup()


@pytest.fixture(scope="module")
def old_site(databases, tmp_path_factory):
    """A site that has lived a little: seeded, its pages and links written down.

    Built once per engine for this module (it takes a while); only the drill wipes it.
    """
    tmp_path = tmp_path_factory.mktemp("old-site")
    var_dir, mail_dir = tmp_path / "old", tmp_path / "mail"
    mail_dir.mkdir()
    url = databases.url("old")
    env = site_env(var_dir, mail_dir, url)
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    links = drill(env, "seed", tmp_path / "links.json")
    before = drill(env, "snapshot", tmp_path / "before.json")
    return {"env": env, "url": url, "var_dir": var_dir, "mail_dir": mail_dir} | {
        "links": links,
        "links_path": tmp_path / "links.json",
        "before": before,
    }


@pytest.fixture(scope="module")
def archive(old_site, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "backups" / "site.tar.gz"
    done = manage(old_site["env"], "backup", "--output", str(path))
    assert "Wrote" in done.stdout
    return path


def test_a_site_restored_into_a_new_database_serves_the_same_pages_links_and_list(
    databases, old_site, archive, tmp_path
):
    before, links = old_site["before"], old_site["links"]
    # The new machine has the same code deployed (collectstatic's output included)…
    shutil.copytree(old_site["var_dir"] / "static", tmp_path / "new" / "static")
    # …and the old machine is gone.
    databases.drop(old_site["url"], old_site["var_dir"])

    new_env = site_env(tmp_path / "new", old_site["mail_dir"], databases.url("new"))
    restored = manage(new_env, "restore", str(archive))
    assert "Restored" in restored.stdout
    assert "will work here" in restored.stdout and restored.stderr == ""

    after = drill(new_env, "snapshot", tmp_path / "after.json")
    assert after["pages"].keys() == before["pages"].keys()
    for url, page in before["pages"].items():
        assert after["pages"][url] == page, url
    statuses = {url: page["status"] for url, page in after["pages"].items()}
    assert statuses[links["post"]] == 200
    assert statuses[links["draft"]] == statuses[links["scheduled"]] == 404
    assert after["rows"] == before["rows"]
    assert len(after["rows"]["comments.Comment"]) == 4
    assert len(after["rows"]["newsletter.Delivery"]) == 2
    assert after["rows"]["newsletter.LinkClick"]
    consent = {
        row["fields"]["email"]: row["fields"] for row in after["rows"]["newsletter.Subscriber"]
    }
    assert consent["ada@example.org"]["consent_text"]
    assert consent["ada@example.org"]["confirmed_ip"] == "203.0.113.10"
    assert after["media"] == before["media"]
    assert len(after["media"]) > 6  # the uploads and their renditions
    assert all(file["status"] == 200 for file in after["media"].values())
    assert all(file["sha256"] == file["stored_sha256"] for file in after["media"].values())

    followed = drill(new_env, "follow", old_site["links_path"], tmp_path / "followed.json")
    assert followed["old_post"] == [301, links["post"]]
    assert followed["confirm_page"] == 200
    assert followed["confirmed"] == 200
    assert followed["unsubscribed"] == 200
    assert followed["click"][0] == 302
    assert followed["statuses"] == {
        "ada@example.org": "unsubscribed",
        "bob@example.org": "active",
        "cy@example.org": "unsubscribed",
        "pending@example.org": "active",
    }


def test_the_archive_is_private_and_holds_no_secret_setting(old_site, archive):
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        everything = b"".join(
            tar.extractfile(member).read() for member in tar.getmembers() if member.isfile()
        )
    assert {"manifest.json", "data.jsonl"} <= set(names)
    assert any(name.startswith("media/uploads/") for name in names)
    assert SECRET_KEY.encode() not in everything
    assert str(old_site["mail_dir"]).encode() not in everything  # EMAIL_URL is not copied
    links = manifest["emailed_links"]
    assert links["site_url"] == ORIGIN
    assert set(links["keys"]) == {"SECRET_KEY", "SECRET_KEY_FALLBACKS"}
    purposes = {link["purpose"]: link for link in links["links"]}
    assert purposes["newsletter.confirm"]["max_age_setting"] == "NEWSLETTER_CONFIRM_MAX_AGE"
    assert purposes["newsletter.confirm"]["max_age"] == 48 * 3600
    assert {"newsletter.unsubscribe", "comments.confirm", "blog.preview"} <= purposes.keys()
    assert "sessions.session" not in manifest["rows"]


def test_restore_refuses_a_database_in_use_unless_forced(databases, old_site, archive, tmp_path):
    env = site_env(tmp_path / "new", old_site["mail_dir"], databases.url("in_use"))
    manage(env, "restore", str(archive))
    refused = manage(env, "restore", str(archive), check=False)
    assert refused.returncode == 1
    assert "already holds rows" in refused.stderr and "--force" in refused.stderr
    forced = manage(env, "restore", "--force", str(archive))
    assert "Deleted every row" in forced.stdout and "Restored" in forced.stdout


def test_restore_with_another_key_or_address_says_which_old_links_break(
    databases, old_site, archive, tmp_path
):
    new_env = site_env(
        tmp_path / "new",
        old_site["mail_dir"],
        databases.url("new"),
        SECRET_KEY="another-machine-" + "Kp9w" * 12,
        SITE_URL="http://new.example",
        NEWSLETTER_CONFIRM_MAX_AGE="3600",
    )
    restored = manage(new_env, "restore", str(archive))
    assert "Restored" in restored.stdout
    assert "SECRET_KEY is neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS" in restored.stderr
    assert f"SITE_URL was {ORIGIN} and is http://new.example" in restored.stderr
    assert "NEWSLETTER_CONFIRM_MAX_AGE was 172800 and is 3600" in restored.stderr

    kept = site_env(
        tmp_path / "kept",
        old_site["mail_dir"],
        databases.url("kept"),
        SECRET_KEY="another-machine-" + "Kp9w" * 12,
        SECRET_KEY_FALLBACKS=SECRET_KEY,
    )
    restored = manage(kept, "restore", str(archive))
    assert restored.stderr == "" and "will work here" in restored.stdout
