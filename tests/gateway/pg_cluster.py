"""A throwaway PostgreSQL cluster for tests: its own data directory, a free port, a socket beside it.

Debian's server binaries live in /usr/lib/postgresql/<version>/bin (not on
PATH). PostgreSQL refuses to run as root, and CI runs as root in a fresh
clone, so as root the cluster runs as the ``postgres`` account (``nobody``
where there is none) in a temporary directory owned by it. Nothing is left
behind: ``stop()`` ends the server and removes the directory.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from heatwatch.demo.services import free_port

SUPERUSER = "heatwatch"


def postgres_bindir() -> Path:
    """Where initdb and postgres are: $HEATWATCH_PG_BIN, Debian's newest version, or PATH."""
    if os.environ.get("HEATWATCH_PG_BIN"):
        return Path(os.environ["HEATWATCH_PG_BIN"])
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                    key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if debian:
        return Path(debian[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    raise RuntimeError("PostgreSQL server is not installed (bash deploy/install-system-deps.sh, "
                       "or apt-get install postgresql)")


def _run_as() -> pwd.struct_passwd | None:
    """The account to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and there is no 'postgres' or 'nobody' account to run PostgreSQL as")


SHM = Path("/dev/shm")
SHM_NEEDED = 2 << 30  # bytes free on /dev/shm for the suite's clusters (one per xdist worker) to go there
# each database made from the template writes its 9 MB to the WAL: a checkpoint every 256 MB keeps the
# WAL (in memory on tmpfs) from growing to the default 1 GB before one
SMALL_WAL = "max_wal_size = 256MB\nmin_wal_size = 64MB\n"


@dataclass
class PostgresCluster:
    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hw-pg-")))
    proc: subprocess.Popen | None = None
    conf: str = ""  # more postgresql.conf lines

    @classmethod
    def in_memory(cls) -> PostgresCluster:
        """The tests' cluster: its files on tmpfs (/dev/shm) where it has room, else as ``cls()``. Every
        database test creates a 9 MB database from the migrated template and drops it; on ext4 the copy
        and its WAL cost the server and the kernel (test_provision.py's 21 PostgreSQL tests, process tree
        CPU: 16.7-21.4 s with its collection, 12.0-12.4 s in memory, the machine loaded)."""
        try:
            st = os.statvfs(SHM)
            room = st.f_bavail * st.f_frsize
        except OSError:
            room = 0
        if room < SHM_NEEDED:
            return cls()
        return cls(workdir=Path(tempfile.mkdtemp(prefix="hw-pg-", dir=SHM)), conf=SMALL_WAL)

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL over the unix socket (psycopg 3)."""
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.workdir}&port={self.port}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host=str(self.workdir), port=self.port, user=SUPERUSER, dbname=database,
                               autocommit=True)

    def start(self, timeout: float = 60.0) -> PostgresCluster:
        bindir = postgres_bindir()
        account = _run_as()
        as_user = {} if account is None else {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        if account is not None:
            os.chown(self.workdir, account.pw_uid, account.pw_gid)
        os.chmod(self.workdir, 0o700)
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            check=True, capture_output=True, cwd=self.workdir, **as_user,
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.workdir}'\n"
                # a test cluster: durability buys nothing, speed does
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\nshared_buffers = 32MB\n" + self.conf
            )
        log = open(self.workdir / "postgres.log", "wb")
        self.proc = subprocess.Popen([str(bindir / "postgres"), "-D", str(self.data)], stdout=log,
                                     stderr=subprocess.STDOUT, cwd=self.workdir, **as_user)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = (self.workdir / "postgres.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"postgres exited with {self.proc.returncode}:\n{tail}")
            try:
                self.connect().close()
                return self
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("postgres did not accept connections in time")

    def create_database(self, name: str, template: str = "template1") -> str:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Fast shutdown (SIGINT: sessions are ended, not waited for; SIGKILL if it lingers), then
        remove everything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.workdir, ignore_errors=True)
