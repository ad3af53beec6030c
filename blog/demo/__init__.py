"""Demo content written for this project: a few posts so a fresh site looks like a publication."""

from dataclasses import dataclass, field
from pathlib import Path

POSTS_DIR = Path(__file__).resolve().parent / "posts"


@dataclass
class DemoPost:
    title: str
    slug: str
    kind: str
    standfirst: str
    days_ago: int
    featured: bool
    body: str
    tags: list[str] = field(default_factory=list)
    sources: list[tuple[str, str, str]] = field(default_factory=list)


def parse_demo_post(text: str) -> DemoPost:
    """Read one `---`-fenced header of `key: value` lines followed by a Markdown body."""
    _, header, body = text.split("---\n", 2)
    meta = {}
    for line in header.strip().splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip()
    sources = []
    for entry in filter(None, (part.strip() for part in meta.get("sources", "").split(";;"))):
        publisher, title, url = (piece.strip() for piece in entry.split("|"))
        sources.append((publisher, title, url))
    return DemoPost(
        title=meta["title"],
        slug=meta["slug"],
        kind=meta["kind"],
        standfirst=meta.get("standfirst", ""),
        days_ago=int(meta.get("days_ago", 0)),
        featured=meta.get("featured", "no").lower() == "yes",
        body=body.strip() + "\n",
        tags=[tag.strip() for tag in meta.get("tags", "").split(",") if tag.strip()],
        sources=sources,
    )


def demo_posts() -> list[DemoPost]:
    return [parse_demo_post(p.read_text(encoding="utf-8")) for p in sorted(POSTS_DIR.glob("*.md"))]
