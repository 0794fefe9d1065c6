"""SmallB Academy: the app factory. All setup happens here; app.py only serves."""
from __future__ import annotations

import os

from flask import Flask

from .config import ConfigurationError, load_config  # noqa: F401  (re-exported for callers)


def create_app(test_config: dict | None = None) -> Flask:
    from .transactions import Portal  # each request one unit of work, committed once

    app = Portal(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None,
                instance_relative_config=True)
    load_config(app, test_config)
    from .requests import StrictRequest

    app.request_class = StrictRequest  # forms with undecodable text are refused (400)
    from .requests import refuse_nul_addresses

    refuse_nul_addresses(app)
    os.makedirs(app.instance_path, exist_ok=True)
    from .logs import configure_logging
    from .ops import apply_proxy_fix

    configure_logging(app)
    apply_proxy_fix(app)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)

    from .errors import register_error_handlers
    from .security import add_security_headers

    register_error_handlers(app)
    app.after_request(add_security_headers)

    if app.config["AUTO_SETUP"]:
        from .setup import set_up_embedded_default

        set_up_embedded_default(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import i18n
    from .database import configure_engine, forbid_writes_during_reads
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .sessions import SmallBSessionInterface

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
        forbid_writes_during_reads(app, db.engine)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_PATH"], render_as_batch=True)
    from .security import apply_upload_limit

    app.before_request(apply_upload_limit)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page itself says what to do
    from .signin import answer_signed_out

    login_manager.unauthorized_handler(answer_signed_out)
    app.session_interface = SmallBSessionInterface()
    _init_background(app)
    _connect_rooms()
    from .clients import in_wechat
    from .ops import asset_url

    app.jinja_env.globals.update(pick=i18n.pick, current_language=i18n.current_language,
                                 html_lang=i18n.html_lang, asset_url=asset_url,
                                 in_wechat=in_wechat)
    # Importing the models registers them on the metadata (migrations, create_all).
    from . import models  # noqa: F401


def _init_background(app: Flask) -> None:
    """Celery, and the modules whose tasks and signal receivers must be registered."""
    from .background import celery_init_app

    celery_init_app(app)
    from .api import webhooks  # noqa: F401
    from .certificates import tasks as certificate_tasks
    from .outbox import tasks as outbox_tasks
    from .practice import tasks as practice_tasks
    from .referrals import tasks as referral_tasks  # noqa: F401
    from .statistics import tasks as statistics_tasks

    statistics_tasks.schedule_refresh(app)
    outbox_tasks.schedule_relay(app)
    from .outbox.services import start_relay_with_requests

    start_relay_with_requests(app)
    certificate_tasks.schedule_backfill(app)
    practice_tasks.schedule_reminders(app)


def _connect_rooms() -> None:
    """The modules that answer a lower room's questions (its hooks.py) and receive its signals.
    Rooms depend one way (docs/architecture.md): the higher room connects itself when it is
    imported, and this is where every one of them is."""
    from .authoring import grants  # noqa: F401  (quizzes: who may edit a course; practice: trainers)
    from .authoring import uploads  # noqa: F401  (practice: a learner's pictures cleaned)
    from .certificates import services  # noqa: F401  (quizzes: who holds a certificate)
    from .quizzes import services as quizzes  # noqa: F401  (learning: quiz facts)
    from .practice import services as practice  # noqa: F401  (learning: scenario facts)
    from .referrals import receivers  # noqa: F401  (accounts: a newcomer's place, admin search)
    from .referrals import next_step, tiers  # noqa: F401  (certificates, learning, practice)
    from .referrals import services as referrals  # noqa: F401  (quizzes: her mentor)


def _register_blueprints(app: Flask) -> None:
    from .accounts.admin_views import bp as users_admin_bp
    from .accounts.views import bp as accounts_bp
    from .learning.views import bp as learning_bp
    from .certificates.views import bp as certificates_bp
    from .notifications.views import bp as notifications_bp
    from .ops import bp as ops_bp
    from .api.admin_views import bp as webhooks_admin_bp
    from .api.views import bp as api_bp
    from .ledger.views import bp as ledger_bp
    from .authoring.views import bp as authoring_bp
    from .authoring.views import media_bp
    # The authoring blueprint's routes, one module per seam, registered on import.
    from .authoring import access_views, editor_views, transfer_views, version_views  # noqa: F401
    from .referrals.admin_views import bp as tree_admin_bp
    from .referrals.mentor_views import bp as mentoring_bp
    from .referrals.tier_views import bp as tiers_bp
    from .referrals.views import bp as referrals_bp
    from .quizzes.views import bp as quizzes_bp
    from .practice.views import bp as practice_bp
    from .practice import assignment_views  # noqa: F401  (its routes, on practice's blueprint)
    from .statistics.views import bp as statistics_bp

    for blueprint in (accounts_bp, learning_bp, quizzes_bp, practice_bp, certificates_bp, notifications_bp,
                      ops_bp, referrals_bp, tiers_bp, mentoring_bp, tree_admin_bp, api_bp,
                      webhooks_admin_bp, users_admin_bp, ledger_bp, statistics_bp,
                      authoring_bp, media_bp):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from .accounts.cli import users_cli
    from .backup import backup_cli, warn_about_keys_kept_only_here
    from .authoring.cli import courses_cli
    from .api.cli import api_cli
    from .certificates.cli import certificates_cli
    from .outbox.cli import outbox_cli
    from .authoring.gift_cli import quizzes_cli  # `flask quizzes import-gift`
    from .referrals.cli import tiers_cli
    from .demo.cli import demo_cli
    from .statistics.cli import statistics_cli
    from .practice.cli import assignments_cli

    from .transactions import commit_each_command

    for group in (users_cli, courses_cli, quizzes_cli, certificates_cli, tiers_cli, api_cli,
                  statistics_cli, demo_cli, outbox_cli, backup_cli, assignments_cli):
        app.cli.add_command(commit_each_command(group))
    warn_about_keys_kept_only_here(app)
