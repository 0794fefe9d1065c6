"""Migrations apply from empty and agree with the models (no pending autogenerate diff)."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.transactions import unit_of_work
from app.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_app


@pytest.fixture
def empty_database_url(tmp_path, database_url):
    if not TEST_DATABASE_URL:
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite3")
        return
    name = "smallb_migrations_" + uuid.uuid4().hex[:8]
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# SQLite's reflection cannot read expression indexes (users' lower(name) index); PostgreSQL's
# can, so the PostgreSQL run compares that index too.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_apply_from_empty_and_match_the_models(empty_database_url):
    app = make_app(empty_database_url)
    with unit_of_work(app):
        upgrade(directory=app.config["MIGRATIONS_PATH"])
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": False})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
