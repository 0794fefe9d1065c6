"""Courses in and out as files: zips, folders, `flask courses check/export`, images, storage."""
import io
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.authoring.files import ArchiveRejected, read_zip, write_zip
from app.authoring.models import CourseVersion, StagedImport, StoredFile
from app.extensions import db
from tests.conftest import FIXTURES

LESSON = "01-basics/01-first.zh.md"


def png(width=40, height=30, exif=False) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {2: (31.0, 14.0, 0.0)}  # GPS latitude
        image.save(out, "JPEG", exif=data.tobytes())
    else:
        image.save(out, "PNG")
    return out.getvalue()


def counts(app):
    with unit_of_work(app):
        return (db.session.scalar(select(func.count()).select_from(StagedImport)),
                db.session.scalar(select(func.count()).select_from(CourseVersion)))


def upload_zip(trainer, data: bytes, name="course.zip"):
    return trainer.client.post("/author/import", data={
        "csrf_token": trainer.token(), "archive": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def apply(trainer, location):
    import re

    page = trainer.client.get(location).get_data(as_text=True)
    base = re.search(r'name="base" value="(\d+)"', page).group(1)
    return trainer.client.post(location, data={"csrf_token": trainer.token(), "base": base})


def test_export_import_export_gives_identical_files(app, trainer):
    first = trainer.client.get("/author/courses/gamma/export.zip")
    assert first.status_code == 200 and first.mimetype == "application/zip"
    staged = upload_zip(trainer, first.data)
    assert staged.status_code == 302
    preview = trainer.client.get(staged.headers["Location"]).get_data(as_text=True)
    assert "No lesson or question changes" in preview
    applied = apply(trainer, staged.headers["Location"])
    assert applied.status_code == 302
    assert "Nothing changed" in trainer.client.get("/author/courses/gamma").get_data(as_text=True)
    second = trainer.client.get("/author/courses/gamma/export.zip")
    assert second.data == first.data  # byte for byte, zip included


def test_the_import_preview_lists_lessons_and_questions_that_change(app, client, trainer):
    exported = zipfile.ZipFile(io.BytesIO(trainer.client.get("/author/courses/gamma/export.zip").data))
    files = {i.filename: exported.read(i) for i in exported.infolist()}
    files["gamma/01-start/02-added.zh.md"] = "---\ntitle: 新课\n---\n新内容\n".encode()
    intro = files["gamma/01-start/01-intro.en.md"].decode()
    files["gamma/01-start/01-intro.en.md"] = (intro + "\nMore.\n").encode()
    del files["gamma/02-next/01-more.en.md"]
    files["gamma/02-next/02-other.en.md"] = b"---\ntitle: Other\n---\nText\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    before = counts(app)
    staged = upload_zip(trainer, out.getvalue())
    assert counts(app)[1] == before[1]  # staging publishes nothing
    preview = trainer.client.get(staged.headers["Location"]).get_data(as_text=True)
    assert "added" in preview and "intro" in preview and "more" in preview and "other" in preview
    assert apply(trainer, staged.headers["Location"]).status_code == 302
    assert counts(app)[1] == before[1] + 1


def zip_of(entries) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


COURSE_MD = (FIXTURES / "courses" / "alpha" / "course.md").read_bytes()
REGULAR = stat.S_IFREG | 0o644


@pytest.mark.parametrize("entries, reason", [
    ([("alpha/course.md", COURSE_MD, REGULAR), ("alpha/../../etc/evil.md", b"x", REGULAR)],
     "outside the course folder"),
    ([("/alpha/course.md", COURSE_MD, REGULAR)], "absolute path"),
    ([("alpha/course.md", COURSE_MD, REGULAR), ("alpha/link.md", b"/etc/passwd", stat.S_IFLNK | 0o777)],
     "symbolic link"),
    ([("alpha/course.md", COURSE_MD, REGULAR), ("alpha/01-a/bomb.md", b"\0" * 50_000_000, REGULAR)],
     "zip bomb"),
    ([("notes.txt", b"hello", REGULAR)], "no course.md"),
])
def test_hostile_zips_are_refused_without_touching_the_database(app, trainer, entries, reason):
    data = zip_of(entries)
    before = counts(app)
    response = upload_zip(trainer, data)
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert counts(app) == before


def test_a_zip_whose_headers_lie_about_sizes_is_still_capped():
    data = bytearray(zip_of([("c/course.md", COURSE_MD, REGULAR),
                             ("c/01-a/x.md", b"a" * 2_000_000, REGULAR)]))
    # Rewrite both size fields of the big entry to claim 10 bytes.
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("c/01-a/x.md")
    for offset in (info.header_offset + 22, data.rfind(b"PK\x01\x02") + 24):
        data[offset:offset + 4] = (10).to_bytes(4, "little")
    with pytest.raises((ArchiveRejected, zipfile.BadZipFile)):
        read_zip(bytes(data), max_total=10_000_000, max_image=1_000_000)


def test_not_a_zip_and_too_big_zip(app, trainer):
    assert upload_zip(trainer, b"not a zip at all").status_code == 422
    app.config["COURSE_ZIP_MAX_BYTES"] = 1000
    response = upload_zip(trainer, b"x" * 200_000)
    assert response.status_code == 413


def test_a_zip_with_errors_lists_them_by_file_and_line(app, trainer):
    data = zip_of([("c/course.md", b"---\ntitle:\n  zh: x\n  en: y\nslug: bad slug\n---\n", REGULAR)])
    response = upload_zip(trainer, data)
    assert response.status_code == 422
    assert "course.md:5" in response.get_data(as_text=True)


def test_zip_for_a_course_the_trainer_may_not_edit_is_refused(app, trainer, make_user):
    from app.authoring.files import FileSet, read_folder

    fileset: FileSet = read_folder(FIXTURES / "courses" / "beta")
    response = upload_zip(trainer, write_zip("beta", fileset))
    assert response.status_code == 403


def test_image_upload_is_sniffed_stripped_and_served(app, client, learner, trainer):
    upload = trainer.client.post("/author/courses/alpha/images", data={
        "csrf_token": trainer.token(), "module": "01-basics",
        "image": (io.BytesIO(png(exif=True)), "holiday.png")},  # a JPEG, whatever the name
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert upload.status_code == 200, upload.get_data(as_text=True)
    path = upload.json["path"]
    assert path.startswith("01-basics/holiday-") and path.endswith(".jpg")
    with unit_of_work(app):
        stored = db.session.scalar(select(StoredFile))
        assert stored.content_type == "image/jpeg"
        from app.authoring.storage import media_storage
        data = media_storage().get(stored.sha256)
    assert Image.open(io.BytesIO(data)).getexif() == {}  # no camera, no GPS

    trainer.edit("alpha", LESSON, lambda t: t + f"\n\n{upload.json['markdown']}\n")
    assert trainer.publish("alpha").status_code == 302
    page = client.get("/courses/alpha/first").get_data(as_text=True)
    src = f"/media/{stored.sha256}.jpg"
    assert src in page
    served = client.get(src)
    assert served.status_code == 200 and served.data == data and served.mimetype == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"]
    # Exported and imported again, the image comes back byte for byte.
    exported = trainer.client.get("/author/courses/alpha/export.zip").data
    assert zipfile.ZipFile(io.BytesIO(exported)).read(f"alpha/{path}") == data


@pytest.mark.parametrize("payload, name, code", [
    (b"<svg onload=alert(1)>", "x.png", 422),
    (b"GIF89a" + b"\0" * 20, "broken.gif", 422),
    (b"", "empty.png", 422),
])
def test_non_images_are_refused(app, trainer, payload, name, code):
    response = trainer.client.post("/author/courses/alpha/images", data={
        "csrf_token": trainer.token(), "module": "01-basics", "image": (io.BytesIO(payload), name)},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.status_code == code and response.json["message"]


def test_oversized_upload_is_413(app, trainer):
    app.config["IMAGE_MAX_BYTES"] = 10_000
    response = trainer.client.post("/author/courses/alpha/images", data={
        "csrf_token": trainer.token(), "module": "01-basics",
        "image": (io.BytesIO(b"\x89PNG" + b"0" * 200_000), "big.png")},
        content_type="multipart/form-data")
    assert response.status_code == 413


def test_media_needs_a_signed_in_user_and_a_known_digest(app, client, trainer):
    assert client.get("/media/" + "a" * 64 + ".png").status_code == 302  # to login
    assert trainer.client.get("/media/" + "a" * 64 + ".png").status_code == 404
    assert trainer.client.get("/media/../../etc/passwd").status_code == 404


def run_check(*args):
    return subprocess.run([sys.executable, "-m", "app.authoring.check", *args],
                          capture_output=True, text=True, cwd=Path(__file__).parents[2])


def test_courses_check_lints_like_a_compiler(tmp_path):
    import shutil

    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", root)
    lesson = root / "alpha" / "01-basics" / "01-first.zh.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n[下一课](03-nope.zh.md)\n\n"
                      "![图](missing.png)\n", encoding="utf-8")
    quiz = root / "gamma" / "01-start" / "quiz.en.md"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("pass_mark: ", "pass_mark: 1"),
                    encoding="utf-8")
    (root / "alpha" / "course.md").write_text(
        (root / "alpha" / "course.md").read_text(encoding="utf-8").replace("title:", "titel: x\ntitle:"),
        encoding="utf-8")
    result = run_check(str(root))
    assert result.returncode == 1
    out = result.stdout
    assert "alpha/course.md:" in out and "unknown key 'titel'" in out
    assert "01-first.zh.md:" in out and "broken link '03-nope.zh.md'" in out
    assert "broken image 'missing.png'" in out
    assert "gamma/01-start/quiz.en.md:" in out and "pass_mark" in out
    assert "warning: lesson 'english-only' has no zh version" in out


def test_courses_check_passes_the_shipped_curriculum_and_strict_fails_on_warnings():
    assert run_check("courses", "--strict").returncode == 0
    fixtures = run_check(str(FIXTURES / "courses"))
    assert fixtures.returncode == 0 and "warning" in fixtures.stdout
    assert run_check(str(FIXTURES / "courses"), "--strict").returncode == 1


def test_cli_export_then_import_then_export_is_identical(app, runner, imported, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    result = runner.invoke(args=["courses", "export", "gamma", str(first)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["courses", "import", str(first)]).exit_code == 0
    assert runner.invoke(args=["courses", "export", "gamma", str(second)]).exit_code == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes()
    # and the exported folder is what the source folder held
    for relative in files:
        assert (first / relative).read_bytes() == (imported / "gamma" / relative).read_bytes()
    refused = runner.invoke(args=["courses", "export", "gamma", str(first)])
    assert refused.exit_code != 0 and "not empty" in refused.output
    zipped = tmp_path / "gamma.zip"
    assert runner.invoke(args=["courses", "export", "gamma", str(zipped)]).exit_code == 0
    assert zipfile.ZipFile(zipped).namelist()[0].startswith("gamma/")


def test_local_and_s3_storage_round_trip(tmp_path):
    from app.authoring.storage import LocalStorage

    local = LocalStorage(str(tmp_path))
    local.put("ab" * 32, b"bytes")
    local.put("ab" * 32, b"bytes")
    assert local.get("ab" * 32) == b"bytes" and local.get("cd" * 32) is None

    moto = pytest.importorskip("moto", reason="moto (dev extra) provides an in-process S3")
    import boto3

    from app.authoring.storage import S3Storage

    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="lessons")
        store = S3Storage("lessons", region="us-east-1")
        store.put("ef" * 32, b"picture")
        assert store.get("ef" * 32) == b"picture" and store.get("00" * 32) is None


def test_s3_is_chosen_by_configuration(app, tmp_path, monkeypatch):
    from app import ConfigurationError, create_app

    monkeypatch.setenv("MEDIA_STORAGE", "s3")
    with pytest.raises(ConfigurationError, match="S3_BUCKET"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_zip_without_a_top_folder_or_slug_is_refused_and_a_folder_names_the_course(app, trainer):
    body = b"---\ntitle:\n  zh: x\n  en: y\n---\n"
    module = (b"---\ntitle:\n  zh: m\n  en: m\n---\n")
    lesson = b"---\ntitle: t\n---\ntext\n"
    flat = zip_of([("course.md", body, REGULAR), ("01-a/module.md", module, REGULAR),
                   ("01-a/01-b.zh.md", lesson, REGULAR)])
    refused = upload_zip(trainer, flat)
    assert refused.status_code == 422 and "slug" in refused.get_data(as_text=True)
    named = zip_of([("brand-new/course.md", body, REGULAR), ("brand-new/01-a/module.md", module, REGULAR),
                    ("brand-new/01-a/01-b.zh.md", lesson, REGULAR)])
    staged = upload_zip(trainer, named)
    assert staged.status_code == 302
    assert "brand-new" in trainer.client.get(staged.headers["Location"]).get_data(as_text=True)


def test_odd_zip_names_are_refused_not_crashed(app, trainer):
    clash = zip_of([("c/course.md", COURSE_MD, REGULAR), ("c/01-a.md", b"x", REGULAR),
                    ("c/01-a.md/x.md", b"y", REGULAR)])
    assert upload_zip(trainer, clash).status_code == 422
    long = zip_of([("c/course.md", COURSE_MD, REGULAR), ("c/" + "x" * 300 + ".md", b"y", REGULAR)])
    assert upload_zip(trainer, long).status_code == 422


def test_a_browser_import_keeps_unpublished_draft_edits_and_refuses_a_stale_preview(app, trainer):
    import re as re_

    zipped = trainer.client.get("/author/courses/gamma/export.zip").data
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    files = {i.filename: archive.read(i) for i in archive.infolist()}
    files["gamma/01-start/01-intro.en.md"] += b"\nFrom the zip.\n"
    files["gamma/01-start/01-intro.zh.md"] += "\n压缩包里的\n".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as new:
        for name, data in files.items():
            new.writestr(name, data)
    trainer.edit("gamma", "01-start/01-intro.zh.md", lambda t: t + "\n浏览器里的\n")
    staged = upload_zip(trainer, out.getvalue())
    location = staged.headers["Location"]
    page = trainer.client.get(location).get_data(as_text=True)
    base = re_.search(r'name="base" value="(\d+)"', page).group(1)
    stale = trainer.client.post(location, data={"csrf_token": trainer.token(), "base": "0"})
    assert stale.status_code == 303
    trainer.client.post(location, data={"csrf_token": trainer.token(), "base": base})
    assert "浏览器里的" in trainer.open("gamma", "01-start/01-intro.zh.md")[0]
    assert "From the zip." in trainer.open("gamma", "01-start/01-intro.en.md")[0]


def test_the_views_own_size_messages(app, trainer):
    app.config["IMAGE_MAX_BYTES"] = 10_000
    response = trainer.client.post("/author/courses/alpha/images", data={
        "csrf_token": trainer.token(), "module": "01-basics",
        "image": (io.BytesIO(png(400, 400) + b"0" * 20_000), "big.png")},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.status_code == 413 and "larger than" in response.json["message"]
