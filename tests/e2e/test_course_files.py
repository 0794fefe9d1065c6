"""A trainer uploads hostile course zips to the portal served by gunicorn: each is refused
with its file:line reason in a moment, and the same worker goes on serving."""
import io
import time
import zipfile

from tests.e2e.conftest import ROOT, screenshot
from tests.e2e.test_authoring import TRAINER, log_in

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"


def zipped(folder, slug=None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.md")):
            archive.writestr(f"{slug or folder.name}/{path.relative_to(folder).as_posix()}",
                             path.read_bytes())
    return out.getvalue()


def upload(page, base, name, data):
    page.goto(base + "/author/import")
    page.set_input_files("#archive", files=[{"name": name, "mimeType": "application/zip",
                                             "buffer": data}])
    started = time.monotonic()
    page.get_by_role("button", name="检查压缩包").click()
    page.wait_for_load_state()
    return time.monotonic() - started


def test_hostile_zips_are_refused_and_the_worker_carries_on(page, server, viewport):
    base = server.base_url
    log_in(page, base, *TRAINER)
    for name, where, reason in [
            # The trainer reads Chinese: so do the reasons.
            ("alias-bomb", "alias-bomb/01-only/01-lesson.en.md:3", "YAML 锚点（&a）"),
            ("merge-key", "merge-key/01-only/01-lesson.en.md:3", "YAML 合并键（<<）"),
            ("deep-nesting", "deep-nesting/01-only/01-lesson.en.md:2", "嵌套超过了 10 层")]:
        seconds = upload(page, base, f"{name}.zip", zipped(HOSTILE / name))
        problems = page.locator(".problems").inner_text()
        assert where in problems and reason in problems, problems
        assert seconds < 10, f"{name}: {seconds:.1f} s"  # the fork server's first start included
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width
    screenshot(page, "hostile-zip-refused")
    # The worker was not killed: an ordinary zip goes on to the preview.
    course = HOSTILE / "merge-key"
    files = {p.relative_to(course).as_posix(): p.read_bytes() for p in course.rglob("*.md")}
    files["01-only/01-lesson.en.md"] = b"---\ntitle: A fine lesson\n---\nText.\n"
    files["course.md"] = files["course.md"].replace(b"slug: merge-key", f"slug: fine-{viewport}".encode())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in sorted(files.items()):
            archive.writestr(f"fine-{viewport}/{path}", data)
    upload(page, base, "fine.zip", out.getvalue())
    assert "/author/import/" in page.url, page.content()[:2000]
