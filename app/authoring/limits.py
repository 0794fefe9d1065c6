"""How big a course may be, whatever road it comes in by (folder, `flask courses import`,
`courses check`, a zip upload, the browser draft): one set of limits, read from settings."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

KiB, MiB = 1024, 1024 * 1024


@dataclass(frozen=True)
class CourseLimits:
    text_bytes: int = 256 * KiB  # one lesson, quiz, module.md or course.md
    image_bytes: int = 5 * MiB  # one image (IMAGE_MAX_BYTES)
    files: int = 2000  # course files (Markdown and images) in one import
    images: int = 300  # each one is decoded to be checked: bound the work one import causes
    total_bytes: int = 100 * MiB  # everything together, unpacked
    path_chars: int = 200  # the database keeps 255
    ratio: int = 200  # compressed:uncompressed beyond this is a zip bomb, not a course
    check_seconds: float = 20.0  # a zip upload's checks, in a child process
    check_memory_bytes: int = 768 * MiB

    @classmethod
    def from_settings(cls, settings: Mapping) -> CourseLimits:
        """From the app's config or, without an app (`python -m app.authoring.check`), the
        environment: the same names either way (README, Configuration)."""
        def number(key: str, default, kind=int):
            value = settings.get(key)
            return default if value in (None, "") else kind(value)

        zip_bytes = number("COURSE_ZIP_MAX_BYTES", 20 * MiB)
        return cls(
            text_bytes=number("COURSE_FILE_MAX_BYTES", cls.text_bytes),
            image_bytes=number("IMAGE_MAX_BYTES", cls.image_bytes),
            files=number("COURSE_MAX_FILES", cls.files),
            total_bytes=number("COURSE_MAX_BYTES", 5 * zip_bytes),
            check_seconds=number("COURSE_CHECK_SECONDS", cls.check_seconds, float),
            check_memory_bytes=number("COURSE_CHECK_MEMORY_MB", cls.check_memory_bytes // MiB) * MiB,
        )

    def with_overrides(self, **changes) -> CourseLimits:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def current_limits() -> CourseLimits:
    """The app's limits inside an app context, the environment's outside one."""
    from flask import current_app, has_app_context

    return CourseLimits.from_settings(current_app.config if has_app_context() else os.environ)


def size_words(count: int) -> str:
    """'256 KiB', '5 MiB': limits the way people read them."""
    if count >= MiB:
        return f"{count / MiB:.1f}".removesuffix(".0") + " MiB"
    if count >= KiB:
        return f"{count / KiB:.0f} KiB"
    return f"{count} bytes"
