"""How many certificate PDFs one core renders per second, next to a baseline in the same run.

Baseline: a one-line reportlab page with a built-in font (the cheapest PDF reportlab makes).
Target (issue "Certificates"): at least 20 certificates a second.

    python bench/certificate_pdf.py [N]
"""
import io
import sys
import time
from datetime import datetime
from types import SimpleNamespace

from reportlab.pdfgen import canvas

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from app import create_app  # noqa: E402
from app.certificates.pdf import render_certificate_pdf  # noqa: E402
from app.certificates.poster import render_poster_png  # noqa: E402


def baseline() -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, invariant=1)
    c.drawString(100, 700, "Hello")
    c.showPage()
    c.save()
    return buffer.getvalue()


def rate(render, n: int) -> float:
    render()  # warm-up: font loading and subsetting caches
    start = time.perf_counter()
    for _ in range(n):
        render()
    return n / (time.perf_counter() - start)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"})
    certificate = SimpleNamespace(
        code="Qm9vdHN0cmFwLWJlbmNobWFyay0x", learner_name="宝妈小林 Lin Xiaomei",
        course_title={"zh": "社群搭建与运营", "en": "Group building"},
        issued_at=datetime(2026, 11, 21, 9, 30), revoked_at=None)
    url = "https://academy.example.com/verify/" + certificate.code
    with app.app_context():
        base = rate(baseline, n)
        pdf = rate(lambda: render_certificate_pdf(certificate, url), n)
        png = rate(lambda: render_poster_png(certificate, url), max(20, n // 10))
        size = len(render_certificate_pdf(certificate, url))
    print(f"baseline one-line PDF : {base:8.1f} /s")
    print(f"certificate PDF       : {pdf:8.1f} /s  ({1000 / pdf:.1f} ms each, {size / 1024:.0f} KiB, "
          f"{pdf / base:.2f} x baseline; target >= 20 /s: {'met' if pdf >= 20 else 'NOT met'})")
    print(f"share poster PNG      : {png:8.1f} /s  ({1000 / png:.1f} ms each)")


if __name__ == "__main__":
    main()
