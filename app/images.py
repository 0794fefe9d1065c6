"""Shareable images (certificate and invite posters): text in any script and QR codes, Pillow."""
from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .fonts import FontFile, runs


@lru_cache(maxsize=64)
def pil_font(path: str, size: int):
    return ImageFont.truetype(path, size, index=0) if path else ImageFont.load_default(size)


def centered_text(draw: ImageDraw.ImageDraw, width: int, text: str, y: int, size: int,
                  files: tuple[FontFile, ...], fill: str, margin: int = 60) -> None:
    """One line centred, shrunk to fit, each character in the first font that has it."""
    pieces = [(pil_font(font.path, size), piece) for font, piece in runs(text, files)]
    total = sum(draw.textlength(piece, font=font) for font, piece in pieces)
    if total > width - 2 * margin and size > 10:
        return centered_text(draw, width, text, y, int(size * (width - 2 * margin) / total),
                             files, fill, margin)
    x = (width - total) / 2
    for font, piece in pieces:
        draw.text((x, y), piece, font=font, fill=fill)
        x += draw.textlength(piece, font=font)


def qr_image(data: str, size: int) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12, border=2)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").convert("RGB").resize(
        (size, size), Image.NEAREST)


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
