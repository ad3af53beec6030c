"""Shared by the site import tests: the sample exports laid out as a writer would give them."""

import io
import shutil
import zipfile
from pathlib import Path

from PIL import Image as PILImage

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "import"


def png(color=(30, 90, 160), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def wordpress_folder(tmp_path: Path) -> Path:
    """The WXR file beside a copy of the uploads folder holding two of its three images."""
    folder = tmp_path / "portvell"
    uploads = folder / "wp-content" / "uploads" / "2024" / "05"
    uploads.mkdir(parents=True)
    shutil.copy(SAMPLES / "wordpress.xml", folder / "portvell.wordpress.2024-05-08.xml")
    (uploads / "quay.png").write_bytes(png((200, 120, 40)))
    (uploads / "from-the-water.png").write_bytes(png((20, 120, 200)))
    return folder


def ghost_zip(tmp_path: Path) -> Path:
    """The Ghost JSON, the members CSV and the content/images download, zipped together."""
    path = tmp_path / "ghost.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(SAMPLES / "ghost.json", "illa.ghost.2024-06-01.json")
        archive.write(SAMPLES / "ghost-members.csv", "members.2024-06-01.csv")
        archive.writestr("content/images/2024/05/ferry.png", png((10, 10, 10)))
        archive.writestr("content/images/2024/05/ferry-cover.png", png((250, 250, 250)))
    return path


def substack_zip(tmp_path: Path) -> Path:
    """Substack's export zip, built from the sample files."""
    path = tmp_path / "substack-export.zip"
    root = SAMPLES / "substack"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(root.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(root).as_posix())
    return path
