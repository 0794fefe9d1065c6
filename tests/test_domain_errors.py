"""The one registry of errors a person can cause, and the one handler that answers them."""
import pytest
from flask_babel import force_locale

from app import domain_errors
from app.domain_errors import DomainError, ErrorCatalog, defined_kinds, going_back


@pytest.fixture
def scratch_registry(monkeypatch):
    """The registry as it is, plus whatever a test defines, for that test only."""
    monkeypatch.setattr(domain_errors, "_KINDS", dict(domain_errors._KINDS))


def test_every_error_has_a_status_and_a_chinese_message(app):
    with app.test_request_context():
        kinds = defined_kinds()
        assert {kind.room for kind in kinds} >= {"accounts", "authoring", "certificates",
                                                 "learning", "ledger", "mentoring", "quizzes",
                                                 "referrals", "statistics"}
        for kind in kinds:
            assert 400 <= kind.status < 500, kind
            with force_locale("en"):
                english = str(kind.message)
            with force_locale("zh_Hans_CN"):
                chinese = str(kind.message)
            assert chinese != english, f"{kind.room}.{kind.code} has no zh translation"


def test_codes_are_per_room_and_defined_once(scratch_registry):
    catalog = ErrorCatalog("test-room", {"oops": "Oops %(what)s.", "gone": ("Gone.", 410)})
    error = catalog("oops", what="here")
    assert (error.room, error.code, error.status, error.message) == ("test-room", "oops", 400, "Oops here.")
    assert str(error) == "oops" and catalog("gone").status == 410
    with pytest.raises(ValueError, match="defined twice"):
        catalog.define("oops", "Again.")
    with pytest.raises(LookupError):
        catalog("never-defined")


@pytest.mark.own_app  # it adds routes
def test_the_handler_answers_pages_and_scripts(app, scratch_registry):
    catalog = ErrorCatalog("handler-test", {"refused": ("Refused here.", 409)})

    @app.route("/_refuses")
    def refuses():
        raise catalog("refused")

    @app.route("/_refuses_going_back")
    def refuses_going_back():
        with going_back("/somewhere"):
            raise catalog("refused")

    client = app.test_client()
    page = client.get("/_refuses")
    assert page.status_code == 409 and "Refused here." in page.get_data(as_text=True)
    script = client.get("/_refuses", headers={"Accept": "application/json"})
    assert script.status_code == 409
    assert script.json == {"error": "refused", "message": "Refused here."}
    back = client.get("/_refuses_going_back")
    assert back.status_code == 303 and back.headers["Location"].endswith("/somewhere")
    with client.session_transaction() as session:
        assert ("error", "Refused here.") in session["_flashes"]
    assert isinstance(catalog("refused"), DomainError)
