"""An export as it arrives: one file, a folder, or a zip, read without trusting it.

A zip is checked before anything is read from it: no member may name a path outside the
archive (absolute, "..", a drive letter), be a link, or make the archive expand past
`MAX_EXPANDED_BYTES` or `MAX_RATIO` times its compressed size (a zip bomb); and members are
read with a hard limit whatever their headers claim. A folder is read only below itself (no
link leads out). Every problem raises `UnreadableExport` with a sentence for the writer.
"""

import io
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from core.transfer.document import UnreadableExport

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_EXPANDED_BYTES = 1024 * 1024 * 1024
MAX_MEMBERS = 20_000
# Text and images compress by 2-10 times; a member expanding 100 times more is a bomb.
MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024


def _clean_member_name(name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    if (
        path.is_absolute()
        or ".." in path.parts
        or (path.parts and ":" in path.parts[0])
        or name.startswith(("/", "\\"))
    ):
        raise UnreadableExport(f"The zip names a file outside itself ({name[:80]!r}): refused.")
    return str(path)


class Bundle:
    """The files of one export by their path inside it ("posts.csv", "posts/1.a.html")."""

    def __init__(self, files: dict[str, Callable[[], bytes]], *, label: str):
        self._files = files
        self.label = label

    @classmethod
    def open(cls, path: str | Path) -> "Bundle":
        path = Path(path)
        if path.is_dir():
            return cls._folder(path)
        if not path.is_file():
            raise UnreadableExport(f"There is no file or folder at {path}.")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UnreadableExport(
                f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB: refused."
            )
        if zipfile.is_zipfile(path):
            return cls._zip(path)
        return cls({path.name: lambda: _read_limited(path)}, label=path.name)

    @classmethod
    def _folder(cls, root: Path) -> "Bundle":
        root = root.resolve()
        files = {}
        for found in sorted(root.rglob("*")):
            if found.is_symlink() or not found.is_file():
                continue
            resolved = found.resolve()
            if not resolved.is_relative_to(root):
                continue
            files[found.relative_to(root).as_posix()] = lambda p=resolved: _read_limited(p)
            if len(files) > MAX_MEMBERS:
                raise UnreadableExport(f"The folder holds more than {MAX_MEMBERS} files.")
        return cls(files, label=root.name)

    @classmethod
    def _zip(cls, path: Path) -> "Bundle":
        try:
            archive = zipfile.ZipFile(path)
            infos = archive.infolist()
        except (zipfile.BadZipFile, OSError) as err:
            raise UnreadableExport(f"{path.name} is not a readable zip: {err}") from err
        if len(infos) > MAX_MEMBERS:
            raise UnreadableExport(f"The zip holds more than {MAX_MEMBERS} files.")
        expanded = 0
        files = {}
        for info in infos:
            name = _clean_member_name(info.filename)
            if info.is_dir():
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UnreadableExport(f"The zip holds a link ({name[:80]!r}): refused.")
            expanded += info.file_size
            if expanded > MAX_EXPANDED_BYTES or (
                info.file_size > _RATIO_FLOOR
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise UnreadableExport(
                    "The zip expands to far more than it holds (a zip bomb?): refused."
                )
            files[name] = lambda a=archive, i=info: _read_member(a, i)
        return cls(files, label=path.name)

    def names(self) -> list[str]:
        return list(self._files)

    def read(self, name: str) -> bytes:
        return self._files[name]()

    def loader(self, name: str) -> Callable[[], bytes]:
        return self._files[name]

    def find(self, *, suffix: str = "", name: str = "") -> list[str]:
        """Members whose file name ends with `suffix`, or is `name`, shortest path first."""
        found = [
            member
            for member in self._files
            if (suffix and member.lower().endswith(suffix))
            or (name and PurePosixPath(member).name == name)
        ]
        return sorted(found, key=lambda member: (member.count("/"), member))

    def find_url(self, url: str) -> str | None:
        """The member holding the file an absolute or relative URL points at, matched on the
        longest tail of its path ("https://old.example/wp-content/uploads/2020/01/a.jpg"
        finds "uploads/2020/01/a.jpg" or "a.jpg"); None when the export does not hold it."""
        parts = [unquote(part) for part in urlsplit(url).path.split("/") if part]
        if not parts:
            return None
        for start in range(len(parts)):
            tail = "/".join(parts[start:])
            matches = [m for m in self._files if m == tail or m.endswith("/" + tail)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                return None
        return None


def _read_limited(path: Path) -> bytes:
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableExport(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB.")
    return data


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, never more than its header announced (a lying header is a bomb)."""
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise UnreadableExport(f"{info.filename[:80]!r} in the zip is damaged: {err}") from err
    if len(data) > info.file_size:
        raise UnreadableExport(f"{info.filename[:80]!r} is larger than the zip says: refused.")
    return data


def csv_rows(bundle: Bundle, name: str, *, required: set[str]) -> list[dict[str, str]]:
    """The rows of a CSV member as dicts keyed by lower-case header; every `required` column
    must be there (a clear error names the missing ones and those found)."""
    import csv  # imported when an export is read, not by every web worker

    try:
        text = bundle.read(name).decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UnreadableExport(f"{name} is not UTF-8 text.") from err
    reader = csv.reader(io.StringIO(text))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise UnreadableExport(f"{name} is empty.") from None
    except csv.Error as err:
        raise UnreadableExport(f"{name} is not a CSV file: {err}") from err
    missing = sorted(required - set(header))
    if missing:
        raise UnreadableExport(
            f"{name} lacks the column(s) {', '.join(missing)}; "
            f"it has: {', '.join(column for column in header if column)[:200] or 'none'}."
        )
    rows = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise UnreadableExport(
                    f"{name}, line {reader.line_num}: {len(record)} fields where the header "
                    f"has {len(header)}."
                )
            rows.append(dict(zip(header, (cell.strip() for cell in record), strict=True)))
    except csv.Error as err:
        raise UnreadableExport(f"{name}, line {reader.line_num}: {err}") from err
    return rows
