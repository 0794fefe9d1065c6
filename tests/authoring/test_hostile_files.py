"""Course files cannot exhaust the server: YAML expansions, oversize files, duplicate zip
entries and over-budget checks are refused quickly, with a message, on every road in."""
import html
import io
import random
import subprocess
import sys
import time
import tracemalloc
import unicodedata
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.authoring.cli import check_command
from app.authoring.files import write_zip
from app.content import ContentError, split_front_matter
from app.extensions import db
from app.learning.models import Lesson
from tests.authoring.test_transfer import upload_zip
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"
# file:line: and the reason each hostile front matter must be refused with
REFUSALS = {
    "alias-bomb": ("alias-bomb/01-only/01-lesson.en.md:3:", "anchors (&a) are not allowed"),
    "merge-key": ("merge-key/01-only/01-lesson.en.md:3:", "merge keys (<<) are not allowed"),
    "deep-nesting": ("deep-nesting/01-only/01-lesson.en.md:2:", "nested more than"),
}
SECONDS, PEAK_BYTES = 1.0, 20 * 1024 * 1024


class Budget:
    """CPU time of this thread and Python allocations (tracemalloc peak) of the block. CPU
    time, not wall time: the work is the same on a loaded machine, and a check that loops or
    backtracks spends it all the same."""

    def __enter__(self):
        tracemalloc.start()
        self.started = time.thread_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.thread_time() - self.started
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    def check(self):
        assert self.seconds < SECONDS, f"took {self.seconds:.2f} s of CPU"
        assert self.peak < PEAK_BYTES, f"peak {self.peak / 2**20:.1f} MiB"


def hostile_zip(name: str) -> bytes:
    folder = HOSTILE / name
    files = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
             for p in sorted(folder.rglob("*.md"))}
    from app.authoring.files import FileSet
    return write_zip(name, FileSet(files, {}))


def lesson_count(app):
    with unit_of_work(app):
        return db.session.scalar(select(func.count()).select_from(Lesson))


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_check_refuses_hostile_front_matter_within_budget(name):
    where, reason = REFUSALS[name]
    with Budget() as budget:
        result = CliRunner().invoke(check_command, [str(HOSTILE / name)])
    budget.check()
    assert result.exit_code == 1
    assert f"{where} error:" in result.output and reason in result.output


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_flask_courses_import_refuses_hostile_front_matter_within_budget(app, runner, name):
    where, reason = REFUSALS[name]
    with unit_of_work(app):
        db.session.remove()
    with Budget() as budget:
        result = runner.invoke(args=["courses", "import", str(HOSTILE / name)])
    budget.check()
    assert result.exit_code != 0
    assert where in result.output and reason in result.output
    assert lesson_count(app) == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_zip_upload_refuses_hostile_front_matter_within_budget(app, trainer, name):
    where, reason = REFUSALS[name]
    data = hostile_zip(name)
    assert len(data) < 8000
    upload_zip(trainer, hostile_zip("merge-key"))  # the fork server is started once per worker
    before = lesson_count(app)
    with Budget() as budget:
        response = upload_zip(trainer, data)
    budget.check()
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f"<code>{where.rstrip(':')}</code>" in page and reason in page
    assert lesson_count(app) == before


@pytest.mark.slow
def test_the_command_line_checker_says_file_line_error():
    result = subprocess.run([sys.executable, "-m", "app.authoring.check",
                             str(HOSTILE / "alias-bomb")], capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).parents[2])
    assert result.returncode == 1
    assert "alias-bomb/01-only/01-lesson.en.md:3: error: YAML anchors" in result.stdout


@pytest.mark.parametrize("front, line, reason", [
    ("title: *a", 2, "aliases (*a) are not allowed"),
    ("title: &a x\nminutes: 3", 2, "anchors (&a) are not allowed"),
    ("title: x\nminutes:\n  - &b 1", 4, "anchors (&b)"),
    ("title:\n  <<: {zh: x}", 3, "merge keys"),
    ("title: " + "{a: " * 11 + "x" + "}" * 11, 2, "nested more than 10 levels"),
    ("title: x\n# " + "y" * 17000, 1, "larger than 16 KiB"),
])
def test_front_matter_refusals_say_where(front, line, reason):
    with pytest.raises(ContentError) as error:
        split_front_matter(f"---\n{front}\n---\nbody\n", "x.md", {"title", "minutes"})
    assert error.value.line == line and reason in error.value.reason


