"""Reciprocity: the application factory."""

import atexit
import os

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import config as config_module
from app.extensions import api, db, migrate


class ReciprocityFlask(Flask):
    """Flask, with OPTIONS answering the methods of the route a path names."""

    def make_default_options_response(self):
        """`Allow` lists the methods of the matched route, as the OpenAPI document does.

        Flask's default lists every method of every route the path fits: `/patrons/import`
        also fits `/patrons/<patron_id>`, so it advertised GET, PATCH and DELETE that the
        import does not have.
        """
        response = self.response_class()
        response.allow.update(request.url_rule.methods)
        return response


def create_app(test_config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the app: config -> extensions -> blueprints -> error handlers -> CLI."""
    # An installed package has no checkout to hold instance/: RECIPROCITY_INSTANCE_PATH says
    # where its database, secrets and demo keys live (Flask's default otherwise).
    instance_path = instance_path or os.environ.get("RECIPROCITY_INSTANCE_PATH") or None
    app = ReciprocityFlask(__name__, instance_relative_config=True,
                           instance_path=instance_path)
    app.config.from_object(config_module.Defaults)
    os.makedirs(app.instance_path, exist_ok=True)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("RECIPROCITY")
    else:
        app.config.from_mapping(test_config)
    _finish_config(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    db.init_app(app)
    from app import replicas
    replicas.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True,
                     directory=os.path.join(app.root_path, "migrations"))
    api.init_app(app)
    _register_blueprints(app)

    # Rate limits first: a refused request costs no body parsing and no database work.
    from app.ratelimit import init_rate_limits
    init_rate_limits(app)
    from app.console import init_console
    init_console(app)  # the staff console's pages, sessions and sign-in

    from app.errors import register_error_handlers
    register_error_handlers(app)

    _start_traffic_buffer(app)
    _start_reach(app)

    from app.cli import register_commands
    register_commands(app)
    return app


def _finish_config(app: Flask) -> None:
    """Derive settings: the database URL, and secrets generated once into instance/."""
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.database_url(
        app.config.get("DATABASE_URL"), app.instance_path)
    if not app.config.get("HMAC_KEY"):
        app.config["HMAC_KEY"] = config_module.instance_secret(app.instance_path, "hmac.key")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret(app.instance_path,
                                                                 "secret.key")
    if not app.config.get("CREDENTIALS_KEY"):
        app.config["CREDENTIALS_KEY"] = config_module.instance_secret(app.instance_path,
                                                                      "credentials.key")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10,
                   **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _start_traffic_buffer(app: Flask) -> None:
    """Verification counts (R19) buffered per process, and written when the process exits."""
    from app.verification.traffic import TrafficBuffer

    buffer = TrafficBuffer(float(app.config["TRAFFIC_FLUSH_SECONDS"]), context=app.app_context)
    app.extensions["reciprocity.traffic"] = buffer
    if buffer.flush_seconds > 0:
        def flush_at_exit():
            if buffer.pending():
                with app.app_context():
                    buffer.flush()

        atexit.register(flush_at_exit)


def _start_reach(app: Flask) -> None:
    """The live path (R14, R17): outbound clients, the answer cache and the sealer."""
    from app.reach.cache import AnswerCache
    from app.reach.clients import Outbound
    from app.reach.live import Reach, Settings
    from app.reach.sealing import Sealer

    outbound = Outbound(int(app.config["OUTBOUND_WORKERS"]),
                        allow_loopback=bool(app.config["REACH_ALLOW_LOOPBACK"]))
    app.extensions["reciprocity.outbound"] = outbound
    app.extensions["reciprocity.reach"] = Reach(
        Settings.from_config(app.config), outbound,
        AnswerCache(min(float(app.config["HOME_CACHE_SECONDS"]), 60.0)),
        Sealer(app.config["CREDENTIALS_KEY"], app.config.get("CREDENTIALS_KEY_PREVIOUS")))


def _register_blueprints(app: Flask) -> None:
    """One blueprint per capability."""
    from app.assistance.routes import blp as assistance
    from app.audit.routes import blp as audit
    from app.bills.routes import blp as bills
    from app.bills.routes import statements_blp as statements
    from app.blocks.routes import blp as blocks
    from app.directory.pages import pages as directory_pages
    from app.directory.routes import blp as policies
    from app.directory.routes import csv_blp as directory_csv
    from app.directory.routes import directory_blp as directory
    from app.disputes.routes import blp as disputes
    from app.events.routes import blp as events
    from app.health.routes import blp as health
    from app.libraries.routes import blp as libraries
    from app.mail.routes import blp as letters
    from app.mail.routes import settings_blp as mail_settings
    from app.ncip.routes import blp as ncip
    from app.notices.routes import blp as notices
    from app.patrons.routes import blp as patrons
    from app.reach.routes import home_blp, peer_calls_blp, peer_directory_blp, peers_blp
    from app.sip2.routes import blp as sip_accounts
    from app.suspensions.routes import blp as suspensions
    from app.suspensions.routes import directory_blp as directory_suspensions
    from app.verification.routes import blp as verifications
    from app.verification.routes import traffic_blp as traffic
    from app.webhooks.routes import blp as webhooks

    for blueprint in (health, libraries, patrons, verifications, traffic, bills, statements,
                      blocks, events, policies, directory, directory_csv, webhooks, ncip,
                      sip_accounts, home_blp, peers_blp, peer_calls_blp, peer_directory_blp,
                      notices, suspensions, directory_suspensions, disputes,
                      assistance, audit, letters, mail_settings):
        api.register_blueprint(blueprint)
    app.register_blueprint(directory_pages)  # web pages for people, outside the API


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL for concurrent readers, foreign keys on, and wait rather than fail on locks."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


