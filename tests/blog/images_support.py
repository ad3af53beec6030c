"""Shared by the image tests: fixtures, and pictures made in memory with Pillow."""

import io
import re
import struct
import zlib
from html.parser import HTMLParser

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from PIL import Image as PILImage
from PIL import ImageFile

from blog.forms import ImageAdminForm
from blog.models import Image
from blog.tasks import make_image_renditions
from tests.factories import ImageFactory, PostFactory

ORIENTATION = 0x0112
GPS_IFD = 0x8825
STORED_NAME = re.compile(r"uploads/[0-9a-f]{32}\.(jpg|png|webp|gif)")
NOT_AN_IMAGE = "This file is not a JPEG, PNG, WebP or GIF image"


def image_form(name: str, content: bytes, *, instance: Image | None = None) -> ImageAdminForm:
    return ImageAdminForm(
        data={"alt_text": "Protesters outside the town hall."},
        files={"file": SimpleUploadedFile(name, content)},
        instance=instance or Image(post=PostFactory()),
    )


def encoded(image: PILImage.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def picture_bytes(image_format: str, size=(120, 80), mode="RGB") -> bytes:
    return encoded(PILImage.new(mode, size, "seagreen"), image_format)


def phone_photo(width: int = 80, height: int = 40) -> bytes:
    """A JPEG as a phone writes it: pixels stored sideways with an orientation tag to turn
    them upright (left half red, right half blue), the GPS position, a comment and XMP."""
    photo = PILImage.new("RGB", (width, height), "red")
    photo.paste("blue", (width // 2, 0, width, height))
    exif = PILImage.Exif()
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">exif:GPSLatitude 51,30N</x:xmpmeta>'
    return encoded(photo, "JPEG", exif=exif.tobytes(), comment=b"Shot at home", xmp=xmp)


def bomb_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of width × height pixels, only kilobytes on disk.

    Written row by row through zlib, so the test never holds the pixels in memory either."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def stored_image(name: str) -> PILImage.Image:
    with default_storage.open(name) as file:
        image = PILImage.open(file)
        image.load()
    return image


def assert_no_metadata(name: str) -> None:
    image = stored_image(name)
    exif = image.getexif()
    assert len(exif) == 0
    assert GPS_IFD not in exif
    assert not {"exif", "xmp", "comment"} & image.info.keys()


def fail_if_decoded(monkeypatch) -> None:
    def load(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = TagCollector()
    collector.feed(html)
    return collector.tags


def render(source: str, **context) -> str:
    return Template("{% load blog_images %}" + source).render(Context(context))


def image_with_renditions(**file_options) -> Image:
    image = ImageFactory(**{f"file__{key}": value for key, value in file_options.items()})
    make_image_renditions.enqueue(image.pk)
    image.refresh_from_db()
    return image
