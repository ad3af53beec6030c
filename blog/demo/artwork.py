"""Generated cover art for the demo posts: calm abstract landscapes, one palette per post.

The demo site should look like a publication with pictures without shipping photographs we do
not own; these are drawn with Pillow from the post's slug, so every run draws the same ones.
"""

import hashlib
import io

from PIL import Image, ImageDraw

PALETTES = [
    ((24, 52, 89), (228, 140, 92), (35, 92, 120)),
    ((46, 36, 74), (240, 190, 110), (70, 60, 110)),
    ((20, 70, 66), (236, 214, 150), (30, 110, 98)),
    ((80, 30, 40), (246, 170, 120), (120, 50, 60)),
    ((32, 40, 48), (200, 210, 220), (60, 80, 96)),
]


def _blend(top, bottom, t):
    return tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))


def landscape_jpeg(seed: str, size=(1600, 900)) -> bytes:
    """A sky gradient, a low sun and layered hills, as JPEG bytes."""
    digest = hashlib.sha256(seed.encode()).digest()
    sky, glow, land = PALETTES[digest[0] % len(PALETTES)]
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        draw.line([(0, y), (width, y)], fill=_blend(sky, glow, (y / height) ** 1.6))
    sun_x = width * (0.2 + 0.6 * digest[1] / 255)
    sun_y = height * 0.55
    radius = height * 0.12
    draw.ellipse(
        [sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius],
        fill=_blend(glow, (255, 245, 225), 0.6),
    )
    for layer in range(4):
        base = height * (0.62 + layer * 0.1)
        amplitude = height * (0.05 + 0.02 * (digest[2 + layer] % 4))
        colour = _blend(land, (10, 12, 16), layer / 4)
        points = [(0, height)]
        for step in range(0, 17):
            x = width * step / 16
            wave = ((digest[(step + layer * 5) % 32] / 255) - 0.5) * 2
            points.append((x, base - amplitude * wave))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def portrait_png(initials: str, seed: str, size: int = 480) -> bytes:
    """A round monogram for the demo author's About page photo."""
    from PIL import ImageFont

    digest = hashlib.sha256(seed.encode()).digest()
    background, accent, _ = PALETTES[digest[0] % len(PALETTES)]
    image = Image.new("RGB", (size, size), _blend(background, accent, 0.35))
    draw = ImageDraw.Draw(image)
    draw.ellipse([size * 0.08] * 2 + [size * 0.92] * 2, fill=background)
    font = ImageFont.load_default(size=size * 0.36)
    draw.text((size / 2, size / 2), initials, font=font, fill=(250, 244, 235), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
