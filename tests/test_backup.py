"""Backup and restore, drilled: back up, wipe the database and the keys, restore, and a
credential issued before still verifies and the learner's progress is all there."""
import json

from sqlalchemy import func, select

from app.transactions import unit_of_work
from app.certificates.models import Certificate
from app.extensions import db
from app.learning.models import LessonProgress
from tests.certificates.conftest import certified  # noqa: F401  (fixture)
from tests.quizzes.conftest import quiz_learner  # noqa: F401  (fixture)


def _progress(app) -> tuple[int, int]:
    with unit_of_work(app):
        return (db.session.scalar(select(func.count()).select_from(LessonProgress)),
                db.session.scalar(select(func.count()).select_from(Certificate)))


def test_backup_wipe_restore_and_the_old_credential_still_verifies(app, client, certified,
                                                                    tmp_path):
    from pathlib import Path

    credential = tmp_path / "credential.json"
    credential.write_text(client.get(f"/verify/{certified}.json").get_data(as_text=True))
    before = _progress(app)
    assert before[0] >= 2 and before[1] == 1
    runner = app.test_cli_runner()
    archive = tmp_path / "smallb-backup.tar.gz"
    made = runner.invoke(args=["backup", "create", str(archive)])
    assert made.exit_code == 0, made.output
    assert "instance file(s)" in made.output

    # The machine is lost: every row gone, and the instance folder's keys with it.
    key = Path(app.instance_path) / "issuer-ed25519.pem"
    assert key.exists()
    with unit_of_work(app):
        db.session.execute(db.text("UPDATE quizzes SET current_version_id = NULL"))
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    key.unlink()
    assert _progress(app) == (0, 0)

    restored = runner.invoke(args=["backup", "restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _progress(app) == before
    verified = runner.invoke(args=["certificates", "verify", str(credential)])
    assert verified.exit_code == 0 and "VALID" in verified.output, verified.output
    assert json.loads(credential.read_text())["id"].endswith(certified)


def test_a_file_that_is_not_a_backup_is_refused(app, tmp_path):
    import tarfile

    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        archive.add(__file__, arcname="notes.txt")
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(bogus), "--yes"])
    assert result.exit_code != 0 and "not a backup" in result.output


def test_hostile_or_broken_archives_get_one_clear_line(app, tmp_path):
    import io
    import tarfile

    runner = app.test_cli_runner()
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a gzip file at all")
    escape = tmp_path / "escape.tar.gz"
    with tarfile.open(escape, "w:gz") as archive:
        for name, data in (("manifest.json", b'{"format": 1, "database": "%s"}' % (
                b"postgresql" if "postgresql" in app.config["SQLALCHEMY_DATABASE_URI"] else b"sqlite")),
                           ("../outside.txt", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    for bad in (garbage, escape):
        result = runner.invoke(args=["backup", "restore", str(bad), "--yes"])
        assert result.exit_code == 1 and "Error: " in result.output, result.output
        assert "Traceback" not in result.output
    assert not (tmp_path.parent / "outside.txt").exists()


def test_the_archive_is_readable_by_its_owner_only(app, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", "create", str(archive)]).exit_code == 0
    assert archive.stat().st_mode & 0o777 == 0o600


def test_an_archive_without_its_database_or_with_a_bad_one_changes_nothing(app, make_user,
                                                                            tmp_path):
    """A manifest alone, or a database.sqlite3 that is garbage, would have emptied or
    replaced the live database: refused before anything live is touched."""
    import io
    import tarfile

    make_user("keep@example.com")
    kind = "postgresql" if "postgresql" in app.config["SQLALCHEMY_DATABASE_URI"] else "sqlite"
    manifest = json.dumps({"format": 1, "database": kind, "revision": None}).encode()
    cases = {"manifest-only": {}, "garbage": {"database.sqlite3": b"not sqlite " * 100}}
    runner = app.test_cli_runner()
    for name, members in cases.items():
        archive_path = tmp_path / f"{name}.tar.gz"
        with tarfile.open(archive_path, "w:gz") as archive:
            for member, data in {"manifest.json": manifest, **members}.items():
                info = tarfile.TarInfo(member)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        result = runner.invoke(args=["backup", "restore", str(archive_path), "--yes"])
        assert result.exit_code == 1 and "nothing was changed" in result.output, result.output
        with unit_of_work(app):
            from app.accounts.models import User

            assert db.session.scalar(select(func.count()).select_from(User)) == 1
