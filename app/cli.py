"""The command line: `flask --app wsgi ...`, also installed as `reciprocity`."""

import io
import os
import signal
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from app.errors import DomainError


def _fail(error: DomainError) -> None:
    """Print a domain refusal the way a person reads it, and exit non-zero."""
    raise click.ClickException(f"{error.detail} ({error.code})")


@click.command("admin-key")
@click.option("--label", default=None, help="A note saying who or what the key is for.")
@with_appcontext
def admin_key(label):
    """Issue a federation-office key; the key is the last line printed."""
    from app.libraries.service import issue_admin_key

    record, key = issue_admin_key(label)
    click.echo(f"Issued federation-office key {record.id} ({record.prefix}...). "
               "It is shown only now:", err=True)
    click.echo(key)


@click.group("keys")
def keys():
    """Member libraries' API keys."""


@keys.command("issue")
@click.argument("code")
@click.option("--label", default=None, help="A note saying who or what the key is for.")
@with_appcontext
def keys_issue(code, label):
    """Issue a key for member library CODE; the key is the last line printed."""
    from app.libraries.service import issue_library_key

    try:
        record, key = issue_library_key(code, label)
    except DomainError as error:
        _fail(error)
    click.echo(f"Issued key {record.id} for {code}. It is shown only now:", err=True)
    click.echo(key)


@click.group("patrons")
def patrons():
    """The patron registry."""


@patrons.command("import")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "ndjson"]), default=None,
              help="Default: from the file name (.csv, .ndjson or .jsonl).")
@click.option("--encoding", default="utf-8", show_default=True,
              help="The file's character encoding: utf-8 (with or without a byte order mark), "
                   "windows-1252, latin-1, ...")
@with_appcontext
def patrons_import(code, file, fmt, encoding):
    """Import a roster FILE (CSV or NDJSON) for library CODE; safe to interrupt and rerun."""
    from app.libraries.service import get_library
    from app.patrons.roster import (
        READERS,
        RosterFormatError,
        UnsupportedEncodingError,
        roster_encoding,
    )
    from app.patrons.service import import_roster

    try:
        encoding = roster_encoding(encoding)
    except UnsupportedEncodingError as error:
        raise click.BadParameter(str(error), param_hint="--encoding") from None

    if fmt is None:
        fmt = "csv" if file.lower().endswith(".csv") else (
            "ndjson" if file.lower().endswith((".ndjson", ".jsonl")) else None)
        if fmt is None:
            raise click.UsageError("Say --format csv or --format ndjson.")
    try:
        library = get_library(code)
    except DomainError as error:
        _fail(error)
    # A pipe (`<(zcat roster.csv.gz)`, /dev/stdin) has no size and cannot tell its position:
    # it imports the same, without the bar.
    seekable = os.path.isfile(file)
    size = os.path.getsize(file) if seekable else 0
    with open(file, "rb") as raw, click.progressbar(
            length=size, label=f"Importing {os.path.basename(file)} for {code}",
            show_eta=True, show_percent=True, file=sys.stderr if seekable else io.StringIO()
    ) as bar:
        done = 0
        committed = None  # the running summary as of the last committed batch
        stop_requested = False

        def on_interrupt(signum, frame):
            # The first Ctrl-C lets the batch in flight commit, then stops; a second one stops
            # at once (the batch in flight is rolled back by the server).
            nonlocal stop_requested
            stop_requested = True
            signal.signal(signal.SIGINT, signal.default_int_handler)

        def on_batch(summary):
            nonlocal done, committed
            committed = summary
            if seekable:
                position = raw.tell()
                bar.update(position - done)
                done = position
            if stop_requested:
                raise _ImportStopped

        previous = signal.signal(signal.SIGINT, on_interrupt)
        try:
            summary = import_roster(library.id, READERS[fmt](raw, encoding),
                                    current_app.config["HMAC_KEY"].encode("utf-8"),
                                    batch_size=current_app.config["IMPORT_BATCH_SIZE"],
                                    on_batch=on_batch)
        except RosterFormatError as error:
            raise click.ClickException(str(error)) from None
        except (KeyboardInterrupt, _ImportStopped):
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a third Ctrl-C must not cut this
            _abandon_transaction()
            _report_interrupted(committed)
            sys.exit(130)
        finally:
            signal.signal(signal.SIGINT, previous)
        bar.update(size - done)
    click.echo(f"{summary.lines} lines: {summary.created} created, {summary.updated} updated, "
               f"{summary.unchanged} unchanged, {summary.rejected} rejected.")
    for error in summary.errors[:20]:
        click.echo(f"  line {error['line']}: {error['code']}: {error['detail']}")
    if summary.rejected > 20:
        click.echo(f"  ... and {summary.rejected - 20} more rejected lines.")
    if summary.rejected:
        sys.exit(1)


