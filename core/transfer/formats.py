"""The formats `import_site` and the admin's import page understand, by name."""

from collections.abc import Callable
from pathlib import Path

from core.transfer import archive, ghost, substack, wordpress
from core.transfer.bundle import Bundle
from core.transfer.document import Document, UnreadableExport

PARSERS: dict[str, Callable[[Bundle], Document]] = {
    "wordpress": wordpress.parse,
    "ghost": ghost.parse,
    "substack": substack.parse,
    "dispatch": archive.parse,
}
CHOICES = [
    ("wordpress", "WordPress"),
    ("ghost", "Ghost"),
    ("substack", "Substack"),
    ("dispatch", "Site archive"),
]


def parse(format_name: str, path: str | Path) -> Document:
    """Read an export into a Document; `UnreadableExport` says what is wrong with it."""
    if format_name not in PARSERS:
        raise UnreadableExport(
            f"Unknown format {format_name!r}: choose one of {', '.join(PARSERS)}."
        )
    return PARSERS[format_name](Bundle.open(path))
