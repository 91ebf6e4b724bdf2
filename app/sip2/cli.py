"""`reciprocity sip2 ...`: run the SIP2 server and manage libraries' SIP accounts."""

import signal
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.errors import DomainError


@click.group("sip2")
def sip2():
    """The SIP2 door for integrated library systems."""


@sip2.command("serve")
@click.option("--host", default=None, help="Address to listen on (default SIP2_HOST).")
@click.option("--port", type=int, default=None, help="TCP port (default SIP2_PORT).")
@click.option("--tls-cert", default=None, help="PEM certificate chain; with --tls-key, TLS only.")
@click.option("--tls-key", default=None, help="PEM private key for --tls-cert.")
@with_appcontext
def serve(host, port, tls_cert, tls_key):
    """Serve SIP2 (93 login, 99, 23, 63, 35, 97) until interrupted."""
    from app.sip2.server import SipServer, tls_context

    app = current_app._get_current_object()
    config = app.config
    cert, key = tls_cert or config["SIP2_TLS_CERT"], tls_key or config["SIP2_TLS_KEY"]
    if bool(cert) != bool(key):
        raise click.UsageError("TLS needs both a certificate and its key.")
    server = SipServer(app, host or config["SIP2_HOST"],
                       int(port if port is not None else config["SIP2_PORT"]),
                       tls_context(cert, key) if cert else None)
    address, bound = server.server_address[:2]
    click.echo(f"SIP2 {'over TLS ' if cert else ''}listening on {address}:{bound}", err=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        click.echo("SIP2 server stopping.", err=True)
    finally:
        server.stopping.set()
        server.server_close()


@sip2.group("account")
def account():
    """Libraries' SIP accounts (the login an ILS uses in its 93 message)."""


def _library_id(code: str) -> int:
    from app.libraries.service import get_library

    try:
        return get_library(code).id
    except DomainError as error:
        raise click.ClickException(f"{error.detail} ({error.code})") from None


@account.command("set")
@click.argument("code")
@click.argument("login")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
@with_appcontext
def account_set(code, login, password_stdin):
    """Create library CODE's SIP account LOGIN or set its password (prompted, hidden)."""
    from app.sip2 import service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("SIP password", hide_input=True, confirmation_prompt=True)
    try:
        service.set_account(_library_id(code), login, password,
                            service.configured_hasher(current_app.config))
    except DomainError as error:
        raise click.ClickException(f"{error.detail} ({error.code})") from None
    click.echo(f"SIP account {login} of {code} is set.")


@account.command("revoke")
@click.argument("code")
@click.argument("login")
@with_appcontext
def account_revoke(code, login):
    """Revoke library CODE's SIP account LOGIN."""
    from app.sip2 import service

    try:
        service.revoke_account(_library_id(code), login)
    except DomainError as error:
        raise click.ClickException(f"{error.detail} ({error.code})") from None
    click.echo(f"SIP account {login} of {code} is revoked.")


@account.command("list")
@click.argument("code")
@with_appcontext
def account_list(code):
    """List library CODE's SIP accounts."""
    from app.sip2 import service

    for record in service.list_accounts(_library_id(code)):
        state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "active"
        click.echo(f"{record.login}\t{state}\tset {record.updated_at:%Y-%m-%d %H:%M}")
