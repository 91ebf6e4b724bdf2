"""`reciprocity staff ...`: the first office account, and password links for anyone."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.console import rules
from app.errors import DomainError


def _link(token: str) -> str:
    """The console's set-password address for a token."""
    base = (current_app.config.get("CONSOLE_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    return f"{base}/console/password/{token}"


def _fail(error: DomainError) -> None:
    """A refusal in words, then a non-zero exit."""
    fields = "; ".join(f"{name}: {text}" for name, text in (error.errors or {}).items())
    raise click.ClickException(f"{error.detail}{' (' + fields + ')' if fields else ''}")


@click.group("staff")
def staff():
    """Staff accounts of the console."""


@staff.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as colleagues see it.")
@click.option("--role", type=click.Choice(rules.ROLES), required=True,
              help="office for the federation office; desk, circulation or library_admin "
                   "for a library's staff (with --library).")
@click.option("--library", "library_code", default=None, help="The library's code (IL0029).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of printing a link.")
@with_appcontext
def staff_create(email, name, role, library_code, password_stdin):
    """Create a staff account; prints a one-time link to set its password (the last line)."""
    from app.console import service

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        account = service.create_staff(email, name, role, library_code, password=password)
    except DomainError as error:
        _fail(error)
    where = account.library.code if account.library else "the federation office"
    click.echo(f"Created {rules.ROLE_WORDS[role].lower()} account {account.email} for {where}.",
               err=True)
    if password is None:
        token = service.issue_reset_token(account.id)
        click.echo(f"It has no password yet. This link sets one, once, within "
                   f"{service.RESET_LINK_HOURS} hours:", err=True)
        click.echo(_link(token))


@staff.command("reset-link")
@click.argument("email")
@with_appcontext
def staff_reset_link(email):
    """Print a one-time link to set a new password for EMAIL (earlier links stop working)."""
    from app.console import service

    try:
        account = service.find_staff_by_email(email)
    except DomainError as error:
        _fail(error)
    token = service.issue_reset_token(account.id)
    click.echo(f"A link to set {account.email}'s password, once, within "
               f"{service.RESET_LINK_HOURS} hours:", err=True)
    click.echo(_link(token))
