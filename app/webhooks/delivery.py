"""The delivery worker: drain each endpoint's share of its feed, signed, in order.

Each endpoint keeps a cursor (`delivered_seq`) into its feed (a library's or the federation
office's). A worker claims one endpoint that has work and is due (on PostgreSQL with `FOR
UPDATE SKIP LOCKED`, so several workers never hold the same endpoint, and never send one event
twice at the same moment), sends the next events one by one in `seq` order, and moves the
cursor in the same transaction only after a 2xx. A worker killed at any point leaves the cursor
where the last commit put it: the events after it are sent again (at least once, in order per
feed), never lost.

On SQLite there are no row locks: run one worker.
"""

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import delete, exists, or_, select

from app.events.models import Event, EventCounter
from app.events.service import record
from app.extensions import db
from app.ids import new_id
from app.outbound import PinnedAdapter, Resolver, resolve_host
from app.timestamps import isoformat_utc, utcnow
from app.webhooks import rules
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from federation import webhooks as signing


@dataclass(frozen=True)
class Settings:
    """What the worker needs from the configuration."""

    timeout: float = 10.0
    allow_loopback: bool = False
    batch_size: int = 50
    batch_seconds: float = 5.0
    schedule: tuple[float, ...] = rules.RETRY_SCHEDULE
    give_up_after: float = rules.GIVE_UP_AFTER
    retention_days: int = 30
    ca_bundle: str | None = None  # a CA file to trust instead of the system's (None: system)
    allowed_ports: tuple = (443,)  # ports an endpoint may name besides loopback when allowed

    @classmethod
    def from_config(cls, config) -> "Settings":
        """Read the WEBHOOK_* settings."""
        return cls(timeout=float(config["WEBHOOK_TIMEOUT"]),
                   allow_loopback=bool(config["WEBHOOK_ALLOW_LOOPBACK"]),
                   batch_size=int(config["WEBHOOK_BATCH_SIZE"]),
                   batch_seconds=float(config["WEBHOOK_BATCH_SECONDS"]),
                   schedule=tuple(float(s) for s in config["WEBHOOK_RETRY_SCHEDULE"]),
                   give_up_after=float(config["WEBHOOK_GIVE_UP_AFTER"]),
                   retention_days=int(config["WEBHOOK_DELIVERY_RETENTION_DAYS"]),
                   ca_bundle=config["WEBHOOK_CA_BUNDLE"] or None,
                   allowed_ports=tuple(int(p) for p in config["WEBHOOK_ALLOWED_PORTS"]))


@dataclass(frozen=True)
class Answer:
    """What came back from one POST: a status, or an error in words."""

    status: int | None
    error: str | None
    duration_ms: int


def payload(event: Event) -> bytes:
    """The thin body: the event's type, when, and ids only (R16: never patron data)."""
    return json.dumps({"type": event.type, "timestamp": isoformat_utc(event.occurred_at),
                       "data": event.data}, separators=(",", ":")).encode("utf-8")


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and during a rotation the previous one too."""
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and \
            endpoint.previous_secret_expires_at > now:
        found.append(endpoint.previous_secret)
    return found


class Sender:
    """POSTs signed deliveries with one requests.Session; re-checks the address every time."""

    def __init__(self, settings: Settings, resolve: Resolver = resolve_host):
        """One session for the worker's life: connections to receivers are reused."""
        self.settings = settings
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "Reciprocity-Webhooks/1"
        # No proxies or CA bundle from the environment: a proxy would resolve the name
        # itself, after our check, and the CA is the configuration's to say.
        self.session.trust_env = False
        self.session.verify = settings.ca_bundle or True
        # The name is resolved once per delivery, every address checked, and the connection
        # made to the checked address (DNS rebinding: a second lookup could answer 127.0.0.1).
        adapter = PinnedAdapter(resolve, allow_loopback=settings.allow_loopback,
                                allowed_ports=settings.allowed_ports)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def send(self, url: str, body: bytes, headers: dict) -> Answer:
        """POST once, never following redirects (they could lead anywhere)."""
        started = time.monotonic()
        try:
            response = self.session.post(
                url, data=body, allow_redirects=False, timeout=self.settings.timeout,
                headers={**headers, "Content-Type": "application/json"})
            response.close()
        except rules.UrlRefused as refusal:
            return Answer(None, f"url_not_allowed: {refusal}"[:500], _ms(started))
        except requests.Timeout:
            return Answer(None, "timeout", _ms(started))
        except requests.RequestException as error:
            return Answer(None, f"{type(error).__name__}: {error}"[:500], _ms(started))
        return Answer(response.status_code, None, _ms(started))


def _ms(started: float) -> int:
    """Milliseconds since `started` (monotonic)."""
    return int((time.monotonic() - started) * 1000)


def claim(now: datetime) -> WebhookEndpoint | None:
    """Lock one enabled endpoint that is due and has work (PostgreSQL skips locked ones)."""
    pending = exists().where(WebhookDelivery.endpoint_id == WebhookEndpoint.id,
                             WebhookDelivery.redeliver_requested_at.is_not(None))
    query = (select(WebhookEndpoint)
             .join(EventCounter, EventCounter.feed == WebhookEndpoint.feed, isouter=True)
             .where(WebhookEndpoint.enabled.is_(True),
                    or_(WebhookEndpoint.next_attempt_at.is_(None),
                        WebhookEndpoint.next_attempt_at <= now),
                    or_(EventCounter.last_seq > WebhookEndpoint.delivered_seq, pending))
             # Longest waiting first: an endpoint just served goes to the back of the queue.
             .order_by(WebhookEndpoint.next_attempt_at.asc().nulls_first(), WebhookEndpoint.id)
             .limit(1)
             .with_for_update(skip_locked=True, of=WebhookEndpoint))
    return db.session.execute(query).scalar_one_or_none()


