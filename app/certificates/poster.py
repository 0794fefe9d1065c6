"""A phone-sized image (1080x1440 PNG) for WeChat Moments: course, name and a QR code."""
from __future__ import annotations

from functools import lru_cache

from flask import current_app
from PIL import Image, ImageDraw

from ..fonts import font_files
from ..images import centered_text, png_bytes, qr_image

WIDTH, HEIGHT = 1080, 1440
BRAND, INK, MUTED, PAPER = "#d9480f", "#1f2328", "#5b6470", "#fff8f0"


def render_poster_png(certificate, url: str) -> bytes:
    files = font_files(current_app.config.get("CERTIFICATE_FONT"))
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)

    def line(text, y, size, fill=INK):
        centered_text(draw, WIDTH, text, y, size, files, fill)

    draw.rectangle([0, 0, WIDTH, 200], fill=BRAND)
    line(current_app.config["ISSUER_NAME"], 70, 52, "#ffffff")
    line("我完成了培训 · I completed", 280, 44, MUTED)
    title = certificate.course_title
    line(title.get("zh") or title.get("en", ""), 370, 76)
    if title.get("en") and title.get("zh"):
        line(title["en"], 470, 44, MUTED)
    line(certificate.learner_name, 580, 72, BRAND)
    line(certificate.issued_at.strftime("%Y-%m-%d"), 690, 36, MUTED)
    if certificate.revoked_at is not None:
        line("已撤销 REVOKED", 760, 56, "#c92a2a")
    image.paste(qr_image(url, 460), ((WIDTH - 460) // 2, 840))
    line("扫码验证真伪 · Scan to verify", 1330, 34, MUTED)
    return png_bytes(image)


@lru_cache(maxsize=1)
def not_found_png() -> bytes:
    """What a .png link with an unknown code gets: an image that says so."""
    files = font_files(current_app.config.get("CERTIFICATE_FONT"))
    image = Image.new("RGB", (WIDTH, 480), PAPER)
    draw = ImageDraw.Draw(image)
    centered_text(draw, WIDTH, "未找到这张证书", 160, 64, files, INK)
    centered_text(draw, WIDTH, "Certificate not found", 280, 48, files, MUTED)
    return png_bytes(image)
