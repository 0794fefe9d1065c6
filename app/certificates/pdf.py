"""The certificate as an A4 landscape PDF, rendered on demand from the database row."""
from __future__ import annotations

import io
from functools import lru_cache

from flask import current_app
import qrcode
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdfcanvas

from ..fonts import font_files, runs

BRAND = HexColor("#d9480f")
INK = HexColor("#1f2328")
MUTED = HexColor("#5b6470")


def _centered(c, text: str, y: float, size: float, files, color=INK, width=None) -> None:
    pieces = runs(text, files)
    total = sum(stringWidth(piece, font.name, size) for font, piece in pieces)
    page_width = width or landscape(A4)[0]
    if total > page_width - 120:  # long names and titles shrink instead of overflowing
        size = size * (page_width - 120) / total
        total = page_width - 120
    x = (page_width - total) / 2
    c.setFillColor(color)
    for font, piece in pieces:
        c.setFont(font.name, size)
        c.drawString(x, y, piece)
        x += stringWidth(piece, font.name, size)


def _left(c, text: str, x: float, y: float, size: float, files, color=MUTED) -> None:
    c.setFillColor(color)
    for font, piece in runs(text, files):
        c.setFont(font.name, size)
        c.drawString(x, y, piece)
        x += stringWidth(piece, font.name, size)


def _qr(c, url: str, x: float, y: float, size: float) -> None:
    """The QR code as one vector path (reportlab's QR widget builds a shape per module)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    cell = size / len(matrix)
    path = c.beginPath()
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                path.rect(x + col * cell, y + size - (row + 1) * cell, cell, cell)
    c.setFillColor(INK)
    c.drawPath(path, stroke=0, fill=1)


def render_certificate_pdf(certificate, url: str) -> bytes:
    """Same certificate, same bytes (reportlab's invariant mode fixes dates and ids)."""
    files = font_files(current_app.config.get("CERTIFICATE_FONT"))
    buffer = io.BytesIO()
    width, height = landscape(A4)
    c = pdfcanvas.Canvas(buffer, pagesize=(width, height), invariant=1, pageCompression=1)
    c.setTitle(f"Certificate {certificate.code}")
    c.setAuthor(current_app.config["ISSUER_NAME"])
    c.setStrokeColor(BRAND)
    c.setLineWidth(6)
    c.rect(24, 24, width - 48, height - 48)
    c.setLineWidth(1)
    c.rect(34, 34, width - 68, height - 68)

    title = certificate.course_title
    _centered(c, "结业证书", height - 110, 34, files, BRAND)
    _centered(c, "Certificate of Completion", height - 140, 16, files, MUTED)
    _centered(c, "兹证明 · This certifies that", height - 190, 14, files, MUTED)
    _centered(c, certificate.learner_name, height - 245, 36, files)
    _centered(c, "已完成课程 · has completed the course", height - 285, 14, files, MUTED)
    _centered(c, title.get("zh") or title.get("en", ""), height - 325, 24, files)
    if title.get("en") and title.get("zh"):
        _centered(c, title["en"], height - 352, 16, files)
    issued = certificate.issued_at.strftime("%Y-%m-%d")
    _left(c, f"颁发日期 Issued: {issued}", 70, 120, 12, files)
    _left(c, f"颁发机构 Issuer: {current_app.config['ISSUER_NAME']}", 70, 100, 12, files)
    _left(c, f"证书编号 Code: {certificate.code}", 70, 80, 12, files)
    _left(c, f"验证 Verify: {url}", 70, 60, 9, files)
    if certificate.revoked_at is not None:
        c.saveState()
        c.translate(width / 2, height / 2)
        c.rotate(20)
        _centered(c, "已撤销 REVOKED " + certificate.revoked_at.strftime("%Y-%m-%d"), 0, 40, files,
                  HexColor("#c92a2a"), width=0)
        c.restoreState()

    _qr(c, url, width - 70 - 120, 50, 120)
    c.showPage()
    c.save()
    return buffer.getvalue()


@lru_cache(maxsize=1)
def not_found_pdf() -> bytes:
    """What a .pdf link with an unknown code gets: a PDF that says so (same for every code)."""
    files = font_files(current_app.config.get("CERTIFICATE_FONT"))
    buffer = io.BytesIO()
    c = pdfcanvas.Canvas(buffer, pagesize=landscape(A4), invariant=1)
    c.setTitle("Certificate not found")
    _centered(c, "未找到这张证书 · Certificate not found", 330, 28, files)
    _centered(c, "请核对证书编号，或扫描证书上的二维码。 · Check the code, or scan the QR code on the certificate.",
              280, 14, files, MUTED)
    c.showPage()
    c.save()
    return buffer.getvalue()