def deliver_one_endpoint(settings: Settings, sender: Sender,
                         rand: Callable[[], float] = random.random,
                         should_stop: Callable[[], bool] = lambda: False) -> bool:
    """Claim a due endpoint, send its next events, commit; False when none was due."""
    now = utcnow()
    endpoint = claim(now)
    if endpoint is None:
        db.session.rollback()  # end the read (and, on PostgreSQL, the transaction)
        return False
    started = time.monotonic()
    try:
        sent = 0
        for event, original in _work(endpoint, settings.batch_size):
            result = _attempt(endpoint, event, sender, rand, settings)
            if original is not None and result in ("succeeded", "dead"):
                original.redeliver_requested_at = None
            if result != "succeeded":
                break  # retry later (or never, when disabled): order is kept either way
            sent += 1
            if should_stop() or time.monotonic() - started > settings.batch_seconds:
                break
        else:
            if sent:
                endpoint.next_attempt_at = utcnow()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def _work(endpoint: WebhookEndpoint, limit: int):
    """Requested redeliveries first, then the feed after the cursor, in seq order."""
    redeliveries = db.session.execute(
        select(WebhookDelivery, Event).join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint.id,
               WebhookDelivery.redeliver_requested_at.is_not(None))
        .order_by(WebhookDelivery.event_seq).limit(limit)).all()
    for original, event in redeliveries:
        yield event, original
    events = db.session.execute(
        select(Event).where(Event.feed == endpoint.feed, Event.seq > endpoint.delivered_seq)
        .order_by(Event.seq).limit(limit)).scalars().all()
    for event in events:
        yield event, None


def _attempt(endpoint: WebhookEndpoint, event: Event, sender: Sender,
             rand: Callable[[], float], settings: Settings) -> str:
    """Send one event, log the attempt, and move the endpoint on; the outcome
    (`succeeded`, `dead`, `gone` or `failed`, as `rules.outcome` names them)."""
    now = utcnow()
    body = payload(event)
    headers = signing.sign(signing_secrets(endpoint, now), event.id, int(now.timestamp()),
                           body)
    answer = sender.send(endpoint.url, body, headers)
    result = rules.outcome(answer.status)
    status = {"succeeded": "succeeded", "dead": "dead"}.get(result, "failed")
    db.session.add(WebhookDelivery(
        id=new_id("whd"), endpoint_id=endpoint.id, event_id=event.id, event_seq=event.seq,
        event_type=event.type, status=status, response_status=answer.status,
        error=answer.error, duration_ms=answer.duration_ms, attempted_at=now))
    if result in ("succeeded", "dead") and event.seq > endpoint.delivered_seq:
        # A permanent 4xx sets this event aside (redeliverable) so the ones after it flow.
        endpoint.delivered_seq = event.seq
    if result == "succeeded":
        endpoint.failures = 0
        endpoint.failing_since = None
        return result
    if result == "gone":
        _disable(endpoint, "gone", now)
        return result
    # A failure, or a dead letter: count it, so an endpoint refusing everything (a wrong
    # secret, say) sets aside one event per step of the schedule, not the whole feed.
    endpoint.failures += 1
    endpoint.failing_since = endpoint.failing_since or now
    failing_for = (now - endpoint.failing_since).total_seconds()
    if rules.should_give_up(endpoint.failures, failing_for, schedule=settings.schedule,
                            give_up_after=settings.give_up_after):
        _disable(endpoint, "failing", now)
        return result
    delay = rules.retry_delay(endpoint.failures, rand(), settings.schedule)
    endpoint.next_attempt_at = now + timedelta(seconds=delay)
    return result


def _disable(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Stop delivering, and say so in the endpoint's own feed (a library's or the office's)."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    owner = [] if endpoint.library_id is None else [endpoint.library_id]
    record(owner, "endpoint.disabled", {"endpoint_id": endpoint.id, "reason": reason},
           office=endpoint.library_id is None)


def prune(settings: Settings) -> int:
    """Delete delivery attempts past the retention period; how many."""
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    result = db.session.execute(delete(WebhookDelivery).where(
        WebhookDelivery.attempted_at < cutoff,
        WebhookDelivery.redeliver_requested_at.is_(None)))
    db.session.commit()
    return result.rowcount or 0


def run(settings: Settings, sender: Sender, *, once: bool, poll_interval: float,
        should_stop: Callable[[], bool], echo: Callable[[str], None] = lambda line: None,
        also: tuple[Callable[[], int], ...] = ()) -> int:
    """Deliver until stopped (or, with `once`, until nothing is due); endpoints served.

    `also`: other outboxes drained in the same loop (the mail's), each a function that does
    one batch and says how much it did.
    """
    served = 0
    prune(settings)
    last_prune = time.monotonic()
    while not should_stop():
        worked = False
        if deliver_one_endpoint(settings, sender, should_stop=should_stop):
            served += 1
            worked = True
        for batch in also:
            worked = bool(batch()) or worked
        if worked:
            continue
        if once:
            break
        if time.monotonic() - last_prune > 3600:
            prune(settings)
            last_prune = time.monotonic()
        # Sleep in small steps so a signal ends the wait promptly.
        deadline = time.monotonic() + poll_interval
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.05, poll_interval))
    echo(f"Served {served} endpoint batch(es).")
    return served
