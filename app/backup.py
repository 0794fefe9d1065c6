"""`flask backup create PATH` / `flask backup restore PATH`: everything a restore needs.

A backup is one .tar.gz holding the database (SQLite through its online backup API, so the
portal may keep serving; PostgreSQL with `pg_dump -Fc`), the instance folder (the issuer's
signing key and the embedded secret key live there unless configured: without them every
credential ever issued stops verifying) and local media, with a manifest saying what is in
it. Restoring replaces the database and puts the files back; stop the portal first.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from .extensions import db

FORMAT = 1
backup_cli = AppGroup("backup", help="Back up and restore the database, keys and media.")


class BackupError(click.ClickException):
    """What `flask backup` prints as one "Error: …" line (no traceback) and exits 1 with."""


def _database_file() -> Path:
    return Path(make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database)


def _pg_url() -> str:
    """The database URL as libpq tools read it (no SQLAlchemy driver suffix)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _dialect() -> str:
    return db.engine.dialect.name


def _media_folder() -> Path | None:
    config = current_app.config
    return Path(config["MEDIA_PATH"]) if config["MEDIA_STORAGE"] == "local" else None


def _revision() -> str | None:
    from sqlalchemy import text

    try:
        with db.engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None  # a schema made by create_all (tests) has no alembic table


def create_backup(target: Path) -> dict:
    """Write the backup to `target` (.tar.gz); returns its manifest."""
    instance = Path(current_app.instance_path)
    media = _media_folder()
    manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(),
                "database": _dialect(), "revision": _revision(), "files": []}
    with tempfile.TemporaryDirectory(prefix="smallb-backup-") as tmp:
        dump = Path(tmp) / ("database.sqlite3" if manifest["database"] == "sqlite" else "database.dump")
        if manifest["database"] == "sqlite":
            db.session.remove()
            source = sqlite3.connect(_database_file())
            copy = sqlite3.connect(dump)
            try:
                source.backup(copy)  # consistent while the portal writes
            finally:
                copy.close()
                source.close()
        else:
            _run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), _pg_url()], "pg_dump")
        # The archive holds the signing key and password hashes: its owner reads it, no one
        # else (whatever the umask).
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            archive.add(dump, arcname=dump.name)
            for path in sorted(instance.rglob("*")) if instance.exists() else []:
                if path.is_file() and not _is_database_file(path) and not _inside(path, media):
                    archive.add(path, arcname="instance/" + path.relative_to(instance).as_posix())
                    manifest["files"].append("instance/" + path.relative_to(instance).as_posix())
            for path in sorted(media.rglob("*")) if media and media.exists() else []:
                if path.is_file():
                    archive.add(path, arcname="media/" + path.relative_to(media).as_posix())
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return manifest


def restore_backup(source: Path) -> dict:
    """Replace the database with the backup's and put its instance files and media back."""
    try:
        return _restore(source)
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError, TypeError,
            AttributeError) as error:
        # A damaged or hostile archive (not gzip, links or ../ in it, a strange manifest):
        # one clear line, and the database is untouched unless the restore itself began.
        raise BackupError(f"{source} cannot be restored: {type(error).__name__}: {error}") from None


def _restore(source: Path) -> dict:
    with tarfile.open(source, "r:gz") as archive, tempfile.TemporaryDirectory(
            prefix="smallb-restore-") as tmp:
        try:
            manifest = json.load(archive.extractfile("manifest.json"))
        except (KeyError, ValueError, AttributeError):
            raise BackupError(f"{source} is not a backup made by `flask backup create`") from None
        if not isinstance(manifest, dict):
            raise BackupError(f"{source} is not a backup made by `flask backup create`")
        needed = sum(member.size for member in archive.getmembers())
        free = shutil.disk_usage(tmp).free
        if needed > free * 0.9:
            raise BackupError(f"unpacking {source} needs {needed // 2**20} MiB; "
                              f"{free // 2**20} MiB are free where it would go")
        if manifest.get("format") != FORMAT:
            raise BackupError(f"backup format {manifest.get('format')} is not {FORMAT}")
        if manifest["database"] != _dialect():
            raise BackupError(f"the backup holds a {manifest['database']} database; "
                              f"DATABASE_URL points at {_dialect()}")
        archive.extractall(tmp, filter="data")  # no links out, no absolute paths
        folder = Path(tmp)
        _check_database_dump(folder, manifest)  # before anything live is touched
        db.session.remove()
        db.engine.dispose()
        if manifest["database"] == "sqlite":
            target = _database_file()
            restored = sqlite3.connect(folder / "database.sqlite3")
            live = sqlite3.connect(target)
            try:
                restored.backup(live)  # page by page into the live file, WAL and all
            finally:
                live.close()
                restored.close()
        else:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  "-d", _pg_url(), str(folder / "database.dump")], "pg_restore")
        _put_back(folder / "instance", Path(current_app.instance_path))
        media = _media_folder()
        if media is not None:
            _put_back(folder / "media", media)
    return manifest


