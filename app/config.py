"""Configuration read from the environment; the embedded default needs none."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import click

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Learner-facing language codes and the Babel locale each one uses.
LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}
DEFAULT_LANGUAGE = "zh"


class ConfigurationError(click.ClickException, RuntimeError):
    """Raised when the app must not start with the configuration it was given. A click
    exception, so a `flask` command prints it as one line ("Error: …"), not a traceback."""


def courses_path_problem(path: str) -> str | None:
    """Why COURSES_PATH cannot be read as a folder of courses, in one line; None if it can."""
    if not Path(path).is_dir():
        return (f"COURSES_PATH={path} is not a folder: point it at a folder of courses, or "
                f"unset it for the shipped courses/ ({PROJECT_ROOT / 'courses'})")
    return None


WEBHOOK_SECRET_PREFIX = "whsec_"


def webhook_signing_keys(value: str | None) -> list[bytes]:
    """WEBHOOK_SECRET: one or more `whsec_<base64>` secrets (Standard Webhooks), separated by
    spaces or commas, newest first; each one signs every delivery, so a secret can be
    replaced without a moment when the shop refuses deliveries. ValueError says what is wrong."""
    import base64
    import binascii

    secrets_ = [part for part in (value or "").replace(",", " ").split() if part]
    if not secrets_:
        raise ValueError("WEBHOOK_SECRET is not set: make one with `flask api webhook-secret`")
    keys = []
    for secret in secrets_:
        encoded = secret.removeprefix(WEBHOOK_SECRET_PREFIX)
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if not secret.startswith(WEBHOOK_SECRET_PREFIX) or not 24 <= len(key) <= 64:
            raise ValueError(f"WEBHOOK_SECRET must be whsec_ followed by 24 to 64 bytes in "
                             f"base64 (got {secret[:10]}…): make one with `flask api webhook-secret`")
        keys.append(key)
    return keys


def database_url_from_env(value: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL: DATABASE_URL (psycopg 3 for PostgreSQL) or SQLite in instance/."""
    if not value:
        return "sqlite:///" + os.path.join(instance_path, "smallb.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    return value


def _instance_secret_key(instance_path: str) -> str:
    """A per-installation key for the embedded default, made once from the CSPRNG."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _positive_int(env, name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _check_sessions_and_mail(cfg) -> None:
    days = cfg["SESSION_MAX_DAYS"]
    if cfg.get("SESSION_IDLE_MINUTES") is None and isinstance(days, int):
        cfg["SESSION_IDLE_MINUTES"] = min(14 * 24 * 60, days * 24 * 60)
    idle = cfg["SESSION_IDLE_MINUTES"]
    for name, value in (("SESSION_IDLE_MINUTES", idle), ("SESSION_MAX_DAYS", days)):
        if not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"{name} must be a whole number of at least 1, not {value!r}")
    if idle > days * 24 * 60:
        raise ConfigurationError(
            f"SESSION_IDLE_MINUTES ({idle}) is longer than SESSION_MAX_DAYS ({days} days): "
            "make the idle timeout shorter than the absolute lifetime")
    # The signed cookie expires with the session's absolute lifetime.
    cfg["PERMANENT_SESSION_LIFETIME"] = days * 24 * 60 * 60
    if cfg["MAIL_USE_TLS"] and cfg["MAIL_USE_SSL"]:
        raise ConfigurationError("Set MAIL_USE_TLS (STARTTLS, usually port 587) or MAIL_USE_SSL "
                                 "(usually port 465), not both")
    if cfg["MAIL_SERVER"] and not cfg["MAIL_FROM"]:
        raise ConfigurationError("MAIL_SERVER is set but MAIL_FROM is not: set the sender address "
                                 "(e.g. MAIL_FROM='SmallB Academy <academy@example.com>')")


def _public_base_url(cfg, env, mode: str, relaxed: bool) -> str:
    base = cfg["PUBLIC_BASE_URL"]
    if not base:
        if mode == "production" and not relaxed:
            raise ConfigurationError(
                "PUBLIC_BASE_URL is not set. In production set it to the address people use "
                "(e.g. PUBLIC_BASE_URL=https://academy.example.com): reset mails, QR codes and "
                "signed credentials link there, never to the Host a request names.")
        if cfg.get("TESTING"):
            return "http://localhost"  # the test client's host
        # Development: where `python app.py` serves, fixed at start-up.
        host = env.get("HOST", "127.0.0.1")
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        return f"http://{host}:{env.get('PORT', '5000')}"
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(f"PUBLIC_BASE_URL must look like https://academy.example.com "
                                 f"(got {base!r})")
    return base.rstrip("/")


def load_config(app, overrides: dict | None = None) -> None:
    """Fill app.config from the environment, then from overrides (tests)."""
    env = os.environ
    overrides = dict(overrides or {})
    mode = overrides.pop("SMALLB_ENV", env.get("SMALLB_ENV", "production"))
    testing = bool(overrides.get("TESTING"))
    cfg = app.config
    cfg["SMALLB_ENV"] = mode
    # Empty means unset, as for the other variables: the shipped curriculum.
    cfg["COURSES_PATH"] = env.get("COURSES_PATH", "").strip() or str(PROJECT_ROOT / "courses")
    cfg["MIGRATIONS_PATH"] = str(PROJECT_ROOT / "migrations")
    cfg["SQLALCHEMY_DATABASE_URI"] = database_url_from_env(
        env.get("DATABASE_URL"), app.instance_path
    )
    cfg["REDIS_URL"] = env.get("REDIS_URL")
    cfg["CELERY_BROKER_URL"] = env.get("CELERY_BROKER_URL")
    # A killed worker's task goes to another worker after this long. Tasks are short and
    # idempotent, and retries wait in the outbox or at most a minute in the broker, so a
    # minute is enough (a task still running then would run twice, harmlessly).
    cfg["CELERY_VISIBILITY_TIMEOUT"] = int(env.get("CELERY_VISIBILITY_TIMEOUT", 60))
    # How side effects leave the outbox (app/outbox/services.py): published to the broker
    # when there is one, else run by a thread of the web process after the response; the
    # test suite runs them in place so results are visible at once.
    cfg["OUTBOX_RELAY"] = env.get("OUTBOX_RELAY")  # default chosen below, after overrides
    cfg["OUTBOX_RELAY_SECONDS"] = _positive_int(env, "OUTBOX_RELAY_SECONDS", 10)
    cfg["CERTIFICATE_BACKFILL_MINUTES"] = _positive_int(env, "CERTIFICATE_BACKFILL_MINUTES", 10)
    cfg["ISSUER_NAME"] = env.get("ISSUER_NAME", "SmallB Academy · 小B学院")
    # The origin of every link that leaves the site (reset mail, QR codes, credentials);
    # never taken from a request. Required in production; see _public_base_url below.
    cfg["PUBLIC_BASE_URL"] = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    # Host names the portal answers to (Flask answers others 400); optional, comma-separated.
    trusted = [h.strip() for h in env.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    cfg["TRUSTED_HOSTS"] = trusted or None
    cfg["CERTIFICATE_SIGNING_KEY"] = env.get("CERTIFICATE_SIGNING_KEY")
    cfg["CERTIFICATE_FONT"] = env.get("CERTIFICATE_FONT")
    # Without DATABASE_URL the portal sets itself up (schema, curriculum, demo accounts).
    cfg["AUTO_SETUP"] = not env.get("DATABASE_URL") and not testing
    cfg["MAX_CONTENT_LENGTH"] = int(env.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024))
    # Sign-in sessions (rows in sign_in_sessions): ended after this long without a visit,
    # and at the latest this many days after signing in. Phones stay signed in a month.
    # Unset: 14 days, or the absolute lifetime when that is shorter.
    cfg["SESSION_IDLE_MINUTES"] = _positive_int(env, "SESSION_IDLE_MINUTES", 0) or None
    cfg["SESSION_MAX_DAYS"] = _positive_int(env, "SESSION_MAX_DAYS", 30)
    # Outgoing mail (password-reset links); without MAIL_SERVER no mail is sent.
    cfg["MAIL_SERVER"] = env.get("MAIL_SERVER", "")
    cfg["MAIL_PORT"] = _positive_int(env, "MAIL_PORT", 0) or None
    cfg["MAIL_USERNAME"] = env.get("MAIL_USERNAME", "")
    cfg["MAIL_PASSWORD"] = env.get("MAIL_PASSWORD", "")
    cfg["MAIL_USE_TLS"] = env.get("MAIL_USE_TLS", "false").lower() in ("1", "true", "yes")
    cfg["MAIL_USE_SSL"] = env.get("MAIL_USE_SSL", "false").lower() in ("1", "true", "yes")
    cfg["MAIL_FROM"] = env.get("MAIL_FROM", "")
    cfg["MAIL_TIMEOUT_SECONDS"] = _positive_int(env, "MAIL_TIMEOUT_SECONDS", 10)
    # How long a reset link a mentor or an admin hands over stays usable.
    cfg["PASSWORD_RESET_HANDOVER_HOURS"] = _positive_int(env, "PASSWORD_RESET_HANDOVER_HOURS", 24)
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_NAME"] = "smallb_session"
    cfg["WTF_CSRF_TIME_LIMIT"] = None  # a form opened at night is still valid next morning
    cfg["BABEL_DEFAULT_LOCALE"] = LANGUAGES[DEFAULT_LANGUAGE]
    cfg["BABEL_TRANSLATION_DIRECTORIES"] = "translations"
    cfg["BABEL_DEFAULT_TIMEZONE"] = env.get("TIMEZONE", "Asia/Shanghai")
    cfg["RATELIMIT_STORAGE_URI"] = env.get("REDIS_URL") or "memory://"
    cfg["RATELIMIT_HEADERS_ENABLED"] = True
    # Redis down: limits fall back to each process's memory (with a logged warning) instead
    # of answering 500 to every login (the fallback is set below, for Redis storage only).
    cfg["RATELIMIT_SWALLOW_ERRORS"] = True
    # A Redis that hangs rather than refuses costs each request at most these seconds.
    cfg["RATELIMIT_STORAGE_OPTIONS"] = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    # Off only for load tests, where every simulated user comes from one address.
    cfg["RATELIMIT_ENABLED"] = env.get("RATELIMIT_ENABLED", "true").lower() != "false"
    # Whether signing up needs a mentor's invite code (the first small-Bs join without one).
    cfg["INVITE_REQUIRED"] = env.get("INVITE_REQUIRED", "false").lower() in ("1", "true", "yes")
    cfg["TIER_RULES_PATH"] = env.get("TIER_RULES_PATH")  # default: app/referrals/tier_rules.yml
    cfg["WEBHOOK_URL"] = env.get("WEBHOOK_URL")  # where tier changes are POSTed (optional)
    # The Standard Webhooks signing secrets (whsec_…, newest first; see webhook_signing_keys).
    cfg["WEBHOOK_SECRET"] = env.get("WEBHOOK_SECRET")
    # Uploaded lesson images: database (default), local (MEDIA_PATH) or s3 (S3_BUCKET...).
    cfg["MEDIA_STORAGE"] = env.get("MEDIA_STORAGE", "database")
    cfg["MEDIA_PATH"] = env.get("MEDIA_PATH", os.path.join(app.instance_path, "media"))
    cfg["S3_BUCKET"] = env.get("S3_BUCKET")
    cfg["S3_ENDPOINT_URL"] = env.get("S3_ENDPOINT_URL")
    cfg["S3_REGION"] = env.get("S3_REGION")
    cfg["IMAGE_MAX_BYTES"] = int(env.get("IMAGE_MAX_BYTES", 5 * 1024 * 1024))
    cfg["COURSE_ZIP_MAX_BYTES"] = int(env.get("COURSE_ZIP_MAX_BYTES", 20 * 1024 * 1024))
    # Course limits for every road in (folders, `flask courses import`, zips, drafts):
    # app/authoring/limits.py reads these names, from here or from the environment.
    for key in ("COURSE_FILE_MAX_BYTES", "COURSE_MAX_FILES", "COURSE_MAX_BYTES",
                "COURSE_CHECK_SECONDS", "COURSE_CHECK_MEMORY_MB"):
        cfg[key] = env.get(key)
    cfg["LOG_FORMAT"] = env.get("LOG_FORMAT", "text")
    cfg["LOG_LEVEL"] = env.get("LOG_LEVEL", "INFO")
    cfg["PROXY_FIX_HOPS"] = int(env.get("PROXY_FIX_HOPS", 0))
    cfg["LOGIN_RATE_LIMIT"] = env.get("LOGIN_RATE_LIMIT", "5 per minute")
    # Statistics roll-ups: how often celery beat rebuilds them, and from how many people
    # below a mentor their team gets its own cube (smaller teams are computed live).
    cfg["STATISTICS_REFRESH_MINUTES"] = _positive_int(env, "STATISTICS_REFRESH_MINUTES", 15)
    # An assignment's reviewers are reminded once per this many days it waits for review.
    cfg["REVIEW_REMINDER_DAYS"] = _positive_int(env, "REVIEW_REMINDER_DAYS", 2)
    cfg["STATISTICS_TEAM_MINIMUM"] = _positive_int(env, "STATISTICS_TEAM_MINIMUM", 2000)
    # Item analysis judges a question only from this many first attempts on: with a handful
    # of learners facility and discrimination are mostly chance.
    cfg["STATISTICS_ITEM_MINIMUM"] = _positive_int(env, "STATISTICS_ITEM_MINIMUM", 30)
    # Learners' best plays (and first plays at a decision) before role-play figures are judged.
    cfg["STATISTICS_ROLEPLAY_MINIMUM"] = _positive_int(env, "STATISTICS_ROLEPLAY_MINIMUM", 30)
    # pre_ping: a connection that died with a database restart is replaced before use, so
    # the first request after the restart does not fail on it. connect_timeout: with the
    # database unreachable a request gives up in seconds (and gets the 503 page).
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                        "connect_args": {"connect_timeout": 3}}
    cfg.update(overrides)
    _check_sessions_and_mail(cfg)
    cfg["PUBLIC_BASE_URL"] = _public_base_url(cfg, env, mode, testing or app.debug)
    cfg.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
                   not cfg["RATELIMIT_STORAGE_URI"].startswith("memory:"))
    if not cfg["OUTBOX_RELAY"]:
        cfg["OUTBOX_RELAY"] = ("celery" if cfg["CELERY_BROKER_URL"]
                               else "inline" if testing else "thread")
    if cfg["OUTBOX_RELAY"] not in ("celery", "thread", "inline"):
        raise ConfigurationError("OUTBOX_RELAY must be celery, thread or inline")
    if cfg["OUTBOX_RELAY"] == "celery" and not cfg["CELERY_BROKER_URL"]:
        raise ConfigurationError("OUTBOX_RELAY=celery needs CELERY_BROKER_URL")

    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Busy timeout in seconds: writers queue behind each other instead of failing.
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}

    if cfg["WEBHOOK_URL"]:
        target = urlsplit(cfg["WEBHOOK_URL"])
        if target.scheme not in ("https", "http") or not target.hostname:
            raise ConfigurationError("WEBHOOK_URL must be an http:// or https:// address with a "
                                     f"host (got {cfg['WEBHOOK_URL']!r})")
        try:
            webhook_signing_keys(cfg["WEBHOOK_SECRET"])
        except ValueError as error:
            raise ConfigurationError(f"WEBHOOK_URL is set but {error}") from None

    if cfg["MEDIA_STORAGE"] not in ("database", "local", "s3"):
        raise ConfigurationError("MEDIA_STORAGE must be database, local or s3")
    if cfg["MEDIA_STORAGE"] == "s3" and not cfg["S3_BUCKET"]:
        raise ConfigurationError("MEDIA_STORAGE=s3 needs S3_BUCKET (and usually S3_ENDPOINT_URL)")

    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        if mode == "production" and not testing and not app.debug:
            raise ConfigurationError(
                "SECRET_KEY is not set. In production set SECRET_KEY to a long random value "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))'). "
                "For a local demo run `python app.py` or set SMALLB_ENV=development."
            )
        secret = _instance_secret_key(app.instance_path)
    cfg["SECRET_KEY"] = secret
