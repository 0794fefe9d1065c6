"""Assignment test helpers: the epsilon course (a required assignment in its first module)
and a learner who writes through the pages like a phone would."""
import io
import re
from pathlib import Path

from PIL import Image

from tests.conftest import csrf_token

EPSILON = Path(__file__).parent / "fixtures" / "epsilon"
PAGE = "/courses/epsilon/welcome/assignment/welcome"


def png(width=40, height=30, exif=False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), "orange")
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        image.save(out, format="JPEG", exif=data.tobytes())
    else:
        image.save(out, format="PNG")
    return out.getvalue()


class Writer:
    """A learner on the assignment page (English pages)."""

    def __init__(self, client):
        self.client = client
        self.known_submission = None

    def page(self) -> str:
        response = self.client.get(PAGE)
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)

    def post(self, text: str, action: str = "save", json: bool = False):
        token = csrf_token(self.client, PAGE)
        headers = {"Accept": "application/json"} if json else {}
        return self.client.post(PAGE, data={"csrf_token": token, "text": text, "action": action},
                                headers=headers)

    def hand_in(self, text: str):
        response = self.post(text, "submit")
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def submission_id(self) -> int:
        found = re.search(r"/submissions/(\d+)/images", self.page())
        if found:
            self.known_submission = int(found.group(1))
        return self.known_submission  # the form is gone when the pictures are all there

    def attach(self, data: bytes, name: str = "photo.png"):
        submission_id = self.submission_id()
        token = csrf_token(self.client, PAGE)
        return self.client.post(f"/submissions/{submission_id}/images", data={
            "csrf_token": token, "image": (io.BytesIO(data), name)},
            content_type="multipart/form-data")


def review_form(client, version_id: int, decision: str, scores: dict, comment: str = ""):
    token = csrf_token(client, f"/reviews/{version_id}")
    data = {"csrf_token": token, "decision": decision, "comment": comment}
    data.update({f"score-{key}": str(value) for key, value in scores.items()})
    return client.post(f"/reviews/{version_id}", data=data)


def epsilon_assignment_content(lesson: str) -> dict:
    """The epsilon assignment as stored, for tests that place it in another course."""
    from app.authoring.curriculum import read_curriculum

    content = dict(read_curriculum(EPSILON)[0].modules[0].assignments[0]["content"])
    content["lesson"] = lesson
    return content
