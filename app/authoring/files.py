"""A course as a set of files — {path: text} plus {path: image bytes} — and its disk forms:
a folder, a zip, a diff. No database here.

Zips come from strangers' computers: every entry's name, type and size is checked, and bytes
are read with a hard cap, before anything else looks at them.
"""
from __future__ import annotations

import difflib
import hashlib
import io
import json
import posixpath
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from .curriculum import IMAGE_SUFFIXES
from .limits import CourseLimits, size_words

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same course always gives the same zip bytes
# The defaults; every reader takes a CourseLimits (limits.py) built from the settings.
MAX_ENTRIES = CourseLimits.files
MAX_TEXT_BYTES = CourseLimits.text_bytes
MAX_RATIO = CourseLimits.ratio
MAX_IMAGES = CourseLimits.images
MAX_PATH = CourseLimits.path_chars


class ArchiveRejected(ValueError):
    """The zip or folder can't be a course; the message is for the trainer."""


@dataclass
class FileSet:
    files: dict[str, str]  # text files (.md) by path inside the course folder
    images: dict[str, bytes]
    folder: str = ""  # the zip's top folder, when it had one (the default course slug)

    def digest(self, assets: dict[str, str] | None = None) -> str:
        """The same content gives the same digest, however it was stored."""
        assets = assets if assets is not None else {
            path: hashlib.sha256(data).hexdigest() for path, data in self.images.items()}
        return files_digest(self.files, assets)


