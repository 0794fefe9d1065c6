"""Uploaded images: judged by their bytes, never by their name, and re-encoded.

Re-encoding with Pillow drops EXIF (phone photos carry GPS positions), colour-profile tricks
and anything appended after the image data; what we store is only pixels we decoded.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..practice import hooks as practice_hooks
from .svg import SvgRejected, check_svg, looks_like_svg

FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"),
           "GIF": ("image/gif", "gif"), "WEBP": ("image/webp", "webp")}
SAME_AS = {"MPO": "JPEG"}  # phones' multi-picture JPEGs: the first picture is an ordinary JPEG
MAX_PIXELS = 25_000_000  # a decompression bomb is refused before it is decoded
MAX_SIDE = 2400  # wider than any phone; bigger pictures are scaled down


class ImageRejected(ValueError):
    """The upload is not an image we accept; the message is for the trainer."""

    line = 1  # where in the file (an SVG's line); pictures are judged whole


@dataclass
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


METADATA = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "iptc")


def accept_image(data: bytes) -> CleanImage:
    """An image from a course folder or zip: checked like an upload, but kept byte for byte
    when it carries no metadata, so export → import → export gives identical files."""
    return clean_image(data, reencode=False)


def clean_image(data: bytes, reencode: bool = True) -> CleanImage:
    """Decode, check and re-encode an uploaded image (raises ImageRejected).

    With reencode=False the original bytes come back when they hold no metadata (EXIF, XMP,
    comments); otherwise the image is re-encoded."""
    if not data:
        raise ImageRejected(_("The file is empty."))
    if looks_like_svg(data):
        return _svg(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = SAME_AS.get(probe.format, probe.format)
                if kind not in FORMATS:
                    raise ImageRejected(_("Only PNG, JPEG, GIF and WebP images can be used."))
                if probe.width * probe.height > MAX_PIXELS:
                    raise ImageRejected(_("The picture has too many pixels (at most 25 million)."))
                probe.verify()  # structure check; the image must be reopened afterwards
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                if not reencode and kind == image.format and max(image.size) <= MAX_SIDE \
                        and not any(key in image.info for key in METADATA):
                    content_type, extension = FORMATS[kind]
                    return CleanImage(data, content_type, extension, image.width, image.height)
                image = ImageOps.exif_transpose(image)  # keep the photo upright, lose the EXIF
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                return _encode(image, kind)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise ImageRejected(_("This is not an image we can read (PNG, JPEG, GIF or WebP).")) from None
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected(_("The image is damaged or incomplete.")) from None


def _svg(data: bytes) -> CleanImage:
    try:
        width, height = check_svg(data)
    except SvgRejected as error:
        rejected = ImageRejected(str(error))
        rejected.line = error.line
        raise rejected from None
    return CleanImage(data, "image/svg+xml", "svg", width, height)


def _encode(image: Image.Image, kind: str) -> CleanImage:
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif kind == "GIF":
        image.save(out, "GIF")  # first frame only: lessons don't need animation
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=85)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    content_type, extension = FORMATS[kind]
    return CleanImage(out.getvalue(), content_type, extension, image.width, image.height)


@practice_hooks.clean_photo.provide  # a learner's assignment pictures go through here too
def clean_photo(data: bytes) -> tuple[bytes, str, int, int]:
    """A learner's picture: PNG, JPEG, GIF or WebP only (no SVG: it is a document), always
    re-encoded. Raises ImageRejected (a ValueError) with the reason."""
    if looks_like_svg(data):
        raise ImageRejected(_("Only PNG, JPEG, GIF and WebP images can be used."))
    image = clean_image(data, reencode=True)
    return image.data, image.content_type, image.width, image.height
