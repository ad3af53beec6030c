"""What a reader downloads: the self-hosted serif (≤ 60 KB) and the post page's text (≤ 25 KB).

Measured from the files `collectstatic` leaves for the web server (hashed names, rewritten CSS)
and from a rendered post page, gzipped as a server sends them.
"""

import gzip
import re
from pathlib import Path

import lxml.html
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from fontTools.ttLib import TTFont

from tests.comments.support import add_comment
from tests.factories import PostFactory

FONT_BUDGET = 60 * 1024
TEXT_BUDGET = 25 * 1024
FAMILY = "Source Serif 4"
# What a writer's OpEd uses: curly quotes, dashes, ellipsis, primes, Western and Central
# European names.
NEEDED = "“”‘’–—…′″«»€£°×½ éèêëàâäçîïôöùûüÿñãõåæøœßÉÀÇÑÖÜ ÁÍÓÚáíóú čćđšžłńśźżąęőűğışșțăřůěď"
SAMPLE_BODY = (
    "Port Alder’s ‘Buses First’ budget moves money from parking garages to buses — and the "
    "small print tells a more cautious story than the press releases… "
) * 60


def font_faces() -> list[dict]:
    css = Path(finders.find("css/site.css")).read_text(encoding="utf-8")
    faces = []
    for block in re.findall(r"@font-face\s*{([^}]*)}", css):
        declarations = {
            name.strip(): value.strip()
            for name, _, value in (d.partition(":") for d in block.split(";") if ":" in d)
        }
        faces.append(declarations)
    return faces


def test_the_css_declares_three_swapping_self_hosted_faces_of_one_family():
    faces = font_faces()
    assert len(faces) == 3  # regular, italic, bold: no more
    for face in faces:
        assert face["font-family"] == f'"{FAMILY}"'
        assert face["font-display"] == "swap"
        assert re.fullmatch(r'url\("\.\./fonts/[a-z0-9-]+\.woff2"\) format\("woff2"\)', face["src"])
    assert {(face["font-style"], face["font-weight"]) for face in faces} == {
        ("normal", "400"),
        ("italic", "400"),
        ("normal", "600 700"),
    }


def test_the_font_files_are_subset_woff2_with_every_character_we_need():
    for face in font_faces():
        path = finders.find("fonts/" + re.search(r"fonts/([^\"]+)", face["src"])[1])
        font = TTFont(path)
        assert font.flavor == "woff2"
        cmap = font.getBestCmap()
        missing = [c for c in NEEDED if not c.isspace() and ord(c) not in cmap]
        assert missing == [], f"{Path(path).name} lacks {''.join(missing)}"
        assert ord("Ж") not in cmap and ord("α") not in cmap, "subset: no Cyrillic or Greek"
        assert len(font.getGlyphOrder()) < 450


def test_the_base_template_preloads_the_regular_and_bold_faces(client, db):
    doc = lxml.html.fromstring(client.get("/").content)
    preloads = doc.xpath("//head/link[@rel='preload'][@as='font']")
    assert [link.get("href") for link in preloads] == [
        "/static/fonts/source-serif-4-regular.woff2",
        "/static/fonts/source-serif-4-bold.woff2",
    ]
    for link in preloads:
        assert link.get("type") == "font/woff2"
        assert link.get("crossorigin") is not None  # else the font is fetched twice


@pytest.fixture
def collected(tmp_path, settings):
    """The static files as `collectstatic` leaves them for production (hashed names)."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    return settings.STATIC_ROOT


def static_file(root: Path, url: str) -> Path:
    assert url.startswith(settings.STATIC_URL), url
    return root / url.removeprefix(settings.STATIC_URL).split("?")[0]


@pytest.mark.django_db
def test_a_post_page_stays_within_the_text_and_font_budgets(client, collected):
    post = PostFactory(body="\n\n".join([SAMPLE_BODY] * 3), standfirst="A start, not a victory.")
    for n in range(10):
        add_comment(post, text=f"Comment {n}: boats are cheaper than bridges, and quicker.")
    response = client.get(post.get_absolute_url())
    html = response.content
    doc = lxml.html.fromstring(html)
    css = [static_file(collected, h) for h in doc.xpath("//link[@rel='stylesheet']/@href")]
    js = [static_file(collected, src) for src in doc.xpath("//script/@src")]
    assert css and js
    assert all(re.search(r"\.[0-9a-f]{12}\.", path.name) for path in css + js), "hashed names"

    gzipped = len(gzip.compress(html, 9)) + sum(
        len(gzip.compress(path.read_bytes(), 9)) for path in css + js
    )
    assert gzipped <= TEXT_BUDGET, f"HTML+CSS+JS is {gzipped:,} bytes gzipped"

    fonts = set()
    for path in css:
        for url in re.findall(r'url\("?([^")]+\.woff2)"?\)', path.read_text(encoding="utf-8")):
            fonts.add((path.parent / url).resolve())
    preloaded = {static_file(collected, h).resolve() for h in doc.xpath("//link[@as='font']/@href")}
    assert len(fonts) == 3 and preloaded <= fonts, "preloads name the files the CSS uses"
    total = sum(path.stat().st_size for path in fonts)
    assert total <= FONT_BUDGET, f"fonts are {total:,} bytes"
