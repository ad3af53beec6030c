"""Uploaded images: checked, re-encoded without metadata, then cut into responsive renditions.

Every file a writer uploads is decoded and written again by Pillow before it is stored, so
what reaches the disk is pixels only: no EXIF (a phone photo's GPS position, the camera's serial
number), no XMP, no comments, and nothing smuggled in behind an image extension. The colour
profile and transparency are kept, so the picture still looks the same.
"""

import io
import warnings
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat

if TYPE_CHECKING:
    from PIL import Image as PILImage

ACCEPTED_FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]
FORMAT_LABELS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
ALLOWED_EXTENSIONS = {"JPEG": ("jpg", "jpeg"), "PNG": ("png",), "WEBP": ("webp",), "GIF": ("gif",)}
# Animation is not kept: a GIF is stored as its first frame, which PNG holds without loss.
STORED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
FILE_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
ENCODER_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 85, "progressive": True, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 82, "method": 4},
}

NOT_AN_IMAGE = (
    "This file is not a JPEG, PNG, WebP or GIF image, or it is damaged. "
    "Export it again in one of those formats and upload it."
)
TOO_MANY_PIXELS = (
    "This image has too many pixels to process safely (the limit is %(megapixels)s "
    "megapixels). Resize it, for example to 4000 pixels wide, and upload it again."
)


def validate_image_upload(file: File) -> None:
    """Refuse anything but a sound JPEG, PNG, WebP or GIF, with a message a writer can act on.

    Runs on new uploads only: a file already in storage was checked and re-encoded on its way
    in, so editing an image's caption does not decode the picture again.
    """
    if getattr(file, "_committed", False):
        return
    _check_file_size(file)
    image_format = _check_image_content(file)
    _check_extension(file.name, image_format)


def _check_file_size(file: File) -> None:
    if not file.size:
        raise ValidationError(
            "This file is empty. Choose the image again and upload it.", code="empty"
        )
    if file.size > settings.IMAGE_MAX_UPLOAD_BYTES:
        raise ValidationError(
            "This file is %(size)s; images can be at most %(limit)s. "
            "Export it at a smaller size or quality and upload it again.",
            code="file_too_large",
            params={
                "size": filesizeformat(file.size),
                "limit": filesizeformat(settings.IMAGE_MAX_UPLOAD_BYTES),
            },
        )


def _check_image_content(file: File) -> str:
    """The format Pillow finds in the bytes, whatever the name claims.

    The pixel count is read from the header and checked before any pixel is decoded, so a
    small file that would unpack to gigabytes (a decompression bomb) is refused cheaply.
    """
    from PIL import Image as PILImage

    too_many_pixels = ValidationError(
        TOO_MANY_PIXELS,
        code="too_many_pixels",
        params={"megapixels": settings.IMAGE_MAX_PIXELS // 1_000_000},
    )
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(file, formats=ACCEPTED_FORMATS) as image:
                width, height = image.size
                if width * height > settings.IMAGE_MAX_PIXELS:
                    raise too_many_pixels
                image.load()
                return image.format
    except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError) as err:
        raise too_many_pixels from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from err
    finally:
        file.seek(0)


def _check_extension(name: str | None, image_format: str) -> None:
    extension = PurePosixPath(name or "").suffix.lower().removeprefix(".")
    if extension not in ALLOWED_EXTENSIONS[image_format]:
        raise ValidationError(
            "This file is a %(format)s image but its name %(name_ending)s. "
            "Rename it to end in “.%(expected)s” and upload it again.",
            code="extension_mismatch",
            params={
                "format": FORMAT_LABELS[image_format],
                "name_ending": f"ends in “.{extension}”" if extension else "has no extension",
                "expected": ALLOWED_EXTENSIONS[image_format][0],
            },
        )


def is_new_upload(field_file: File) -> bool:
    """Whether the field holds a file not yet in storage, i.e. one to re-encode on save."""
    return bool(field_file) and not getattr(field_file, "_committed", True)


def sanitise_upload(file: File) -> ContentFile:
    """The upload decoded and encoded again: upright, metadata-free, named by its real format.

    The name only carries the extension (`image_upload_to` chooses the rest), so nothing of
    what the uploader called the file reaches the disk.
    """
    from PIL import Image as PILImage
    from PIL import ImageOps

    file.seek(0)
    with PILImage.open(file, formats=ACCEPTED_FORMATS) as original:
        stored_format = STORED_FORMATS[original.format]
        upright = ImageOps.exif_transpose(original)
    return ContentFile(
        encode(upright, stored_format), name=f"image.{FILE_EXTENSIONS[stored_format]}"
    )


