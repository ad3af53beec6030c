"""A throwaway site for worker processes: its own SQLite file, settings from the environment.

pytest-django's test database lives in memory (or, on PostgreSQL, inside the test run's
transaction rules), where a separate worker process cannot see it. The crash test and the
benchmark therefore build a complete site of their own in a temporary folder: production
settings (`config.settings.base`) read from environment variables, exactly as a deployment
would, with `VAR_DIR` pointing at the folder (so the database is a WAL-mode SQLite file with
IMMEDIATE transactions, config/env.py) and `EMAIL_URL` at a local SMTP sink. Every process
started with `site_env(...)` — migrate, seed, the worker, its restart — sees the same rows.

`python -m tests.newsletter.worker_site seed ACTIVE INACTIVE` fills it and prints the id of
a draft edition ready to send; `... send EDITION` presses "Send now" (freeze, wake the worker);
`... signups N` asks for N new subscriptions, queueing N confirmation emails; `... status
EDITION` prints where the edition stands; `... copy EDITION` drafts another like it.

`DATABASE_URL` in `site_env(...)`'s keyword arguments puts the site on PostgreSQL instead
(the fault drill, tests/newsletter/test_worker_faults.py).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_DROPPED = {
    "DATABASE_URL",
    "REDIS_URL",
    "TASKS_BACKEND",
    "DJANGO_SETTINGS_MODULE",
    "EMAIL_URL",
    "BULK_EMAIL_URL",
}


def active_address(n: int) -> str:
    return f"reader{n}@example.org"


def inactive_address(n: int) -> str:
    return f"former{n}@example.org"


def site_env(var_dir: Path, *, smtp_port: int, **settings) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ENV_DROPPED}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": "worker-site-only-" + "q7Zr" * 12,
        "DEBUG": "0",
        "SITE_URL": "https://worker.example",
        # The writer has said who sends (core.identity); editions are refused until then.
        "DEFAULT_FROM_EMAIL": "The Dispatch <letters@worker.example>",
        "NEWSLETTER_POSTAL_ADDRESS": "1 Harbour Street, Portsmouth",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}/?timeout=5",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env |= {key: str(value) for key, value in settings.items()}
    return env


def manage(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )


def worker_command(edition_id: int) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), "send_edition", str(edition_id)]


def run_worker_command() -> list[str]:
    """The task worker as deployed (`manage.py run_worker`), polling often for a quick test."""
    return [sys.executable, str(ROOT / "manage.py"), "run_worker", "--interval", "0.2"]


def site_script(env: dict[str, str], *args: str) -> str:
    """Run this module's `seed`, `send` or `signups` in the site; its last line of output."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.newsletter.worker_site", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout.strip().splitlines()[-1]


def prepare(env: dict[str, str], *, active: int, inactive: int) -> int:
    """Migrate, then seed: returns the id of the edition to send."""
    manage(env, "migrate", "--noinput", timeout=300)
    manage(env, "createcachetable", timeout=60)
    return int(site_script(env, "seed", str(active), str(inactive)))


def seed(active: int, inactive: int) -> int:
    import datetime

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from blog.models import Post
    from newsletter.models import Edition, EditionHeadline, EditionItem, Headline, Subscriber

    now = timezone.now()
    author = get_user_model().objects.create_user("author", "author@example.org")
    edition = Edition.objects.create(
        subject="The week in The Dispatch",
        preheader="Buses first, budgets second",
        intro="Three things happened this week.",
    )
    for n in range(1, 4):
        post = Post.objects.create(
            title=f"Buses first, budgets second — part {n}",
            slug=f"buses-first-{n}",
            body="The council met on Tuesday.\nIt voted for “Buses First”.",
            author=author,
            status=Post.Status.PUBLISHED,
            publish_at=now - datetime.timedelta(days=n),
        )
        EditionItem.objects.create(edition=edition, post=post, position=n, note="Worth a read.")
    headline = Headline.objects.create(
        title="Harbour bridge closes for repairs",
        url="https://news.example.org/bridge",
        source_name="Calder Bay Herald",
    )
    EditionHeadline.objects.create(edition=edition, headline=headline, position=1)
    common = {"confirmed_at": now, "consent_text": "Weekly email.", "signup_source": "Seed"}
    Subscriber.objects.bulk_create(
        [
            Subscriber(email=active_address(n), status=Subscriber.Status.ACTIVE, **common)
            for n in range(active)
        ],
        batch_size=1000,
    )
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=inactive_address(n),
                status=[Subscriber.Status.UNSUBSCRIBED, Subscriber.Status.BOUNCED][n % 2],
                unsubscribed_at=now,
            )
            for n in range(inactive)
        ]
        + [Subscriber(email="pending@example.org", status=Subscriber.Status.PENDING)],
        batch_size=1000,
    )
    return edition.pk


def send(edition_id: int) -> int:
    import django

    django.setup()
    from django.utils import timezone

    from newsletter import tasks
    from newsletter.models import Edition

    edition = Edition.objects.get(pk=edition_id)
    return tasks.send_now(edition=edition, now=timezone.now())


def signup_address(n: int) -> str:
    return f"newcomer{n}@example.org"


def signups(count: int) -> int:
    import django

    django.setup()
    from django.utils import timezone

    from newsletter import subscriptions
    from newsletter.consent import CURRENT_CONSENT_VERSION

    for n in range(count):
        subscriptions.request_subscription(
            email=signup_address(n),
            source="Newsletter page",
            page_url="/newsletter/",
            consent_version=CURRENT_CONSENT_VERSION,
            ip="203.0.113.9",
            now=timezone.now(),
        )
    return count


def copy(edition_id: int) -> int:
    """A new draft with the posts and headlines of `edition_id`: another send to the same list."""
    import django

    django.setup()
    from newsletter.models import Edition, EditionHeadline, EditionItem

    source = Edition.objects.get(pk=edition_id)
    edition = Edition.objects.create(
        subject=source.subject, preheader=source.preheader, intro=source.intro
    )
    for item in EditionItem.objects.filter(edition=source):
        EditionItem.objects.create(
            edition=edition, post=item.post, position=item.position, note=item.note
        )
    for item in EditionHeadline.objects.filter(edition=source):
        EditionHeadline.objects.create(
            edition=edition, headline=item.headline, position=item.position
        )
    return edition.pk


def status(edition_id: int) -> str:
    import django

    django.setup()
    from newsletter.models import Edition

    return Edition.objects.values_list("status", flat=True).get(pk=edition_id)


COMMANDS = {"seed": seed, "send": send, "signups": signups, "status": status, "copy": copy}

if __name__ == "__main__":
    if sys.argv[1:2] and sys.argv[1] in COMMANDS:
        result = COMMANDS[sys.argv[1]](*(int(arg) for arg in sys.argv[2:]))
        sys.stdout.write(f"{result}\n")
    else:
        sys.exit(f"usage: python -m tests.newsletter.worker_site {'|'.join(COMMANDS)} NUMBERS…")


def wait_for(condition, *, timeout: float, what: str, poll: float = 0.01) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll)
