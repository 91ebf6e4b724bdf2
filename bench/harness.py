"""What both benchmarks share: a scratch database on either backend, the federation they need,
patrons written straight through the raw driver, gunicorn, and the result table.

Bench-only code: nothing in app/ imports it. Every database, server and cluster it starts lives
under one temporary directory and is removed by `Workspace.close()`, which the scripts call in a
`finally` (and on SIGTERM/SIGINT).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from app.ids import new_ids  # noqa: E402
from app.patrons.rules import card_hmac, last4, normalize_surname, surname_hmac  # noqa: E402

# Not secret: a fixed key makes the stored hashes the same in every run. Non-numeric on purpose:
# RECIPROCITY_* variables are parsed as JSON when they can be.
HMAC_KEY = "bench-hmac-key-not-secret"
SECRET_KEY = "bench-secret-key-not-secret"

PATRON_COLUMNS = ("id", "library_id", "card_hmac", "card_last4", "surname_hmac", "expires_on",
                  "standing", "block_reasons", "category", "external_ref", "created_at",
                  "updated_at")
ROSTER_COLUMNS = ("card_number", "expires_on", "standing", "block_reasons", "category",
                  "surname", "external_ref")
GOOD_UNTIL = date(2031, 6, 30)
EXPIRED_ON = date(2020, 1, 31)


# --- the synthetic federation -------------------------------------------------------------

def home_code(index: int) -> str:
    """The code of home library `index` (0-based)."""
    return f"BH{index:04d}"


def home_prefix(index: int) -> str:
    """The card prefix of home library `index`: five digits, as member libraries use."""
    return f"2{index + 1:04d}"


def card_number(index: int, serial: int) -> str:
    """A normalised card: the home's prefix and a nine-digit serial (14 digits)."""
    return f"{home_prefix(index)}{serial:09d}"


def patron_fields(serial: int) -> dict:
    """The roster fields of patron `serial`: mostly good, 2% blocked, 2.5% expired."""
    blocked = serial % 50 == 3
    return {
        "expires_on": EXPIRED_ON if serial % 40 == 7 else GOOD_UNTIL,
        "standing": "blocked" if blocked else "good",
        "block_reasons": ["fines"] if blocked else [],
        "category": "juvenile" if serial % 5 == 0 else "adult",
        "surname": f"Surname{serial % 5000}",
        "external_ref": f"ext-{serial}",
    }


