"""Use cases for webhook endpoints: register, change, rotate, inspect, redeliver.

Each use case takes the caller's feed (`app.events.service.feed_of`): a library's id, or the
federation office's feed; an endpoint of another feed is simply not found.
"""

from datetime import timedelta

from sqlalchemy import func, select

from app.errors import ConflictError, NotFoundError, RuleError
from app.events.models import OFFICE_FEED
from app.events.service import last_seq
from app.extensions import db
from app.ids import new_id
from app.outbound import Resolver, resolve_host  # noqa: F401 (the API's resolver)
from app.pagination import paginate
from app.timestamps import utcnow
from app.webhooks import rules
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from federation.webhooks import new_secret


def check_url(url: str, *, allow_loopback: bool, resolve: Resolver,
              allowed_ports=(443,)) -> None:
    """Refuse a URL that is not https or that resolves to a non-public address (422)."""
    try:
        target = rules.parse_url(url, allow_loopback=allow_loopback)
        rules.check_addresses(resolve(target.host, target.port), allow_loopback=allow_loopback)
        rules.check_port(target, allow_loopback=allow_loopback, allowed_ports=allowed_ports)
    except rules.UrlRefused as refusal:
        raise RuleError(str(refusal), code="endpoint_url_not_allowed",
                        errors={"url": str(refusal)}) from None


def _own_endpoint(feed: int, endpoint_id: str, *, lock: bool = False) -> WebhookEndpoint:
    """One of the feed's endpoints; another library's id is simply not found."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                          WebhookEndpoint.feed == feed)
    if lock:
        query = query.with_for_update()
    endpoint = db.session.execute(query).scalar_one_or_none()
    if endpoint is None:
        raise NotFoundError("You have no webhook endpoint with this id.",
                            code="endpoint_not_found")
    return endpoint


def create_endpoint(feed: int, data: dict, *, allow_loopback: bool, resolve: Resolver,
                    max_endpoints: int, before_commit=None,
                    allowed_ports=(443,)) -> WebhookEndpoint:
    """Register a URL for the feed's events; the answer shows the secret, this once."""
    check_url(data["url"], allow_loopback=allow_loopback, resolve=resolve,
              allowed_ports=allowed_ports)
    count = db.session.execute(select(func.count()).select_from(WebhookEndpoint).where(
        WebhookEndpoint.feed == feed)).scalar_one()
    if count >= max_endpoints:
        raise RuleError(f"A library has at most {max_endpoints} webhook endpoints: delete one "
                        "first.", code="too_many_endpoints")
    # A new endpoint receives what happens from now on; what came before is in the feed.
    secret = new_secret()
    endpoint = WebhookEndpoint(id=new_id("whe"), feed=feed,
                               library_id=None if feed == OFFICE_FEED else feed,
                               url=data["url"], description=data.get("description"),
                               secret=secret, enabled=True, delivered_seq=last_seq(feed),
                               failures=0)
    db.session.add(endpoint)
    db.session.flush()
    endpoint.shown_secret = secret
    if before_commit:
        before_commit(endpoint)
    db.session.commit()
    endpoint.shown_secret = secret
    return endpoint


def list_endpoints(feed: int, *, limit: int | None, cursor: str | None) -> dict:
    """The feed's endpoints, a page at a time."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.feed == feed)
    return paginate(query, WebhookEndpoint.id, limit=limit, cursor=cursor)


def get_endpoint(feed: int, endpoint_id: str) -> WebhookEndpoint:
    """One of the feed's endpoints."""
    return _own_endpoint(feed, endpoint_id)


def update_endpoint(feed: int, endpoint_id: str, data: dict, *, allow_loopback: bool,
                    resolve: Resolver, allowed_ports=(443,)) -> WebhookEndpoint:
    """Change an endpoint's URL, description, or switch it off and on."""
    endpoint = _own_endpoint(feed, endpoint_id, lock=True)
    if "url" in data:
        check_url(data["url"], allow_loopback=allow_loopback, resolve=resolve,
              allowed_ports=allowed_ports)
        endpoint.url = data["url"]
    if "description" in data:
        endpoint.description = data["description"]
    if "enabled" in data:
        if data["enabled"]:
            _enable(endpoint)
        elif endpoint.enabled:
            endpoint.enabled = False
            endpoint.disabled_reason = "by_library"
            endpoint.disabled_at = utcnow()
    db.session.commit()
    return endpoint


def _enable(endpoint: WebhookEndpoint) -> None:
    """Switch delivery back on from where it stopped, with a clean failure count."""
    endpoint.enabled = True
    endpoint.disabled_reason = None
    endpoint.disabled_at = None
    endpoint.failures = 0
    endpoint.failing_since = None
    endpoint.next_attempt_at = None


def enable_endpoint(feed: int, endpoint_id: str) -> WebhookEndpoint:
    """Resume delivery to a disabled endpoint, from the first event it did not acknowledge."""
    endpoint = _own_endpoint(feed, endpoint_id, lock=True)
    _enable(endpoint)
    db.session.commit()
    return endpoint


def delete_endpoint(feed: int, endpoint_id: str) -> None:
    """Stop delivering to an endpoint and forget it (its attempts log goes with it)."""
    endpoint = _own_endpoint(feed, endpoint_id, lock=True)
    db.session.delete(endpoint)
    db.session.commit()


def rotate_secret(feed: int, endpoint_id: str, *, overlap: timedelta) -> WebhookEndpoint:
    """Give an endpoint a new secret (shown once); the old one also signs for `overlap`."""
    endpoint = _own_endpoint(feed, endpoint_id, lock=True)
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + overlap
    endpoint.secret = secret
    db.session.commit()
    endpoint.shown_secret = secret
    return endpoint


def list_deliveries(feed: int, endpoint_id: str, *, limit: int, cursor: str | None) -> dict:
    """An endpoint's delivery attempts, newest first."""
    _own_endpoint(feed, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return paginate(query, WebhookDelivery.number, limit=limit, cursor=cursor,
                    descending=True, key_type=int)


def redeliver(feed: int, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
    """Ask for a dead-lettered event to be sent again (by the worker, ahead of new events)."""
    endpoint = _own_endpoint(feed, endpoint_id, lock=True)
    delivery = db.session.execute(select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id,
        WebhookDelivery.endpoint_id == endpoint.id)).scalar_one_or_none()
    if delivery is None:
        raise NotFoundError("This endpoint has no delivery with this id.",
                            code="delivery_not_found")
    if delivery.status != "dead":
        raise ConflictError("Only a dead-lettered delivery can be redelivered; others are "
                            "retried by themselves.", code="delivery_not_dead")
    if delivery.redeliver_requested_at is None:
        delivery.redeliver_requested_at = utcnow()
    db.session.commit()
    return delivery