def test_ordinary_front_matter_still_reads():
    fm = split_front_matter("---\ntitle:\n  zh: 标题\n  en: \"<<\"\n---\nbody\n", "x.md", {"title"})
    assert fm.data == {"title": {"zh": "标题", "en": "<<"}} and fm.line_of("title") == 2


# Oversize files: the zip's limits hold for folders and `flask courses import` too.

def oversize_course(tmp_path: Path, lesson_bytes: int) -> Path:
    import shutil

    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses" / "gamma", root / "gamma")
    lesson = root / "gamma" / "01-start" / "01-intro.zh.md"
    head = lesson.read_text(encoding="utf-8")
    lesson.write_text(head + "\n\n" + ("大" * 60 + "\n\n") * (lesson_bytes // 182 + 1),
                      encoding="utf-8")
    return lesson.relative_to(root).as_posix()


def test_a_10_mb_lesson_is_refused_by_import_and_check(app, runner, tmp_path):
    name = oversize_course(tmp_path, 10 * 1024 * 1024)
    with Budget() as budget:
        result = runner.invoke(args=["courses", "import", str(tmp_path / "courses")])
    budget.check()  # refused from the file's size, never read
    assert result.exit_code != 0
    assert f"{name}:1: the file is 10 MiB; lesson and quiz files may be at most 256 KiB" \
        in result.output
    assert lesson_count(app) == 0
    checked = CliRunner().invoke(check_command, [str(tmp_path / "courses")])
    assert checked.exit_code == 1 and f"{name}:1: error: the file is 10 MiB" in checked.output


def test_the_file_limit_is_a_setting(app, runner, tmp_path, monkeypatch):
    name = oversize_course(tmp_path, 40 * 1024)
    assert runner.invoke(args=["courses", "import", str(tmp_path / "courses")]).exit_code == 0
    app.config["COURSE_FILE_MAX_BYTES"] = "32768"
    result = runner.invoke(args=["courses", "import", str(tmp_path / "courses")])
    assert result.exit_code != 0 and f"{name}:1:" in result.output and "32 KiB" in result.output
    monkeypatch.setenv("COURSE_FILE_MAX_BYTES", "32768")  # the checker reads the environment
    assert CliRunner().invoke(check_command, [str(tmp_path / "courses")]).exit_code == 1


def test_too_many_files_in_a_folder_are_refused_before_reading(app, runner, tmp_path):
    oversize_course(tmp_path, 10)
    app.config["COURSE_MAX_FILES"] = "5"
    result = runner.invoke(args=["courses", "import", str(tmp_path / "courses")])
    assert result.exit_code != 0 and "more than 5 course files" in result.output


def test_an_oversize_lesson_in_a_zip_is_refused_with_its_name(app, trainer):
    data = write_zip("gamma", __import__("app.authoring.files", fromlist=["read_folder"])
                     .read_folder(FIXTURES / "courses" / "gamma"))
    archive = zipfile.ZipFile(io.BytesIO(data))
    files = {i.filename: archive.read(i) for i in archive.infolist()}
    files["gamma/01-start/01-big.zh.md"] = b"---\ntitle: x\n---\n" + b"y" * (300 * 1024)
    response = upload_zip(trainer, zip_bytes(files.items()))
    assert response.status_code == 422
    assert "gamma/01-start/01-big.zh.md" in response.get_data(as_text=True)
    assert "at most 256 KiB" in response.get_data(as_text=True)


@pytest.mark.slow
def test_a_draft_cannot_grow_past_the_file_limit(app, trainer):
    text, revision = trainer.open("alpha", "01-basics/01-first.zh.md")
    response = trainer.save("alpha", "01-basics/01-first.zh.md", text + "字" * 100_000, revision)
    assert response.status_code == 413


# Duplicate entries: names one file system would take for the same file.

def zip_bytes(entries) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name), data)
    return out.getvalue()


COURSE = (FIXTURES / "courses" / "gamma" / "course.md").read_bytes()
MODULE = (FIXTURES / "courses" / "gamma" / "01-start" / "module.md").read_bytes()
LESSON = b"---\ntitle: x\n---\ntext\n"
CAFE_NFC, CAFE_NFD = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")