def spread(total: int, homes: int) -> list[int]:
    """How many patrons each home library gets so that they add up to `total`."""
    return [total // homes + (1 if i < total % homes else 0) for i in range(homes)]


def stored_rows(library_ids: list[int], counts: list[int], key: bytes, now: datetime,
                backend: str) -> Iterator[tuple]:
    """The patrons table's final rows (PATRON_COLUMNS), as the app would store them.

    The card and surname hashes are the app's own (`card_hmac`, `surname_hmac` over
    `normalize_surname`), ids come from the app's `new_ids`, and values are in the form the
    backend's SQLAlchemy types write (SQLite: ISO text; PostgreSQL: native types via psycopg).
    """
    if backend == "sqlite":
        stamp = now.astimezone(UTC).replace(tzinfo=None).strftime(
            "%Y-%m-%d %H:%M:%S.%f")
        day = {GOOD_UNTIL: GOOD_UNTIL.isoformat(), EXPIRED_ON: EXPIRED_ON.isoformat()}
    else:
        stamp = now
        day = {GOOD_UNTIL: GOOD_UNTIL, EXPIRED_ON: EXPIRED_ON}
    surnames = [surname_hmac(key, normalize_surname(f"Surname{n}")) for n in range(5000)]
    for index, (library_id, count) in enumerate(zip(library_ids, counts)):
        ids = iter(new_ids("pat", count))
        for serial in range(count):
            card = card_number(index, serial)
            fields = patron_fields(serial)
            yield (next(ids), library_id, card_hmac(key, card), last4(card),
                   surnames[serial % 5000], day[fields["expires_on"]], fields["standing"],
                   json.dumps(fields["block_reasons"]), fields["category"],
                   fields["external_ref"], stamp, stamp)


def write_roster_csv(path: str, counts: list[int], index: int = 0) -> None:
    """Write home library `index`'s roster as the CSV a library would send."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(ROSTER_COLUMNS) + "\n")
        lines = []
        for serial in range(counts[index]):
            f = patron_fields(serial)
            lines.append(f"{card_number(index, serial)},{f['expires_on'].isoformat()},"
                         f"{f['standing']},{';'.join(f['block_reasons'])},{f['category']},"
                         f"{f['surname']},{f['external_ref']}\n")
            if len(lines) >= 50_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)


# --- databases ----------------------------------------------------------------------------

def _load_pg_cluster_module():
    """tests/pg_cluster.py, imported by path (tests/ is not a package)."""
    path = os.path.join(REPO, "tests", "pg_cluster.py")
    spec = importlib.util.spec_from_file_location("bench_pg_cluster", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Workspace:
    """A temporary directory, and on PostgreSQL a throwaway cluster, for one benchmark run."""

    def __init__(self, backend: str):
        """Create the directory and start the cluster the backend needs."""
        self.backend = backend
        self.dir = tempfile.mkdtemp(prefix=f"reciprocity-bench-{backend}-")
        self.cluster = None
        self.servers: list[subprocess.Popen] = []
        if backend == "postgresql":
            self.cluster = _load_pg_cluster_module().PostgresCluster().start()

    def new_database(self, name: str) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        if self.backend == "sqlite":
            path = os.path.join(self.dir, f"{name}.db")
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path + suffix)
            return f"sqlite:///{path}"
        self.cluster.drop_database(name)
        return self.cluster.create_database(name)

    def drop_database(self, url: str) -> None:
        """Remove a database made by new_database (frees disk between import runs)."""
        if self.backend == "sqlite":
            path = url.removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path + suffix)
        else:
            self.cluster.drop_database(url.rsplit("/", 1)[1])

    def close(self) -> None:
        """Stop every server and the cluster, and delete the directory (idempotent)."""
        for server in self.servers:
            stop_server(server)
        self.servers.clear()
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        shutil.rmtree(self.dir, ignore_errors=True)


def app_env(url: str, **extra: str) -> dict:
    """The environment a subprocess of the app (CLI, gunicorn) runs with."""
    env = dict(os.environ)
    env.update({"RECIPROCITY_DATABASE_URL": url, "RECIPROCITY_HMAC_KEY": HMAC_KEY,
                "RECIPROCITY_SECRET_KEY": SECRET_KEY, "RECIPROCITY_VERIFY_RATE_LIMIT": "0",
                "RECIPROCITY_RATELIMIT_ENABLED": "false",
                "PYTHONPATH": REPO + os.pathsep + BENCH_DIR, **extra})
    return env


def migrate(url: str) -> None:
    """Apply the real migrations with the app's own CLI: `flask --app wsgi db upgrade`."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                            cwd=REPO, env=app_env(url), capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{result.stdout}\n{result.stderr}")


def make_app(url: str):
    """The app, configured as the servers are (same key, rate limits off)."""
    from app import create_app

    return create_app({"DATABASE_URL": url, "HMAC_KEY": HMAC_KEY, "SECRET_KEY": SECRET_KEY,
                       "VERIFY_RATE_LIMIT": 0, "RATELIMIT_ENABLED": False})


def admit_federation(url: str, homes: int, with_key: bool = True) -> tuple[list[int], str | None]:
    """Admit `homes` home libraries and one lending library through the app's services.

    Returns the home libraries' ids (in index order) and a key for the lending library.
    """
    from app.extensions import db
    from app.libraries.service import admit_library, issue_library_key

    app = make_app(url)
    key = None
    with app.app_context():
        ids = []
        for index in range(homes):
            library = admit_library({
                "code": home_code(index), "name": f"Bench Home Library {index}",
                "type": "public", "membership": "full", "card_prefixes": [home_prefix(index)],
                "contact": {"email": f"desk{index}@bench.invalid", "phone": "555-0100"},
                "address": {}})
            ids.append(library.id)
        admit_library({"code": "BLEND", "name": "Bench Lending Library", "type": "public",
                       "membership": "full", "card_prefixes": ["29999"],
                       "contact": {"email": "desk@bench.invalid"}, "address": {}})
        if with_key:
            _, key = issue_library_key("BLEND", "benchmark")
        db.session.remove()
        db.engine.dispose()
    return ids, key


def sqlite_path(url: str) -> str:
    """The file behind a sqlite:/// URL."""
    return url.removeprefix("sqlite:///")


def pg_conninfo(url: str) -> str:
    """A psycopg conninfo for a postgresql+psycopg:// URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def sqlite_connect(url: str) -> sqlite3.Connection:
    """A raw sqlite3 connection with the pragmas the app sets on every connection."""
    con = sqlite3.connect(sqlite_path(url), isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL",
                   "busy_timeout=10000"):
        con.execute(f"PRAGMA {pragma}")
    return con


_INSERT_SQL = (f"INSERT INTO patrons ({', '.join(PATRON_COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in PATRON_COLUMNS)})")
_COPY_SQL = f"COPY patrons ({', '.join(PATRON_COLUMNS)}) FROM STDIN"


def raw_insert(backend: str, url: str, rows: Iterable[tuple]) -> None:
    """The raw driver's bulk insert: sqlite3 executemany in one transaction, or psycopg COPY."""
    if backend == "sqlite":
        con = sqlite_connect(url)
        try:
            con.execute("BEGIN")
            con.executemany(_INSERT_SQL, rows)
            con.execute("COMMIT")
        finally:
            con.close()
        return
    import psycopg

    with psycopg.connect(pg_conninfo(url)) as conn:
        with conn.cursor() as cur, cur.copy(_COPY_SQL) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()


def analyze(backend: str, url: str) -> None:
    """Planner statistics, as a database that has been running a while has them."""
    if backend == "sqlite":
        con = sqlite_connect(url)
        con.execute("ANALYZE")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        return
    import psycopg

    with psycopg.connect(pg_conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def count_patrons(backend: str, url: str) -> int:
    """Rows in the patrons table."""
    if backend == "sqlite":
        con = sqlite_connect(url)
        try:
            return con.execute("SELECT count(*) FROM patrons").fetchone()[0]
        finally:
            con.close()
    import psycopg

    with psycopg.connect(pg_conninfo(url)) as conn:
        return conn.execute("SELECT count(*) FROM patrons").fetchone()[0]


def patron_digest(backend: str, url: str) -> str:
    """A hash of every patron's stored content except id and timestamps: equal for two imports
    that stored the same patrons."""
    import hashlib

    query = ("SELECT library_id, card_hmac, card_last4, surname_hmac, expires_on, standing, "
             "block_reasons, category, external_ref FROM patrons ORDER BY library_id, card_hmac")
    digest = hashlib.sha256()
    if backend == "sqlite":
        con = sqlite_connect(url)
        try:
            for r in con.execute(query):
                digest.update(repr(tuple(r[:6]) + (json.loads(r[6]),) + tuple(r[7:])).encode())
        finally:
            con.close()
        return digest.hexdigest()
    import psycopg

    with psycopg.connect(pg_conninfo(url)) as conn, conn.cursor(name="digest") as cur:
        cur.execute(query)
        for r in cur:
            digest.update(repr((r[0], bytes(r[1]), r[2], bytes(r[3]) if r[3] else None,
                                r[4].isoformat(), *r[5:])).encode())
    return digest.hexdigest()


# --- servers ------------------------------------------------------------------------------

def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(ws: Workspace, url: str, name: str, workers: int, threads: int,
                   extra_env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """Serve bench/wsgi_bench.py on a free loopback port; returns (process, port) once ready."""
    port = free_port()
    log = open(os.path.join(ws.dir, f"gunicorn-{name}.log"), "w")  # noqa: SIM115 (the server keeps it)
    command = [sys.executable, "-m", "gunicorn", "--chdir", REPO, "--pythonpath", BENCH_DIR,
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "gthread" if threads > 1 else "sync",
               "--threads", str(threads), "--timeout", "60", "--log-level", "warning",
               "wsgi_bench:app"]
    # A session of its own, so stop_server can end exactly this server and its workers.
    process = subprocess.Popen(command, cwd=REPO, env=app_env(url, **(extra_env or {})),
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    log.close()
    ws.servers.append(process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                if r.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.2)
    with open(os.path.join(ws.dir, f"gunicorn-{name}.log")) as f:
        tail = f.read()[-3000:]
    raise RuntimeError(f"gunicorn ({name}) did not become ready:\n{tail}")


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started by start_gunicorn: its own process group, by id."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def process_tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and everything under it.

    For a gunicorn arbiter that is its workers; for a postmaster, its backends, including
    those that have exited (their time is in the postmaster's cutime/cstime once reaped).
    Read from /proc, so it counts only this run's own processes, whatever else the machine
    is doing.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    root_cpu = 0.0
    parents: dict[int, list[tuple[int, float]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid = int(fields[1])
        cpu = sum(int(v) for v in fields[11:15]) / ticks  # utime stime cutime cstime
        parents.setdefault(ppid, []).append((int(entry), cpu))
        if int(entry) == root_pid:
            root_cpu = cpu
    total, stack = root_cpu, [root_pid]
    while stack:
        for pid, cpu in parents.get(stack.pop(), []):
            total += cpu
            stack.append(pid)
    return total


def postmaster_pid(ws: Workspace) -> int | None:
    """The PostgreSQL server's pid, when the workspace runs one."""
    if ws.cluster is None:
        return None
    with open(os.path.join(ws.cluster.datadir, "postmaster.pid")) as f:
        return int(f.readline())


# --- running and reporting ----------------------------------------------------------------

def install_signal_handlers() -> None:
    """SIGTERM and SIGINT unwind through `finally`, so everything started is cleaned up."""
    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def time_limit(seconds: int) -> None:
    """Bound the whole run: SIGALRM unwinds it through `finally` like a signal."""
    def expired(signum, frame):
        raise SystemExit(f"time limit of {seconds} s reached")

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


def rss_mb() -> float:
    """This process's current resident set size, in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(title: str, header: tuple, rows: list[tuple]) -> None:
    """A plain, aligned text table."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join("-" * w for w in widths)
    for n, r in enumerate(cells):
        print("  ".join(c.rjust(w) if n and i else c.ljust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            print(line)


def machine_line() -> str:
    """Date, cores, versions, the code measured and how busy the machine already is."""
    import sqlite3 as s

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "app"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        code = f"commit {head}{' + uncommitted app/ changes' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        code = "commit unknown"
    return (f"{datetime.now().strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
            f"Python {sys.version.split()[0]}, SQLite {s.sqlite_version}, {code}, "
            f"load average {load_average()}")


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews absolute figures."""
    return f"{os.getloadavg()[0]:.2f}"
