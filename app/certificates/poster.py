"""A phone-sized image (1080x1440 PNG) for WeChat Moments: course, name and a QR code."""
from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from flask import current_app
from PIL import Image, ImageDraw, ImageFont

from .fonts import font_files, runs

WIDTH, HEIGHT = 1080, 1440
BRAND, INK, MUTED, PAPER = "#d9480f", "#1f2328", "#5b6470", "#fff8f0"


@lru_cache(maxsize=64)
def _pil_font(path: str, size: int):
    if path:
        return ImageFont.truetype(path, size, index=0)
    return ImageFont.load_default(size)


def _centered(draw, text: str, y: int, size: int, files, fill=INK, max_width=WIDTH - 120):
    pieces = [(_pil_font(font.path, size), piece) for font, piece in runs(text, files)]
    total = sum(draw.textlength(piece, font=font) for font, piece in pieces)
    if total > max_width:
        return _centered(draw, text, y, int(size * max_width / total), files, fill, max_width)
    x = (WIDTH - total) / 2
    for font, piece in pieces:
        draw.text((x, y), piece, font=font, fill=fill)
        x += draw.textlength(piece, font=font)
    return size


def render_poster_png(certificate, url: str) -> bytes:
    files = font_files(current_app.config.get("CERTIFICATE_FONT"))
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 200], fill=BRAND)
    _centered(draw, current_app.config["ISSUER_NAME"], 70, 52, files, "#ffffff")
    _centered(draw, "我完成了培训 · I completed", 280, 44, files, MUTED)
    title = certificate.course_title
    _centered(draw, title.get("zh") or title.get("en", ""), 370, 76, files)
    if title.get("en") and title.get("zh"):
        _centered(draw, title["en"], 470, 44, files, MUTED)
    _centered(draw, certificate.learner_name, 580, 72, files, BRAND)
    _centered(draw, certificate.issued_at.strftime("%Y-%m-%d"), 690, 36, files, MUTED)
    if certificate.revoked_at is not None:
        _centered(draw, "已撤销 REVOKED", 760, 56, files, "#c92a2a")
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    code_image = qr.make_image(fill_color="black", back_color="white").convert("RGB")
    code_image = code_image.resize((460, 460), Image.NEAREST)
    image.paste(code_image, ((WIDTH - 460) // 2, 840))
    _centered(draw, "扫码验证真伪 · Scan to verify", 1330, 34, files, MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
