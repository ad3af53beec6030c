"""The apps that write an imported `Document`, registered in `AppConfig.ready()`; core knows
none of them (pattern: `core.checklist`).

    appliers.register("blog", apply=blog_import.apply, order=10)

An applier is `apply(document, *, context) -> list[Line]`: it creates what is new, skips what
an earlier run already made (found through `context.record_for` / `ImportRecord`) and says so,
one line per thing. Appliers run in `order` (blog before comments, which look up the posts
blog made) inside one transaction; a dry run rolls the transaction back, so what it reports is
exactly what an import would do. Appliers never send mail and never fetch from the network.
"""

import contextvars
import datetime
from dataclasses import dataclass, field
from typing import Literal, Protocol

from django.db import transaction
from django.utils import timezone

from core.transfer.document import Document

Outcome = Literal["created", "skipped", "failed"]


@dataclass(frozen=True)
class Line:
    """One thing the import did or would do: `kind` ("post", "comment", "subscriber"...),
    `label` (a title, an address), and why it was skipped or failed."""

    outcome: Outcome
    kind: str
    label: str
    reason: str = ""

    def __str__(self) -> str:
        text = f"{self.outcome:<8} {self.kind:<11} {self.label}"
        return f"{text} ({self.reason})" if self.reason else text


@dataclass
class Context:
    """What every applier is told: where the document came from, whether this is a dry run
    (files must not be written to storage then), and the moment of the import."""

    platform: str
    dry_run: bool
    now: datetime.datetime

    @property
    def platform_label(self) -> str:
        return PLATFORM_LABELS.get(self.platform, self.platform)


class Applier(Protocol):
    def __call__(self, document: Document, *, context: Context) -> list[Line]: ...


@dataclass(frozen=True)
class Registered:
    key: str
    apply: Applier
    order: int


@dataclass
class Report:
    platform: str
    dry_run: bool
    warnings: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def summary(self) -> str:
        verb = "would be created" if self.dry_run else "created"
        return (
            f"{self.count('created')} {verb}, {self.count('skipped')} skipped, "
            f"{self.count('failed')} failed."
        )

    def text(self) -> str:
        head = f"Import from {PLATFORM_LABELS.get(self.platform, self.platform)}"
        head += " (dry run: nothing was saved)" if self.dry_run else ""
        out = [head]
        out += [f"warning  {warning}" for warning in self.warnings]
        out += [str(line) for line in self.lines]
        out.append(self.summary)
        return "\n".join(out)


PLATFORM_LABELS = {
    "wordpress": "WordPress",
    "ghost": "Ghost",
    "substack": "Substack",
    "archive": "an archive of this site",
}

_appliers: dict[str, Registered] = {}
_importing = contextvars.ContextVar("importing", default=False)


def is_importing() -> bool:
    """True while an import writes: receivers that would mail someone about a new post or
    comment (the post's author, the every-post email) stay silent for imported ones."""
    return _importing.get()


def register(key: str, *, apply: Applier, order: int) -> None:
    """Add an applier; registering a key again replaces it."""
    _appliers[key] = Registered(key=key, apply=apply, order=order)


def registered() -> list[Registered]:
    return sorted(_appliers.values(), key=lambda applier: applier.order)


def apply_document(
    document: Document, *, dry_run: bool, now: datetime.datetime | None = None
) -> Report:
    """Write the document through every registered applier in one transaction (rolled back on
    a dry run or on an unexpected error, so a failed import leaves the site as it was)."""
    context = Context(platform=document.platform, dry_run=dry_run, now=now or timezone.now())
    report = Report(platform=document.platform, dry_run=dry_run, warnings=list(document.warnings))
    token = _importing.set(True)
    try:
        with transaction.atomic():
            for applier in registered():
                report.lines.extend(applier.apply(document, context=context))
            if dry_run:
                transaction.set_rollback(True)
    finally:
        _importing.reset(token)
    return report
