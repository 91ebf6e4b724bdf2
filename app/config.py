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
    # A roster sent over HTTP: at most this many bytes and lines per request (413 beyond; 0
    # lifts the line cap). The largest Illinois public library has about 1.4 million
    # registered borrowers; the command-line import has no cap.
    IMPORT_MAX_BYTES = 256 * 1024 * 1024
    IMPORT_MAX_LINES = 2_000_000
    # ... and stops, with 422 too_many_bad_lines, past this many rejected lines (0: no cap).
    IMPORT_MAX_REJECTED = 10_000
    IMPORT_BATCH_SIZE = 2000

    # Rate limits per key and route family (app/ratelimit.py): an int is per minute, a string
    # is in the limits notation ("10/hour", "100/minute;2000/day"); 0 turns one off. Counted
    # in a moving window shared by every worker and host when the storage is Redis.
    VERIFY_RATE_LIMIT = 120    # card verifications
    CARD_RATE_LIMIT = 120      # every other request with a card number (blocks, bills, patrons)
    IMPORT_RATE_LIMIT = "20/hour"  # roster imports
    WRITE_RATE_LIMIT = 600     # other changes
    READ_RATE_LIMIT = 1200     # reads with a key
    PUBLIC_RATE_LIMIT = 600    # requests without a key, per client address
    RATELIMIT_ENABLED = True
    # memory:// counts per process (one worker); redis://host:6379/0 shares the counts.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STORAGE_OPTIONS: dict = {}
    RATELIMIT_STRATEGY = "moving-window"
    # When the storage cannot be reached: True serves without limits and logs a warning per
    # request; False refuses every limited request with 503 until it is back.
    RATELIMIT_FAIL_OPEN = True
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted
    # (deploy/: nginx, 1); 0 trusts none, as when the app is served directly.
    TRUSTED_PROXIES = 0

    # Read replicas (PostgreSQL streaming replicas of DATABASE_URL): a JSON list or a comma-
    # separated string of URLs. Verification and the public directory read from them; a
    # replica more than REPLICA_MAX_LAG_SECONDS behind, or down, is skipped. Each process
    # checks them every REPLICA_CHECK_SECONDS. See app/replicas.py and docs/operations.md.
    REPLICA_URLS: list = []
    REPLICA_MAX_LAG_SECONDS = 2.0
    REPLICA_CHECK_SECONDS = 1.0
    # Seconds a verified API key is remembered per process: a revoked key, or a deactivated
    # library's, stops working on every host within this bound (at once on the host that made
    # the change); 0 looks every key up on every request. KEY_CACHE_SIZE bounds the entries.
    KEY_CACHE_SECONDS = 5
    KEY_CACHE_SIZE = 10000
    # Verifications allowed per key per minute, with a burst of the same size; 0 disables.
    VERIFY_RATE_LIMIT = 120

    # Verification counts for the traffic survey (R19) are written at most this many seconds
    # apart per process (and at exit); 0 writes each at once. See app/verification/traffic.py.
    TRAFFIC_FLUSH_SECONDS = 1.0

    # NCIP front door (app/ncip): the largest LookupUser body read (413 beyond).
    NCIP_MAX_BYTES = 64 * 1024

    # SIP2 front door (app/sip2, `reciprocity sip2 serve`). Passwords of SIP accounts are
    # argon2id hashes with these costs (OWASP's recommendation by default: 19 MiB, 2 passes).
    SIP2_HOST = "127.0.0.1"
    SIP2_PORT = 6001
    SIP2_TLS_CERT = None  # PEM certificate chain: with SIP2_TLS_KEY, the port speaks TLS only
    SIP2_TLS_KEY = None
    SIP2_IDLE_TIMEOUT = 300  # seconds a connection may stay silent before it is closed
    SIP2_MAX_CONNECTIONS = 64  # at once; more are closed on arrival
    SIP2_MAX_MESSAGE = 2048  # bytes in one message (a terminator must come within)
    SIP2_MAX_LOGIN_FAILURES = 3  # per connection, then it is closed
    SIP2_INSTITUTION_NAME = "Reciprocity"  # AM in the 98 ACS Status answer
    SIP2_HASH_TIME_COST = 2
    SIP2_HASH_MEMORY_KIB = 19456
    # Reaching out (app/reach): the time a verification may take in all, live calls included.
    VERIFY_BUDGET_SECONDS = 1.5
    # A registry answer older than this (since the home library last sent patrons) cannot say
    # eligible: it says refer, registry_stale (R14). 0: never stale.
    REGISTRY_STALE_HOURS = 7 * 24
    # Live home answers are kept this long per process, per asking library (at most 60 s).
    HOME_CACHE_SECONDS = 5
    # A home system or peer is left alone for CIRCUIT_PAUSE_SECONDS after this many
    # consecutive failures, then tried once.
    CIRCUIT_FAILURES = 5
    CIRCUIT_PAUSE_SECONDS = 30
    # Seals stored credentials (Fernet key or 64 hex digits); generated into
    # instance/credentials.key when not set. The previous key still opens old credentials.
    CREDENTIALS_KEY = None
    CREDENTIALS_KEY_PREVIOUS = None
    # Home systems and peers on loopback (127.0.0.0/8, plain http): tests and local pairs.
    REACH_ALLOW_LOOPBACK = False
    # Seconds for each call of a peer sync (`reciprocity peers sync`).
    PEER_SYNC_TIMEOUT = 30
    # Threads per process for calls in flight to home systems and peers.
    OUTBOUND_WORKERS = 16

    # Days a home library has to answer a block request before it is shown as overdue.
    BLOCK_RESPONSE_DAYS = 14

    # Suspensions (R12): no open-ended term; a suspension, or a renewal of it, ends at most
    # this many days from the day it is written. Ended terms are announced by
    # `reciprocity suspensions record-ended` (run daily, like `blocks mark-overdue`).
    SUSPENSION_MAX_DAYS = 365

    # Assistance requests (R7, Plan V.1.b.iii-iv): days a home library has to answer before
    # the request is flagged overdue (`reciprocity assistance mark-overdue`, run daily), and
    # days after a request closes that the patron details the home library passed are kept
    # before `reciprocity purge` removes them (R16).
    ASSISTANCE_DUE_DAYS = 14
    ASSISTANCE_PURGE_DAYS = 30
    # Retention (R16): `reciprocity purge` removes the card's keyed hash, its last four digits
    # and the patron link from bills paid, resolved or void more than this many days ago. A
    # year: the longest the Plan keeps a matter open is R9's year from the infraction, and
    # the annual traffic survey (R19) and statements need amounts and libraries, not patrons.
    RETENTION_DAYS = 365

    # Push delivery of events (app/webhooks). Loopback targets (127.0.0.0/8, ::1, and plain
    # http to them) are refused unless allowed: tests and local development allow them.
    WEBHOOK_ALLOW_LOOPBACK = False
    # Ports an endpoint URL may name; the office may add others (8443, ...) here.
    WEBHOOK_ALLOWED_PORTS = [443]
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

    # Letters and email (app/mail). The federation's letterhead, then the SMTP server the
    # delivery worker (`reciprocity deliver`) sends through. Without MAIL_SERVER nothing is
    # sent: letters and emails wait in the outbox (`reciprocity mail status` says how many)
    # and go out once it is set. MAIL_USE_TLS: implicit TLS (SMTPS, usually port 465);
    # MAIL_USE_STARTTLS: upgrade a plain connection (usually port 587). OFFICE_EMAIL gets a
    # copy of every letter.
    FEDERATION_NAME = "Reciprocity Library Federation"
    FEDERATION_ADDRESS = ""  # one line per line of the letterhead, separated by "\n"
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_STARTTLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_FROM = "reciprocity@localhost"
    MAIL_TIMEOUT = 30  # seconds per SMTP conversation
    MAIL_BATCH_SIZE = 20  # messages one worker claims at a time
    # Seconds between attempts after each failure; past the last step it keeps that pace.
    MAIL_RETRY_SCHEDULE = [30, 120, 600, 1800, 3600, 10800]
    OFFICE_EMAIL = None

    # The staff console (app/console). Its address as people reach it, for the password links
    # `reciprocity staff create|reset-link` print; None: http://127.0.0.1:5000.
    CONSOLE_BASE_URL = None
    # Staff passwords are hashed with argon2id using this profile of argon2.profiles
    # (RFC 9106's low-memory option: 64 MiB, 3 passes). Tests use CHEAPEST. Hashes made with
    # an older profile still verify, and are re-hashed at the next sign-in.
    STAFF_PASSWORD_HASHING = "RFC_9106_LOW_MEMORY"
    # The session cookie is HttpOnly and SameSite=Lax, and Secure whenever the request came
    # over HTTPS; set true to make it Secure always (behind a proxy that ends TLS). A session
    # lasts this many seconds from signing in.
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 12 * 3600

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