def _check_database_dump(folder: Path, manifest: dict) -> None:
    """Refuse an archive whose database is missing, damaged or not the one its manifest
    names, so a bad file never replaces the live database."""
    if manifest["database"] == "sqlite":
        dump = folder / "database.sqlite3"
        if not dump.is_file():
            raise BackupError("the backup holds no database.sqlite3: nothing was changed")
        check = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError("the backup's database is damaged: nothing was changed")
            tables = {row[0] for row in check.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = (check.execute("SELECT version_num FROM alembic_version").fetchone()[0]
                        if "alembic_version" in tables else None)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"the backup's database cannot be read ({error}): nothing was "
                              "changed") from None
        finally:
            check.close()
        if "users" not in tables:
            raise BackupError("the backup's database is not a SmallB Academy database: "
                              "nothing was changed")
        if revision != manifest.get("revision"):
            raise BackupError(f"the backup's database is at revision {revision}, its manifest "
                              f"says {manifest.get('revision')}: nothing was changed")
    elif not (folder / "database.dump").is_file():
        raise BackupError("the backup holds no database.dump: nothing was changed")


def _put_back(source: Path, target: Path) -> None:
    if not source.exists():
        return
    for path in sorted(source.rglob("*")):
        if _is_database_file(target / path.relative_to(source)):
            continue  # the database came back above; a copy in instance/ must not undo it
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            os.chmod(destination, 0o600)  # keys: readable by the portal's user only


def _is_database_file(path: Path) -> bool:
    if _dialect() != "sqlite":
        return False
    database = _database_file()
    return path.name.startswith(database.name) and path.parent == database.parent


def _inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and folder in path.parents


def _run(command: list[str], tool: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[:500]}")


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path):
    """Write a backup of the database, the instance folder (keys) and local media to PATH."""
    if path.exists():
        raise BackupError(f"{path} exists: choose a new file")
    manifest = create_backup(path)
    click.echo(f"backed up the {manifest['database']} database (revision {manifest['revision']}), "
               f"{len(manifest['files'])} instance file(s) and media to {path}")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: this replaces the current database.")
def restore_command(path: Path, yes: bool):
    """Replace the database with the backup's and put its keys and media back (stop the
    portal first)."""
    if not yes:
        click.confirm("This replaces the current database. Go on?", abort=True)
    manifest = restore_backup(path)
    click.echo(f"restored the backup of {manifest['created_at']} (revision {manifest['revision']}); "
               "run `flask db upgrade` if this code is newer")


def warn_about_keys_kept_only_here(app) -> None:
    """Production start-up: say so when a key that credentials depend on lives only in
    instance/ (a database-only restore would make every credential INVALID)."""
    if app.config["SMALLB_ENV"] != "production" or app.config.get("TESTING"):
        return
    if not app.config.get("CERTIFICATE_SIGNING_KEY"):
        app.logger.warning(
            "CERTIFICATE_SIGNING_KEY is not set: the issuer's key lives only in %s. Back it "
            "up with `flask backup create`, or set CERTIFICATE_SIGNING_KEY: without it no "
            "credential issued so far will verify.", Path(app.instance_path) / "issuer-ed25519.pem")
