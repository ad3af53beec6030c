"""Build the site's self-hosted text face and favicon: `make fonts`.

Source Serif 4 (SIL Open Font License 1.1) comes from the `fontpkg-source-serif-4` package (the
test extra) as two variable fonts. This script cuts three static instances from them (regular,
italic, bold at the text optical size), keeps only the characters the site needs (Basic Latin,
Latin-1, the Central European letters of Latin Extended-A, typographic punctuation) and the
layout features text uses, and writes WOFF2 files to static/fonts/. It also draws the favicon
(static/img/) from the bold "D": an SVG path, so it looks the same everywhere, and a 16/32/48 px
.ico for /favicon.ico.
The files are committed: nothing is fetched or built when the site runs. Run it again after
changing CHARACTERS, the instances or the favicon.
"""

import io
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "static" / "fonts"
IMG = ROOT / "static" / "img"
FAVICON_COLOUR = "#9e2a1f"  # --color-accent (light)
FAVICON_SIZES = [(16, 16), (32, 32), (48, 48)]

# Optical size: the text design, not the display one (body text is 17-20 px).
TEXT_OPSZ = 18
INSTANCES = {
    # file name: (source file, weight)
    "source-serif-4-regular.woff2": ("SourceSerif4[opsz,wght].ttf", 400),
    "source-serif-4-italic.woff2": ("SourceSerif4-Italic[opsz,wght].ttf", 400),
    "source-serif-4-bold.woff2": ("SourceSerif4[opsz,wght].ttf", 700),
}

# Basic Latin; Latin-1 (the accented letters of Western European languages, ©, °, £, ×); the
# Central European letters names in the news carry (ă ą ć č ď đ ę ě ğ ı ł ń ň ő œ ř ś ş š ţ ť ů
# ű ź ż ž, Romanian ș ț, and capitals); typographic punctuation: dashes, curly quotes, ellipsis,
# bullets, primes, thin and non-breaking spaces, the euro and trade marks. A character left out
# still shows, in the next font of the CSS stack. The whole of Latin Extended-A would take the
# three files past the 60 KB budget (tests/blog/test_assets.py).
CHARACTERS = (
    "U+0020-007E,U+00A0-00FF,U+0102-0107,U+010C-0111,U+0118-011B,U+011E-011F,U+0130-0131,"
    "U+0141-0144,U+0147-0148,U+0150-0153,U+0158-0165,U+016E-0171,U+0178-017E,U+0218-021B,"
    "U+0192,U+02C6,U+02DA,U+02DC,"
    "U+2002-200B,U+2010-2015,U+2018-201E,U+2020-2022,U+2026,U+2030,U+2032-2033,"
    "U+2039-203A,U+2044,U+20AC,U+2122,U+2212"
)
# Kerning and the standard ligatures; the alternate figure sets, fractions and the rest the CSS
# never asks for would cost a third more.
FEATURES = "kern,liga"


def source_dir() -> Path:
    try:
        import fontpkg_source_serif_4
    except ImportError:
        sys.exit("Install the test extra first: pip install -e '.[test]' (fontpkg-source-serif-4).")
    return fontpkg_source_serif_4.ROOT / "files"


def instance(source: str, weight: int) -> TTFont:
    font = TTFont(source_dir() / source)
    return instancer.instantiateVariableFont(
        font, {"wght": weight, "opsz": TEXT_OPSZ}, updateFontNames=False
    )


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (source, weight) in INSTANCES.items():
        font = instance(source, weight)
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = FEATURES.split(",")
        options.hinting = False  # browsers on every platform render it well unhinted
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(CHARACTERS))
        subsetter.subset(font)
        path = out / name
        font.recalcTimestamp = False  # the same sources give the same bytes
        subset.save_font(font, str(path), options)
        written.append(path)
    # The SIL Open Font License travels with the fonts.
    licence = out / "OFL.txt"
    licence.write_bytes((source_dir().parent / "LICENSE").read_bytes())
    return [*written, licence]


def favicon_path(font: TTFont, box: int = 64, height: float = 40) -> str:
    """The bold "D" as an SVG path, `height` units tall, centred in a `box`-unit square."""
    glyphs = font.getGlyphSet()
    name = font.getBestCmap()[ord("D")]
    bounds = BoundsPen(glyphs)
    glyphs[name].draw(bounds)
    x_min, y_min, x_max, y_max = bounds.bounds
    scale = height / (y_max - y_min)
    dx = (box - (x_max - x_min) * scale) / 2 - x_min * scale
    dy = (box + height) / 2 + y_min * scale
    pen = SVGPathPen(glyphs, ntos=lambda n: f"{n:.2f}".rstrip("0").rstrip("."))
    glyphs[name].draw(TransformPen(pen, (scale, 0, 0, -scale, dx, dy)))
    return pen.getCommands()


def build_favicon(img: Path = IMG) -> list[Path]:
    from PIL import Image, ImageDraw, ImageFont

    bold = instance(INSTANCES["source-serif-4-bold.woff2"][0], 700)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="12" fill="{FAVICON_COLOUR}"/>'
        f'<path fill="#fff" d="{favicon_path(bold)}"/></svg>\n'
    )
    img.mkdir(parents=True, exist_ok=True)
    (img / "favicon.svg").write_text(svg, encoding="ascii")

    # The .ico: the same drawing at 4 times 64 px, scaled down by Pillow for smooth edges.
    ttf = io.BytesIO()
    bold.save(ttf)
    ttf.seek(0)
    side = 256
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=side * 12 // 64, fill=FAVICON_COLOUR)
    letter = ImageFont.truetype(ttf, size=side)
    left, top, right, bottom = draw.textbbox((0, 0), "D", font=letter)
    scale = (side * 40 / 64) / (bottom - top)
    letter = ImageFont.truetype(io.BytesIO(ttf.getvalue()), size=round(side * scale))
    left, top, right, bottom = draw.textbbox((0, 0), "D", font=letter)
    origin = ((side - (right - left)) / 2 - left, (side - (bottom - top)) / 2 - top)
    draw.text(origin, "D", font=letter, fill="#ffffff")
    path = img / "favicon.ico"
    image.save(path, format="ICO", sizes=FAVICON_SIZES)
    return [img / "favicon.svg", path]


if __name__ == "__main__":
    # `python tests/tools/build_fonts.py DIR` writes everything to DIR instead, to compare.
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    for path in build(target or OUT) + build_favicon(target or IMG):
        print(f"{path.name}: {path.stat().st_size:,} bytes")  # noqa: T201
