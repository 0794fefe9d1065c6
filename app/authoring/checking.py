"""Checking an uploaded course zip within a time and memory budget.

The checks unpack, decode images and render every lesson: work a stranger's 1 KB file can
make huge. They run in a child process of a fork server (started clean, so it holds no
database connections or request state), with RLIMIT_AS for memory and a deadline for time;
a zip over budget is refused with a message, and the web worker carries on.
"""
from __future__ import annotations

import errno
import logging
import multiprocessing
import re
import resource
import tempfile
import threading
from pathlib import Path

from flask_babel import gettext as _

from .curriculum import CourseSource, CurriculumError, read_curriculum
from .files import ArchiveRejected, FileSet, read_zip, write_folder
from .limits import CourseLimits, size_words
from ..content import ContentError


log = logging.getLogger(__name__)


class BudgetExceeded(ArchiveRejected):
    """Checking the zip took more time or memory than one upload may; for the trainer."""


def read_upload(data: bytes, max_total: int | None = None, max_image: int | None = None, *,
                limits: CourseLimits | None = None) -> tuple[CourseSource, FileSet]:
    """Check a zip completely (format, then every course check). Pure: no database, so a
    request can do it without holding the write lock. No budget here: see check_upload."""
    limits = (limits or CourseLimits()).with_overrides(total_bytes=max_total,
                                                       image_bytes=max_image)
    fileset = read_zip(data, limits=limits)
    with tempfile.TemporaryDirectory(prefix="smallb-zip-") as tmp:
        folder = Path(tmp) / (fileset.folder or "course")
        folder.mkdir()
        try:
            write_folder(folder, fileset)
        except OSError:
            raise ArchiveRejected(_("The zip's file names can't be unpacked.")) from None
        # raises CurriculumError with file:line problems
        sources = read_curriculum(folder, limits=limits)
    if not fileset.folder and not re.search(r"(?m)^slug:", fileset.files.get("course.md", "")):
        raise ArchiveRejected(_("course.md has no slug: add a line 'slug: …' or zip the course "
                                "folder itself."))
    return sources[0], fileset


_context_lock = threading.Lock()
_context = None


def _fork_server():
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])  # each check then starts in ~10 ms
            _context = context
    return _context


def check_upload(data: bytes, limits: CourseLimits, locale: str) -> tuple[CourseSource, FileSet]:
    """read_upload in a child process with limits.check_seconds and check_memory_bytes.

    Raises what read_upload raises (messages in `locale`), or BudgetExceeded.
    """
    context = _fork_server()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_check_in_child, args=(sender, data, limits, locale),
                            name="smallb-zip-check", daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.check_seconds):
            raise BudgetExceeded(_("Checking this zip took longer than %(seconds)s seconds, so "
                                   "it was stopped; nothing was changed. Split the course or "
                                   "make its files smaller.", seconds=f"{limits.check_seconds:g}"))
        try:
            outcome, value = receiver.recv()
        except (EOFError, OSError):  # killed by the memory limit before it could answer
            outcome, value = "memory", None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "ok":
        return value
    if outcome == "rejected":
        raise ArchiveRejected(value)
    if outcome == "failed":
        raise ArchiveRejected(_("This zip could not be read to the end (it may be damaged, or "
                                "one of its files is built to break the checks); nothing was "
                                "changed. Make the zip again from the course folder."))
    if outcome == "problems":
        errors, warnings = ([ContentError(*problem) for problem in group] for group in value)
        raise CurriculumError(errors, warnings)
    raise BudgetExceeded(_("Checking this zip needed more than %(size)s of memory, so it was "
                           "stopped; nothing was changed. Split the course or make its files "
                           "smaller.", size=size_words(limits.check_memory_bytes)))


def _check_in_child(sender, data: bytes, limits: CourseLimits, locale: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limits.check_memory_bytes,) * 2)
    seconds = int(limits.check_seconds) + 2  # CPU time: a backstop if the parent is gone
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    try:
        with translating(locale):  # around the handlers too: they put problems into words
            try:
                result = ("ok", read_upload(data, limits=limits))
            except ArchiveRejected as error:
                result = ("rejected", str(error))
            except CurriculumError as error:
                # In the uploader's language (this child translates, see translating).
                result = ("problems", ([(e.path, e.line, e.localized()) for e in error.errors],
                                       [(e.path, e.line, e.localized()) for e in error.warnings]))
    except MemoryError:
        result = ("memory", None)
    except Exception as error:  # anything else is the file's fault, not the memory's
        if isinstance(error, OSError) and error.errno == errno.ENOMEM:
            result = ("memory", None)  # the address-space limit, met outside Python's heap
        else:
            log.warning("A course zip could not be checked: %s: %s", type(error).__name__, error)
            result = ("failed", type(error).__name__)
    try:
        sender.send(result)
    except MemoryError:
        sender.send(("memory", None))
    finally:
        sender.close()


def translating(locale: str):
    """A request context with only Babel, so messages come out in the uploader's language."""
    from flask import Flask
    from flask_babel import Babel

    app = Flask("app", root_path=str(Path(__file__).resolve().parents[1]))
    Babel(app, locale_selector=lambda: locale)
    return app.test_request_context()