@pytest.mark.parametrize("second", [
    "gamma/01-start/01-one.zh.md",  # the same name twice
    "gamma/01-start/01-ONE.zh.md",  # differs only in case
    "GAMMA/01-start/01-one.zh.md",
], ids=["exact", "case", "case-folder"])
def test_duplicate_entries_in_a_zip_are_refused(app, trainer, second):
    import warnings

    entries = [("gamma/course.md", COURSE), ("gamma/01-start/module.md", MODULE),
               ("gamma/01-start/01-one.zh.md", LESSON), (second, LESSON + b"other")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is told to write
        data = zip_bytes(entries)
    response = upload_zip(trainer, data)
    assert response.status_code == 422
    assert "twice" in response.get_data(as_text=True)


def test_names_that_differ_only_in_unicode_normalisation_are_one_file(app, trainer):
    entries = [("gamma/course.md", COURSE), ("gamma/01-start/module.md", MODULE),
               (f"gamma/01-start/{CAFE_NFC}.png", b"a"), (f"gamma/01-start/{CAFE_NFD}.png", b"b")]
    response = upload_zip(trainer, zip_bytes(entries))
    assert response.status_code == 422 and "twice" in response.get_data(as_text=True)


def test_a_folder_entry_clashing_with_a_file_is_refused(app, trainer):
    entries = [("gamma/course.md", COURSE), ("gamma/01-start/module.md", MODULE),
               ("gamma/01-start/01-one.zh.md", LESSON), ("gamma/01-start/01-one.zh.md/", b"")]
    response = upload_zip(trainer, zip_bytes(entries))
    assert response.status_code == 422
    assert "both a file and a folder" in response.get_data(as_text=True)


# The budget: a check over time or memory is stopped and refused; the worker carries on.

def good_zip() -> bytes:
    from app.authoring.files import read_folder
    return write_zip("gamma", read_folder(FIXTURES / "courses" / "gamma"))


def test_a_check_over_its_time_budget_is_stopped_with_a_message(app, trainer):
    app.config["COURSE_CHECK_SECONDS"] = "0.001"
    response = upload_zip(trainer, good_zip())
    assert response.status_code == 413
    assert "took longer than 0.001 seconds" in response.get_data(as_text=True)
    app.config["COURSE_CHECK_SECONDS"] = None
    assert upload_zip(trainer, good_zip()).status_code == 302  # the worker is fine


def test_a_check_over_its_memory_budget_is_stopped_with_a_message(app, trainer):
    app.config["COURSE_CHECK_MEMORY_MB"] = "40"  # less than the checker itself needs
    # A lesson near the size limit: reading it needs fresh memory whatever the child happens
    # to have free already (a small course can fit in what the fork server left over).
    from app.authoring.files import FileSet, read_folder

    files = read_folder(FIXTURES / "courses" / "gamma").files
    words = random.Random(7).choices(["group", "member", "welcome", "rules", "coupon", "order",
                                      "friend", "event", "price", "trust"], k=30000)
    files["01-start/01-intro.en.md"] += "\n" + " ".join(f"{w}{i % 97}" for i, w in enumerate(words))
    response = upload_zip(trainer, write_zip("gamma", FileSet(files, {})))
    assert response.status_code == 413
    assert "more than 40 MiB of memory" in response.get_data(as_text=True)
    app.config["COURSE_CHECK_MEMORY_MB"] = None
    assert upload_zip(trainer, good_zip()).status_code == 302


def test_budget_refusals_are_in_the_uploaders_language(app, trainer):
    app.config["COURSE_CHECK_SECONDS"] = "0.001"
    trainer.client.set_cookie("lang", "zh")
    with unit_of_work(app):
        from app.accounts.models import User
        user = db.session.scalar(select(User).where(User.email == "trainer@example.com"))
        user.locale = "zh"
        db.session.commit()
    page = upload_zip(trainer, good_zip()).get_data(as_text=True)
    assert "秒" in page



# Markdown built to make the renderer slow or deep (Python-Markdown rescans from every '['
# and '<' of a paragraph: 16,000 '[' took 30 s; a few hundred nesting levels hit the
# recursion limit). Each must be refused quickly with its line, on every road.
HOSTILE_BODIES = {
    "brackets": ("Intro.\n\n" + "[" * 20_000 + "\n", 3, "'[' and '<' in one paragraph"),
    "autolinks": ("<http://a" * 5_000 + "\n", 1, "'[' and '<' in one paragraph"),
    "images": ("![" * 10_000 + "\n", 1, "'[' and '<' in one paragraph"),
    "many-paragraphs": ("".join("[a] " * 150 + "\n\n" for _ in range(20)), 27,
                        "'[' and '<' in one file"),
    "tab-nested-list": ("".join("\t" * depth + "- item\n" for depth in range(400)), 21,
                        "nested more than 20 levels"),
    "one-line-nesting": ("- " * 1_000 + "x\n", 1, "nested more than 20 levels"),
    "quote-nesting": ("> " * 500 + "x\n", 1, "nested more than 20 levels"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_markdown_is_refused_quickly_with_its_line(name):
    from app.content import render_markdown

    body, line, reason = HOSTILE_BODIES[name]
    with Budget() as budget:
        rendered = render_markdown(body)
    budget.check()
    assert rendered.html == "" and len(rendered.problems) == 1
    assert rendered.problems[0][0] == line and reason in rendered.problems[0][1]


@pytest.mark.parametrize("name", ["brackets", "tab-nested-list"])
def test_courses_check_refuses_hostile_markdown_within_budget(tmp_path, name):
    import shutil

    body, line, reason = HOSTILE_BODIES[name]
    course = tmp_path / "alias-bomb"
    shutil.copytree(HOSTILE / "alias-bomb", course)
    (course / "01-only" / "01-lesson.en.md").write_text("---\ntitle: Hi\n---\n" + body)
    with Budget() as budget:
        result = CliRunner().invoke(check_command, [str(course)])
    budget.check()
    assert result.exit_code == 1
    assert f"alias-bomb/01-only/01-lesson.en.md:{line + 3}: error:" in result.output, result.output
    assert reason in result.output


def test_code_may_hold_any_number_of_brackets():
    from app.content import render_markdown

    code = "```html\n" + "<b>[x]</b>\n" * 3_000 + "```\n"
    rendered = render_markdown(code)
    assert rendered.problems == [] and "&lt;b&gt;[x]&lt;/b&gt;" in rendered.html


def test_a_number_python_cannot_hold_is_a_front_matter_error():
    with pytest.raises(ContentError) as refused:
        split_front_matter("---\ntitle: Hi\nminutes: " + "9" * 5_000 + "\n---\nText\n",
                           "x.md", {"title", "minutes"})
    assert refused.value.line == 3 and "cannot be read" in refused.value.reason


def test_a_damaged_zip_is_refused_as_damaged_not_as_too_big(app, trainer):
    """A check that breaks for any reason other than memory says the file is unreadable."""
    data = bytearray(hostile_zip("alias-bomb"))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.infolist()[-1]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start] ^= 0xFF  # one byte of the last file's data: its CRC no longer matches
    response = upload_zip(trainer, bytes(data))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code in (400, 413, 422)
    assert "could not be read to the end" in page and "memory" not in page


@pytest.mark.parametrize("fence", ["```\n", "    ```\n", "~~~\n", "```python\n", " ```\n"])
def test_an_unclosed_or_indented_fence_hides_nothing_from_the_count(fence):
    """Only a block Python-Markdown itself takes for code is left out of the count: a lone
    "```" or an indented one is plain text, and the brackets after it are counted."""
    from app.content import render_markdown

    with Budget() as budget:
        rendered = render_markdown(fence + "[" * 16_000 + "\n")
    budget.check()
    assert rendered.problems and "'[' and '<'" in rendered.problems[0][1]


def test_a_checklist_block_is_counted_too():
    from app.content import render_markdown

    rendered = render_markdown("```checklist\n- one: " + "[" * 5_000 + "\n```\n")
    assert rendered.problems and "'[' and '<'" in rendered.problems[0][1]


def test_thousands_of_fence_lines_are_refused_before_any_pattern_runs():
    from app.content import render_markdown

    with Budget() as budget:
        rendered = render_markdown("~~~x\n" * 10_000)
    budget.check()
    assert rendered.problems and "code fence lines" in rendered.problems[0][1]
