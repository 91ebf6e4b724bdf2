"""The staff console: server-rendered pages for the people who do the work, each with an account.

A signed-in person's cookie names the account and its sign-in token, so a password change
signs the account out in every other browser; every form carries a CSRF token checked on submit;
pages send a Content-Security-Policy with no inline script, and the console's only script is a
small file served by the app.
"""

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager


class SessionCookies(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (or when configured).

    Behind a proxy that ends TLS, deploy with ProxyFix (or SESSION_COOKIE_SECURE=true) so the
    request knows it was HTTPS.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured, or when this request is HTTPS."""
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            bool(request) and request.is_secure)


def init_console(app: Flask) -> None:
    """Sessions, sign-in and the console's pages."""
    from flask_wtf.csrf import generate_csrf

    from app.console import (  # noqa: F401  (pages of the blueprint)
        member_pages,
        office_pages,
        records,
        settling,
    )
    from app.console.routes import console
    from app.console.service import session_staff

    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SessionCookies()
    login = LoginManager()
    login.login_view = "console.sign_in"
    login.login_message = "Sign in to use the staff console."
    login.login_message_category = "info"
    login.session_protection = "strong"
    login.user_loader(session_staff)
    login.init_app(app)
    app.register_blueprint(console)
    # The token for forms that are only a button (Flask-WTF checks it as for any FlaskForm).
    app.jinja_env.globals["csrf_token"] = generate_csrf