def encode(image: "PILImage.Image", image_format: str) -> bytes:
    """The image written with its pixels, colour profile and transparency, and nothing else.

    Pillow copies some metadata from `image.info` when saving (a JPEG comment, for one), so
    the info is emptied while writing and what is kept is passed explicitly.
    """
    image = _encodable(image, image_format)
    options = dict(ENCODER_OPTIONS[image_format])
    if icc_profile := image.info.get("icc_profile"):
        options["icc_profile"] = icc_profile
    if image_format == "PNG" and image.info.get("transparency") is not None:
        options["transparency"] = image.info["transparency"]
    buffer = io.BytesIO()
    info, image.info = image.info, {}
    try:
        image.save(buffer, format=image_format, **options)
    finally:
        image.info = info
    return buffer.getvalue()


def _encodable(image: "PILImage.Image", image_format: str) -> "PILImage.Image":
    """The image in a mode the format can hold (JPEG has no alpha, palette or CMYK for browsers)."""
    if image_format != "JPEG" or image.mode in ("L", "RGB"):
        return image
    converted = image.convert("RGB")
    # The profile described the old colour space (CMYK, say), not the converted pixels.
    converted.info.pop("icc_profile", None)
    return converted


def rendition_widths(original_width: int) -> list[int]:
    """Configured widths the original can fill; its own width when it is narrower than all."""
    widths = [width for width in settings.IMAGE_RENDITION_WIDTHS if width <= original_width]
    return widths or [original_width]


def make_renditions(image) -> list[dict[str, Any]]:
    """Write WebP and fallback renditions of a stored image and record them on the row.

    Browsers pick the smallest file that fills the slot (`srcset`), so a phone does not
    download a 1600-pixel photo. The fallback keeps the original's kind: JPEG for
    photographs, PNG where there may be transparency or sharp edges.
    """
    from PIL import Image as PILImage

    stem = PurePosixPath(image.file.name).stem
    with image.file.open("rb"), PILImage.open(image.file, formats=ACCEPTED_FORMATS) as stored:
        stored_format = stored.format
        source = _resizable(stored)
    output_formats = ["WEBP", _fallback_format(stored_format, source)]
    renditions = []
    for width in rendition_widths(source.width):
        height = max(1, round(source.height * width / source.width))
        resized = source.resize((width, height), PILImage.Resampling.LANCZOS, reducing_gap=3.0)
        for image_format in output_formats:
            name = _replace_file(
                f"renditions/{stem}-{width}.{FILE_EXTENSIONS[image_format]}",
                encode(resized, image_format),
            )
            renditions.append(
                {"width": width, "height": height, "format": image_format.lower(), "name": name}
            )
    kept = {rendition["name"] for rendition in renditions}
    delete_files_on_commit(r["name"] for r in image.renditions if r["name"] not in kept)
    type(image).objects.filter(pk=image.pk, file=image.file.name).update(renditions=renditions)
    image.renditions = renditions
    return renditions


def _resizable(image: "PILImage.Image") -> "PILImage.Image":
    """The decoded pixels in a mode Pillow resizes smoothly (a palette is only resized coarsely)."""
    if image.mode in ("L", "RGB", "RGBA"):
        return image.copy()
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _fallback_format(stored_format: str, image: "PILImage.Image") -> str:
    if stored_format == "JPEG" or (stored_format == "WEBP" and image.mode != "RGBA"):
        return "JPEG"
    return "PNG"


def _replace_file(name: str, content: bytes) -> str:
    """Save under exactly `name`, replacing an older file (renditions made again)."""
    default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def stored_file_names(file_name: str, renditions: list[dict[str, Any]]) -> list[str]:
    """Every file in storage belonging to an image: the original and its renditions."""
    return [name for name in [file_name, *(r["name"] for r in renditions)] if name]


def delete_files_on_commit(names: Iterable[str]) -> None:
    """Delete files once the transaction commits, so a rollback never leaves a row without them."""
    names = list(names)

    def delete_files() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete_files, robust=True)


def delete_image_files(sender, instance, **kwargs) -> None:
    """Deleting an image deletes its files too: Django leaves a deleted row's files behind."""
    delete_files_on_commit(stored_file_names(instance.file.name, instance.renditions))
