"""Engine set-up: SQLite pragmas and write transactions that cannot hit "database is locked"."""
from flask import current_app, g, has_request_context, request
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


def mark_reads() -> None:
    """before_request: a GET or HEAD being served (not a test's request context) reads only."""
    g.reading = request.method in ("GET", "HEAD")


class WriteDuringRead(RuntimeError):
    """A GET or HEAD request tried to write through its own transaction (a bug: GET never
    writes). Raised only where GET_WRITES_FORBIDDEN is set, as in the test suite."""


_WRITE = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")


def write_aside(statement) -> bool:
    """Run one small bookkeeping write (a "last seen" stamp) that a read request may make:
    on a connection of its own, in a short transaction that gives up after a fifth of a
    second when the database is busy (BEGIN IMMEDIATE and a busy timeout on SQLite, a lock
    timeout on PostgreSQL). Returns whether it was written; the request never waits long
    and never fails because of it."""
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    from .extensions import db

    try:
        with db.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            # Straight on the driver: through SQLAlchemy the pragma would begin a transaction.
            raw = connection.connection.driver_connection if sqlite else None
            try:
                if sqlite:
                    raw.execute("PRAGMA busy_timeout=200")
                connection.execution_options(write_transaction=True)
                with connection.begin():
                    if not sqlite:
                        connection.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                    connection.execute(statement)
            finally:
                if sqlite:
                    raw.execute("PRAGMA busy_timeout=30000")
        return True
    except SQLAlchemyError as error:
        logging.getLogger(__name__).warning("Skipped a bookkeeping write: %s", error)
        return False


def forbid_writes_during_reads(app, engine: Engine) -> None:
    """The guard behind "GET never writes", where GET_WRITES_FORBIDDEN is set (the test
    suite): any write a GET or HEAD makes in its own transaction fails. write_aside() is the
    one sanctioned way. Not installed otherwise: production pays nothing per statement."""
    if not app.config.get("GET_WRITES_FORBIDDEN"):
        return
    app.before_request(mark_reads)

    @event.listens_for(engine, "before_cursor_execute")
    def no_writes_during_reads(connection, _cursor, statement, _parameters, _context, _many):
        if (has_request_context() and g.get("reading")
                and not connection.get_execution_options().get("write_transaction")
                and statement.lstrip().upper().startswith(_WRITE)):
            raise WriteDuringRead(f"{request.method} {request.path} wrote: {statement[:120]}")


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


def upsert(model, keys: dict, values: dict, insert_only: dict | None = None) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET values, on SQLite and PostgreSQL.

    insert_only: columns written only when the row is new (a first-seen time)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from .extensions import db

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**keys, **values, **(insert_only or {}))
    db.session.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=values))