class _ImportStopped(Exception):
    """Raised between batches once Ctrl-C asked an import to stop."""


def _abandon_transaction() -> None:
    """Drop whatever an interrupt left in flight, even a COPY the driver was in the middle of."""
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection is mid-statement: throw it away, the server rolls back
        try:
            db.session.connection().invalidate()
        finally:
            db.session.close()


def _report_interrupted(committed) -> None:
    """Say what an interrupted import stored, and that running it again finishes it."""
    if committed is None:
        stored = "No batch was committed"
    else:
        stored = (f"Stored: {committed.lines} lines ({committed.created} created, "
                  f"{committed.updated} updated, {committed.unchanged} unchanged, "
                  f"{committed.rejected} rejected)")
    click.echo(f"\nInterrupted. {stored}; every committed batch is kept. Run the same command "
               "again to finish (the lines already stored will count as unchanged).", err=True)


@click.group("blocks")
def blocks():
    """Cross-library blocks (R8)."""


@blocks.command("mark-overdue")
@with_appcontext
def blocks_mark_overdue():
    """Note block requests unanswered past their due date (for cron; safe to run any time)."""
    from app.blocks.service import mark_overdue
    from app.timestamps import today_in

    marked = mark_overdue(today_in(current_app.config["TIMEZONE"]))
    click.echo(f"{marked} block request(s) newly overdue; each got a block.response_overdue "
               "event.")


@click.group("assistance")
def assistance():
    """Assistance requests between libraries (R7)."""


@assistance.command("mark-overdue")
@with_appcontext
def assistance_mark_overdue():
    """Note assistance requests unanswered past their due date (for cron, daily)."""
    from app.assistance.service import mark_overdue
    from app.timestamps import today_in

    marked = mark_overdue(today_in(current_app.config["TIMEZONE"]))
    click.echo(f"{marked} assistance request(s) newly overdue; each got an "
               "assistance.response_overdue event.")


@click.group("audit")
def audit():
    """The hash-chained audit trail."""


@audit.command("verify")
@with_appcontext
def audit_verify():
    """Walk the audit chain from its first entry; name the first broken link (exit 1)."""
    from app.audit.service import count_entries, verify

    total = count_entries()
    with click.progressbar(length=total, label=f"Checking {total} audit entries",
                           show_eta=True, show_percent=True, file=sys.stderr) as bar:
        broken = verify(on_batch=bar.update)
    if broken is not None:
        click.echo(f"Broken at entry {broken.seq}: {broken.problem}.", err=True)
        sys.exit(1)
    click.echo(f"The audit chain holds: {total} entries, each chained to the one before.")


@click.command("purge")
@with_appcontext
def purge():
    """Remove patron data from closed records past their retention period (R16); safe to
    interrupt and run again."""
    from app.retention.service import pending
    from app.retention.service import purge as run_purge
    from app.timestamps import today_in, utcnow

    config = current_app.config
    today, now = today_in(config["TIMEZONE"]), utcnow()
    days = (int(config["RETENTION_DAYS"]), int(config["ASSISTANCE_PURGE_DAYS"]))
    total = pending(today, now, *days)
    try:
        with click.progressbar(length=total, label=f"Purging {total} closed records",
                               show_eta=True, show_percent=True, file=sys.stderr) as bar:
            done = run_purge(today, now, *days, on_batch=bar.update)
    except KeyboardInterrupt:
        _abandon_transaction()
        click.echo("\nInterrupted; every committed batch is kept. Run the same command again "
                   "to finish.", err=True)
        sys.exit(130)
    click.echo(f"Purged patron data from {done.bills} closed bill(s) and {done.assistance} "
               "assistance request(s); amounts, dates and libraries are kept.")


@click.group("suspensions")
def suspensions():
    """Suspensions between libraries (R12)."""


@suspensions.command("record-ended")
@with_appcontext
def suspensions_record_ended():
    """Tell the parties and the office of suspensions past their end date (for cron, daily)."""
    from app.suspensions.service import record_ended
    from app.timestamps import today_in

    ended = record_ended(today_in(current_app.config["TIMEZONE"]))
    click.echo(f"{ended} suspension(s) newly ended; each got a suspension.ended event.")


@click.command("deliver")
@click.option("--once", is_flag=True,
              help="Deliver what is due, then exit (for cron) instead of running on.")
