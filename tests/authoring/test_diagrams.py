"""SVG diagrams beside lessons: on a strict list or refused with file:line and the reason;
stored like other images, served as image/svg+xml with a policy of their own, shown with <img>."""
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.transactions import unit_of_work
from app.authoring.cli import check_command
from app.authoring.svg import MAX_BYTES
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[2]
SVGS = ROOT / "tests" / "fixtures" / "svg"
BLOCKS = ROOT / "tests" / "fixtures" / "lesson-blocks"

# Each hostile diagram, the line the checker must name and a phrase of its reason.
HOSTILE = {
    "script.svg": (3, "<script> is not allowed"),
    "onload.svg": (1, "The attribute onload on <svg> is not allowed"),
    "foreign-object.svg": (3, "<foreignObject> is not allowed"),
    "external-href.svg": (3, "may only point inside it"),
    "external-image.svg": (3, "<image> is not allowed"),
    "anchor.svg": (3, "<a> is not allowed"),
    "doctype-entities.svg": (2, "A DOCTYPE is not allowed"),
    "external-entity.svg": (2, "A DOCTYPE is not allowed"),
    "data-url.svg": (3, "fetches something"),
    "data-href.svg": (3, "may only point inside it"),
    "css-url.svg": (3, "fetches something"),
    "style-attribute.svg": (3, "The attribute style on <rect> is not allowed"),
    "style-element.svg": (3, "<style> is not allowed"),
    "stylesheet-pi.svg": (2, "processing instruction <?xml-stylesheet?>"),
    "no-viewbox.svg": (1, "needs a viewBox"),
    "css-escape.svg": (3, "has a backslash"),  # u\72 l( is url( to a browser
    "huge-viewbox.svg": (1, "viewBox numbers may be at most"),
}


def course_with(tmp_path, svg: bytes) -> Path:
    course = tmp_path / "lesson-blocks"
    shutil.copytree(BLOCKS, course)
    (course / "01-on-the-spot" / "three-steps.svg").write_bytes(svg)
    return course


def test_every_hostile_fixture_is_listed():
    assert {p.name for p in SVGS.glob("*.svg")} - {"good.svg"} == set(HOSTILE)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_diagram_is_refused_with_its_line_and_reason(tmp_path, name):
    line, reason = HOSTILE[name]
    course = course_with(tmp_path, (SVGS / name).read_bytes())
    result = CliRunner().invoke(check_command, [str(course)])
    assert result.exit_code == 1
    errors = [row for row in result.output.splitlines() if row.startswith(
        "lesson-blocks/01-on-the-spot/three-steps.svg:")]
    assert len(errors) == 1 and errors[0].startswith(
        f"lesson-blocks/01-on-the-spot/three-steps.svg:{line}: error: "), result.output
    assert reason in errors[0]


def test_entities_are_refused_before_they_expand(tmp_path):
    # A billion laughs fits in a kilobyte; refusing the DOCTYPE means nothing is expanded.
    from app.authoring.svg import SvgRejected, check_svg

    bomb = (SVGS / "doctype-entities.svg").read_bytes().replace(
        b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">',
        b"".join(b'<!ENTITY e%d "' % i + (b"&e%d;" % (i - 1) if i else b"&c;") * 10 + b'">'
                 for i in range(8)))
    with pytest.raises(SvgRejected) as caught:
        check_svg(bomb)
    assert caught.value.line == 2


def test_an_oversized_diagram_is_refused(tmp_path):
    good = (SVGS / "good.svg").read_bytes()
    padded = good.replace(b"<!-- drawn by hand -->", b"<!--" + b" " * MAX_BYTES + b"-->")
    result = CliRunner().invoke(check_command, [str(course_with(tmp_path, padded))])
    assert result.exit_code == 1 and "three-steps.svg:1: error: The diagram is larger than" in result.output


def test_the_good_diagram_passes_strict_and_is_kept_byte_for_byte(tmp_path):
    from app.authoring.curriculum import read_curriculum

    course = course_with(tmp_path, (SVGS / "good.svg").read_bytes())
    result = CliRunner().invoke(check_command, ["--strict", str(course)])
    assert result.exit_code == 0, result.output
    image = read_curriculum(course)[0].images["01-on-the-spot/three-steps.svg"]
    assert image.data == (SVGS / "good.svg").read_bytes()
    assert (image.content_type, image.extension, image.width, image.height) == (
        "image/svg+xml", "svg", 360, 120)


def test_an_imported_diagram_is_shown_with_img_and_served_with_its_own_policy(
        app, client, learner, tmp_path):
    from app.authoring.services import import_curriculum

    with unit_of_work(app):
        import_curriculum(course_with(tmp_path, (SVGS / "good.svg").read_bytes()))
    page = client.get("/courses/lesson-blocks/welcome").get_data(as_text=True)
    src = re.search(r'<img alt="三步：先听，再答，最后跟进" src="(/media/[0-9a-f]{64}\.svg)"', page)
    assert src, page
    response = client.get(src.group(1))
    assert response.status_code == 200
    assert response.data == (SVGS / "good.svg").read_bytes()
    assert response.mimetype == "image/svg+xml"  # with charset=utf-8: the checks ask for UTF-8
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = [p.strip() for p in response.headers["Content-Security-Policy"].split(";")]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert not any(p.startswith(("script-src", "img-src", "font-src", "connect-src"))
                   for p in policy)
    assert client.get(src.group(1).replace(".svg", ".png")).status_code == 200  # by digest
    anonymous = app.test_client().get(src.group(1))
    assert anonymous.status_code in (302, 401)


def upload(trainer, name, data):
    from io import BytesIO

    return trainer.client.post("/author/courses/gamma/images", data={
        "csrf_token": csrf_token(trainer.client, "/author/"), "module": "01-start",
        "image": (BytesIO(data), name)}, headers={"Accept": "application/json"},
        content_type="multipart/form-data")


def test_the_editor_accepts_a_good_diagram_and_refuses_a_hostile_one(trainer):
    good = upload(trainer, "steps.svg", (SVGS / "good.svg").read_bytes())
    assert good.status_code == 200 and good.json["path"].endswith(".svg"), good.json
    for name in ("script.svg", "doctype-entities.svg", "style-attribute.svg"):
        refused = upload(trainer, name, (SVGS / name).read_bytes())
        assert refused.status_code == 422 and refused.json["error"] == "image_refused"
        assert "diagram" in refused.json["message"]
    # A hostile SVG named like a picture is judged by its bytes, not its name.
    disguised = upload(trainer, "photo.png", (SVGS / "script.svg").read_bytes())
    assert disguised.status_code == 422