def files_digest(files: dict[str, str], assets: dict[str, str]) -> str:
    blob = json.dumps([files, assets], sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def _clean_path(name: str) -> str:
    path = name.replace("\\", "/")
    if path.startswith("/") or ":" in path.split("/", 1)[0]:
        raise ArchiveRejected(_("'%(name)s' is an absolute path.", name=name))
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ArchiveRejected(_("'%(name)s' points outside the course folder.", name=name))
    return "/".join(parts)


def _strip_top_folder(paths: list[str]) -> str:
    """Zips made by 'compress folder' hold one top folder; course.md says where the course is."""
    if "course.md" in paths:
        return ""
    tops = {path.split("/", 1)[0] for path in paths}
    if len(tops) == 1 and f"{next(iter(tops))}/course.md" in paths:
        return next(iter(tops)) + "/"
    raise ArchiveRejected(_("The zip holds no course.md (download a course's zip to see the "
                            "layout)."))


def _same_name(path: str) -> str:
    """Names a phone, Windows or macOS file system would take for one and the same file."""
    return unicodedata.normalize("NFC", path).casefold()


def read_zip(data: bytes, max_total: int | None = None, max_image: int | None = None, *,
             limits: CourseLimits | None = None) -> FileSet:
    """A course from zip bytes; raises ArchiveRejected on anything that isn't plainly one."""
    limits = (limits or CourseLimits()).with_overrides(total_bytes=max_total,
                                                       image_bytes=max_image)
    max_total = limits.total_bytes
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ArchiveRejected(_("This is not a zip file.")) from None
    entries = archive.infolist()
    if len(entries) > limits.files:
        raise ArchiveRejected(_("The zip holds more than %(count)s files.", count=limits.files))
    kept: list[tuple[str, zipfile.ZipInfo]] = []
    folders: set[str] = set()
    seen: dict[str, str] = {}
    declared = 0
    for info in entries:
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ArchiveRejected(_("'%(name)s' is a symbolic link.", name=info.filename))
        if info.flag_bits & 0x1:
            raise ArchiveRejected(_("'%(name)s' is encrypted.", name=info.filename))
        path = _clean_path(info.filename)
        if len(path) > limits.path_chars:
            raise ArchiveRejected(_("'%(name)s' is a very long file name.", name=info.filename[:80]))
        if info.is_dir() or not path:
            folders.add(_same_name(path))
            continue
        if any(p.startswith(".") or p == "__MACOSX" for p in path.split("/")):
            continue
        # Two entries that unpack to one file: which one wins would depend on the computer.
        same = _same_name(path)
        if same in seen:
            raise ArchiveRejected(_("The zip holds '%(name)s' twice (names that differ only in "
                                    "upper/lower case or accents count as the same).",
                                    name=path))
        seen[same] = path
        declared += info.file_size
        if declared > max_total:
            raise ArchiveRejected(_("The unpacked course would be too large."))
        if info.compress_size and info.file_size / info.compress_size > limits.ratio:
            raise ArchiveRejected(_("'%(name)s' is compressed suspiciously well (a zip bomb?).",
                                    name=info.filename))
        kept.append((path, info))
    prefix = _strip_top_folder([path for path, _ in kept])
    files, images, total = {}, {}, 0
    for same, path in seen.items():  # 'a.md' and 'a.md/b.md' can't both be files on disk
        if same in folders or any(parent in seen for parent in _parents(same)):
            raise ArchiveRejected(_("'%(name)s' is both a file and a folder.", name=path))
    for path, info in kept:
        if not path.startswith(prefix):
            raise ArchiveRejected(_("'%(name)s' is outside the course folder.", name=info.filename))
        inner = path[len(prefix):]
        suffix = posixpath.splitext(inner)[1].lower()
        if suffix not in IMAGE_SUFFIXES and suffix != ".md":
            continue  # notes, licences, editor files: not part of the course format
        if suffix != ".md" and len(images) >= limits.images:
            raise ArchiveRejected(_("The zip holds more than %(count)s images.", count=limits.images))
        limit = limits.text_bytes if suffix == ".md" else limits.image_bytes
        # Headers can lie about sizes: read at most one byte past the limit and judge that.
        with archive.open(info) as handle:
            content = handle.read(min(limit, max_total - total) + 1)
        total += len(content)
        if total > max_total:
            raise ArchiveRejected(_("The unpacked course would be too large."))
        if len(content) > limit:
            raise ArchiveRejected(_("'%(name)s' is too large (at most %(size)s per file).",
                                    name=info.filename, size=size_words(limit)))
        if suffix == ".md":
            try:
                files[inner] = content.decode("utf-8")
            except UnicodeDecodeError:
                raise ArchiveRejected(_("'%(name)s' is not UTF-8 text.", name=info.filename)) from None
        else:
            images[inner] = content
    return FileSet(files, images, prefix.rstrip("/"))


def _parents(path: str):
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def write_zip(folder_name: str, fileset: FileSet) -> bytes:
    """Deterministic: sorted entries, fixed times, so identical courses give identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = [(path, text.encode("utf-8")) for path, text in fileset.files.items()]
        entries += list(fileset.images.items())
        for path, data in sorted(entries):
            info = zipfile.ZipInfo(f"{folder_name}/{path}", date_time=ZIP_TIME)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def read_folder(folder: Path) -> FileSet:
    """A course folder on disk, as the same FileSet a zip gives."""
    files, images = {}, {}
    for child in sorted(folder.rglob("*")):
        relative = child.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not child.is_file():
            continue
        if child.is_symlink():
            raise ArchiveRejected(_("'%(name)s' is a symbolic link.", name=str(relative)))
        suffix = child.suffix.lower()
        if suffix == ".md":
            files[relative.as_posix()] = child.read_text(encoding="utf-8")
        elif suffix in IMAGE_SUFFIXES:
            images[relative.as_posix()] = child.read_bytes()
    return FileSet(files, images)


def write_folder(folder: Path, fileset: FileSet, placeholders: bool = False) -> None:
    """Write the files; with placeholders, images are empty files (enough for checking)."""
    for path, text in fileset.files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))  # bytes: no newline translation
    for path, data in fileset.images.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"" if placeholders else data)


@dataclass
class FileDiff:
    path: str
    status: str  # added | removed | changed
    lines: list[str]  # unified diff lines, without the file header


def diff_files(old: dict[str, str], new: dict[str, str], context: int = 3) -> list[FileDiff]:
    """Per-file unified diffs between two versions of a course's text files."""
    diffs = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        status = "added" if before is None else "removed" if after is None else "changed"
        lines = list(difflib.unified_diff((before or "").splitlines(), (after or "").splitlines(),
                                          lineterm="", n=context))[2:]
        diffs.append(FileDiff(path, status, lines))
    return diffs