@click.option("--interval", type=float, default=None,
              help="Seconds to wait when nothing is due (default WEBHOOK_POLL_INTERVAL).")
@with_appcontext
def deliver(once, interval):
    """Push events to member libraries' webhook endpoints, signed, in order, at least once;
    and send the mail outbox (letters, emails) through MAIL_SERVER, at least once."""
    from app.mail.delivery import MailSettings, SmtpConnection, deliver_mail
    from app.webhooks.delivery import Sender, Settings, run

    stopping = []

    def stop(signum, frame):
        # Finish the delivery in flight and commit it, then exit: nothing is sent twice
        # needlessly, nothing is lost.
        stopping.append(signum)
        click.echo("Stopping after the current delivery...", err=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    settings = Settings.from_config(current_app.config)
    mail = MailSettings.from_config(current_app.config)
    if not mail.server:
        click.echo("MAIL_SERVER is not set: letters and emails stay queued in the outbox "
                   "until it is (see `reciprocity mail status`).", err=True)
    smtp = SmtpConnection(mail)
    poll = interval if interval is not None else float(current_app.config["WEBHOOK_POLL_INTERVAL"])
    try:
        run(settings, Sender(settings), once=once, poll_interval=poll,
            should_stop=lambda: bool(stopping), echo=lambda line: click.echo(line, err=True),
            also=(lambda: deliver_mail(mail, smtp, should_stop=lambda: bool(stopping)),))
    finally:
        smtp.close()


@click.group("mail")
def mail_group():
    """Letters and email between libraries."""


@mail_group.command("status")
@with_appcontext
def mail_status():
    """How the mail outbox stands: queued, sent, failed, and whether a server is set."""
    from app.mail.delivery import MailSettings, status

    now = status(MailSettings.from_config(current_app.config))
    if not now["server_configured"]:
        click.echo("MAIL_SERVER is not set: nothing is sent; mail waits in the outbox.")
    click.echo(f"queued: {now['queued']}  sent: {now['sent']}  failed: {now['failed']}")
    if now["oldest_queued_at"] is not None:
        click.echo(f"oldest queued since: {now['oldest_queued_at'].isoformat()}")


@click.group("demo")
def demo():
    """The demo federation."""


@demo.command("load")
@click.option("--scale", type=float, default=None,
              help="Synthetic patrons per registered borrower (default 1/1000).")
@with_appcontext
def demo_load(scale):
    """Load the demo federation: 623 Illinois libraries, patrons and keys (idempotent)."""
    from app.demo import load_demo

    load_demo(current_app, scale=scale, echo=lambda line: click.echo(line, err=True))


@click.group("peers")
def peers():
    """Peer federations (R17)."""


@peers.command("sync")
@click.argument("code", required=False)
@click.option("--every", type=float, default=None, metavar="SECONDS",
              help="Keep syncing, this many seconds apart (instead of cron).")
@with_appcontext
def peers_sync(code, every):
    """Read peers' libraries, card prefixes and directory (one peer, or every active one)."""
    import time

    from app.reach import service
    from app.timestamps import utcnow

    reach = current_app.extensions["reciprocity.reach"]
    timeout = float(current_app.config["PEER_SYNC_TIMEOUT"])
    while True:
        if code:
            try:
                results = [service.sync_peer(code, reach.outbound, reach.sealer, utcnow(),
                                             timeout)]
            except DomainError as error:
                if every is None:
                    _fail(error)
                results = [{"peer": code, "error": error.detail}]
        else:
            results = service.sync_all(reach.outbound, reach.sealer, utcnow(), timeout)
        for result in results:
            if "error" in result:
                click.echo(f"{result['peer']}: not synced: {result['error']}", err=True)
            else:
                click.echo(f"{result['peer']}: {result['libraries']} libraries, "
                           f"{result['prefixes']} card prefixes"
                           + (f", {result['skipped']} skipped (codes in use here)"
                              if result["skipped"] else ""))
        if every is None:
            if any("error" in r for r in results):
                sys.exit(1)
            return
        time.sleep(every)


def register_commands(app: Flask) -> None:
    """Attach the commands to the app's CLI group."""
    from app.console.cli import staff
    from app.sip2.cli import sip2

    for command in (admin_key, keys, patrons, blocks, assistance, audit, purge, suspensions,
                    deliver, demo, sip2, peers, staff, mail_group):
        app.cli.add_command(command)


def _create_app():
    from app import create_app

    return create_app()


def main() -> None:
    """The `reciprocity` console command: the app's Flask CLI group."""
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli = FlaskGroup(create_app=_create_app, help="Reciprocity: reciprocal borrowing service.")
    cli.main()
