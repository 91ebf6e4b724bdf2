"""Throwaway PostgreSQL cluster for test sessions (one per pytest-xdist worker)."""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

import psycopg
from psycopg import sql

SERVER_OPTS = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
               " -c full_page_writes=off -c max_connections=200")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL binaries, the postgres user, or the server itself are unavailable."""


def find_pg_bindir() -> str:
    """Return the directory holding initdb and pg_ctl (PATH first, then newest Debian install)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        # Through a symlink (/usr/local/bin/initdb): the directory with the other server tools.
        return os.path.dirname(os.path.realpath(initdb))
    # Debian keeps server binaries off PATH; pick the highest major version.
    candidates = [d for d in glob.glob("/usr/lib/postgresql/*/bin")
                  if os.access(os.path.join(d, "initdb"), os.X_OK)
                  and os.access(os.path.join(d, "pg_ctl"), os.X_OK)]
    candidates.sort(key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else -1)
    if not candidates:
        raise PostgresUnavailable(
            "initdb/pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin "
            "(install the postgresql server package, e.g. apt-get install postgresql-15)")
    return candidates[-1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: str, lines: int = 30) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no server log)"


class PostgresCluster:
    """A private PostgreSQL cluster on 127.0.0.1 with trust auth for user 'postgres'."""

    def __init__(self) -> None:
        self.bindir = find_pg_bindir()
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.basedir: str | None = None
        self.datadir = self.sockdir = self.logfile = ""
        self._running = False
        self._as_root = os.geteuid() == 0
        if self._as_root:
            # The server refuses to run as root, so everything runs as the postgres user.
            try:
                self._pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root but there is no 'postgres' system user to run the server as"
                ) from None

    def _cmd(self, *args: str) -> list[str]:
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if self._as_root else cmd

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        # cwd=basedir: as postgres we may not be able to access the caller's cwd (e.g. /root).
        return subprocess.run(self._cmd(*args), cwd=self.basedir, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL)

    def _own(self, path: str) -> None:
        if self._as_root:
            os.chown(path, self._pw.pw_uid, self._pw.pw_gid)

    def start(self) -> PostgresCluster:
        """Create, initdb and start the cluster; returns self."""
        if self._running:
            return self
        self.basedir = tempfile.mkdtemp(prefix="pgcluster-")
        atexit.register(self.stop)  # registered early so a failed start still cleans up
        # mkdtemp gives root-only 0700; postgres must be able to traverse into it.
        os.chmod(self.basedir, 0o755)
        self.datadir = os.path.join(self.basedir, "data")
        self.sockdir = os.path.join(self.basedir, "sock")
        self.logfile = os.path.join(self.basedir, "server.log")
        os.mkdir(self.datadir, 0o700)
        os.mkdir(self.sockdir, 0o700)
        open(self.logfile, "w").close()
        for p in (self.datadir, self.sockdir, self.logfile):
            self._own(p)
        try:
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self) -> None:
        base = ["initdb", "-D", self.datadir, "-A", "trust", "-U", "postgres",
                "--encoding=UTF8", "--no-sync"]
        res = self._run(*base, "--locale=C.UTF-8")
        if res.returncode != 0:
            # Some systems lack a C.UTF-8 locale; plain C with UTF8 encoding works everywhere.
            for entry in os.listdir(self.datadir):
                p = os.path.join(self.datadir, entry)
                shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)
            res = self._run(*base, "--locale=C")
        if res.returncode != 0:
            raise PostgresUnavailable(f"initdb failed:\n{res.stdout}\n{res.stderr}")

    def _start_server(self) -> None:
        # Another xdist worker (or anything) can grab the port between probe and bind: retry.
        for _ in range(3):
            self.port = _free_port()
            opts = f"-F -p {self.port} -k {self.sockdir} {SERVER_OPTS}"
            res = self._run("pg_ctl", "-w", "-t", "60", "-D", self.datadir,
                            "-l", self.logfile, "-o", opts, "start")
            if res.returncode == 0:
                self._running = True
                return
            log = _tail(self.logfile)
            # -m immediate: make sure a half-started postmaster is not left behind.
            self._run("pg_ctl", "-D", self.datadir, "-m", "immediate", "stop")
            if "could not bind" not in log and "already in use" not in log:
                break
        raise PostgresUnavailable(
            f"pg_ctl start failed (port {self.port}):\n{res.stdout}{res.stderr}\n"
            f"--- tail of {self.logfile} ---\n{log}")

    def stop(self) -> None:
        """Stop the server immediately and delete its files (idempotent)."""
        if self.basedir is None:
            return
        if self._running or os.path.exists(os.path.join(self.datadir, "postmaster.pid")):
            self._run("pg_ctl", "-D", self.datadir, "-m", "immediate", "-w", "stop")
            self._running = False
        shutil.rmtree(self.basedir, ignore_errors=True)
        self.basedir = None
        atexit.unregister(self.stop)

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL for a database in this cluster."""
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        """Open a psycopg connection to a database in this cluster."""
        return psycopg.connect(host=self.host, port=self.port, user="postgres",
                               dbname=dbname, **kwargs)

    def _admin(self, stmt: sql.Composable) -> None:
        # CREATE/DROP DATABASE cannot run inside a transaction block, hence autocommit.
        with self.connect(autocommit=True) as conn:
            conn.execute(stmt)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database, cloned from a template with no open connections if given."""
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._admin(stmt)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists, terminating any open connections to it."""
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def wal_position(self) -> str:
        """The primary's WAL insert position: past every commit so far, flushed or not."""
        with self.connect() as conn:
            return conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]

    def start_replica(self) -> PostgresReplica:
        """A streaming replica of this cluster, made with pg_basebackup, on its own port."""
        return PostgresReplica(self).start()

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class PostgresReplica(PostgresCluster):
    """A hot standby streaming from a PostgresCluster: pg_basebackup -R, then started."""

    def __init__(self, primary: PostgresCluster) -> None:
        super().__init__()
        self.primary = primary

    def _initdb(self) -> None:
        # -R writes standby.signal and primary_conninfo; -X stream copies the WAL it needs.
        res = self._run("pg_basebackup", "-h", self.primary.host, "-p", str(self.primary.port),
                        "-U", "postgres", "-D", self.datadir, "-R", "-X", "stream",
                        "-c", "fast", "--no-sync")
        if res.returncode != 0:
            raise PostgresUnavailable(f"pg_basebackup failed:\n{res.stdout}\n{res.stderr}")

    def replayed_position(self) -> str | None:
        """The WAL position this replica has replayed."""
        with self.connect() as conn:
            return conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()[0]

    def catch_up(self) -> None:
        """Wait until the replica has replayed everything the primary has now (on progress:
        replay only moves forward; a replica whose server has stopped fails at once)."""
        target = self.primary.wal_position()
        with self.connect(autocommit=True) as conn:
            while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                   (target,)).fetchone()[0]:
                conn.execute("SELECT pg_sleep(0.02)")

    def pause_replay(self) -> None:
        """Stop applying the primary's changes (the replica falls behind)."""
        with self.connect(autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        """Apply the primary's changes again."""
        with self.connect(autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
