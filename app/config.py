"""Configuration: defaults here, then `instance/config.py`, then `RECIPROCITY_*` variables.

Every setting below can be overridden by an environment variable with the `RECIPROCITY_`
prefix (`RECIPROCITY_TIMEZONE=America/New_York`); values are parsed as JSON when they can be
(`RECIPROCITY_VERIFY_RATE_LIMIT=60`), otherwise taken as strings.
"""

import os
import secrets
import time
from pathlib import Path


class Defaults:
    """Settings every deployment starts from."""

    # Database: a SQLite file in instance/ unless DATABASE_URL names another.
    DATABASE_URL = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # The federation's time zone: "today" for expiry and deadlines is a calendar date here (R9).
    TIMEZONE = "America/Chicago"
    # A date (ISO) the directory reads as today, for previews and tests of staleness (R5);
    # None: the calendar date in TIMEZONE. Nothing else in the service reads it.
    DIRECTORY_TODAY = None

    # Secrets. HMAC_KEY hashes card numbers and surnames (R16); generated once into instance/
    # when not configured. It never goes into the database.
    SECRET_KEY = None
    HMAC_KEY = None

    # Largest request body accepted, except roster imports which stream (413 beyond).
    MAX_CONTENT_LENGTH = 1024 * 1024
    IMPORT_MAX_BYTES = 4 * 1024 * 1024 * 1024
    IMPORT_BATCH_SIZE = 2000

    # Verifications allowed per key per minute, with a burst of the same size; 0 disables.
    VERIFY_RATE_LIMIT = 120

    # Verification counts for the traffic survey (R19) are written at most this many seconds
    # apart per process (and at exit); 0 writes each at once. See app/verification/traffic.py.
    TRAFFIC_FLUSH_SECONDS = 1.0

    # Days a home library has to answer a block request before it is shown as overdue.
    BLOCK_RESPONSE_DAYS = 14

    # Suspensions (R12): no open-ended term; a suspension, or a renewal of it, ends at most
    # this many days from the day it is written. Ended terms are announced by
    # `reciprocity suspensions record-ended` (run daily, like `blocks mark-overdue`).
    SUSPENSION_MAX_DAYS = 365

    # Push delivery of events (app/webhooks). Loopback targets (127.0.0.0/8, ::1, and plain
    # http to them) are refused unless allowed: tests and local development allow them.
    WEBHOOK_ALLOW_LOOPBACK = False
    WEBHOOK_TIMEOUT = 10  # seconds per delivery attempt
    WEBHOOK_SECRET_ROTATION_HOURS = 24  # how long the previous secret also signs
    # Seconds before the next try after the 1st, 2nd, ... consecutive failure (full jitter):
    # more than a day in all. Past it, and failing for WEBHOOK_GIVE_UP_AFTER seconds, the
    # endpoint is disabled and an endpoint.disabled event goes into the library's feed.
    WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]
    WEBHOOK_GIVE_UP_AFTER = 24 * 3600
    WEBHOOK_BATCH_SIZE = 50  # events sent to one endpoint per claim
    WEBHOOK_BATCH_SECONDS = 5  # ... or for this long, whichever comes first
    WEBHOOK_POLL_INTERVAL = 1.0  # seconds the worker waits when nothing is due
    WEBHOOK_DELIVERY_RETENTION_DAYS = 30  # the attempts log is pruned past this
    WEBHOOK_MAX_ENDPOINTS = 10  # per library
    # A CA file the worker trusts for receivers' certificates instead of the system's
    # (a private CA, or tests); None trusts the system's. Proxy variables are never used.
    WEBHOOK_CA_BUNDLE = None

    # Lists: default and largest page.
    PAGE_SIZE = 50
    PAGE_SIZE_MAX = 500

    # OpenAPI (flask-smorest).
    API_TITLE = "Reciprocity"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "v1/openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Swagger UI's assets come from a CDN: nothing in the app serves /api/static/.
    OPENAPI_SWAGGER_UI_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
    API_SPEC_OPTIONS = {
        "info": {
            "description": (
                "Reciprocal borrowing across a federation of public libraries. "
                "Errors are RFC 9457 problem details with a stable `code`. "
                "Authenticate with `Authorization: Bearer <key>`."
            )
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "rcp_ key"}
            }
        },
        "security": [{"bearer": []}],
    }


def database_url(value: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL for a configured database, defaulting to SQLite in instance/."""
    if not value:
        return "sqlite:///" + os.path.join(instance_path, "reciprocity.db")
    # Production writes plain postgresql:// URLs; psycopg 3 is the driver we ship.
    for plain in ("postgresql://", "postgres://"):
        if value.startswith(plain):
            return "postgresql+psycopg://" + value[len(plain):]
    return value


def instance_secret(instance_path: str, name: str) -> str:
    """Read a secret from instance/NAME, generating it (mode 600) on first use."""
    path = Path(instance_path) / name
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        value = None
    if value:
        return value
    if value is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_hex(32)
        # O_EXCL: two workers starting at once must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(value + "\n")
            return value
    # The file exists but is empty: another process has just created it and is writing it.
    # Wait for the content rather than use an empty secret (every card HMAC would change).
    for _ in range(100):
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} exists but is empty: delete it to generate a new secret, "
                       "or restore the one in use.")
