"""Engine set-up: SQLite pragmas and write transactions that cannot hit "database is locked"."""
from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def read_only(view):
    """Mark a POST view that never writes (a preview), so it doesn't queue for the write lock."""
    view.read_only = True
    return view


def _begin_statement() -> str:
    # A deferred transaction that reads and then writes fails at once with "database is
    # locked" when another writer got in first, whatever the busy timeout. Requests that
    # may write (and CLI/tasks) take the write lock up front; GET pages never write.
    if has_request_context() and (request.method in SAFE_METHODS or getattr(
            current_app.view_functions.get(request.endpoint), "read_only", False)):
        return "BEGIN"
    return "BEGIN IMMEDIATE"


def request_writes() -> bool:
    """Whether this request's (or command's) transaction is a write transaction."""
    return _begin_statement() == "BEGIN IMMEDIATE"


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (SQLAlchemy's pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        # A connection opened only to write (a sign-in session's last-seen stamp during a
        # GET) takes the write lock up front too.
        if connection.get_execution_options().get("write_transaction"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql(_begin_statement())


def insert_ignoring_duplicates(model, **values):
    """INSERT ... ON CONFLICT DO NOTHING: a concurrent twin of this row is not an error."""
    from sqlalchemy import literal
    from sqlalchemy.dialects import postgresql, sqlite

    from .extensions import db

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING tells reliably whether the row went in (rowcount is -1 on some drivers).
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(literal(1))
    return db.session.execute(statement).first() is not None


def upsert(model, keys: dict, values: dict) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET values, on SQLite and PostgreSQL."""
    from sqlalchemy.dialects import postgresql, sqlite

    from .extensions import db

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**keys, **values)
    db.session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=values))
