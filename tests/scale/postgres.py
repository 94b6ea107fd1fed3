"""A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries, a data folder in a temporary
directory, trust authentication on 127.0.0.1 only, stopped (and its folder removed) afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path


def binaries() -> Path | None:
    """Debian's newest PostgreSQL bin folder, or None (apt install postgresql)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_server_user(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the package's `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def postgres_server():
    """Yield the URL of a new database ``sweep`` on a server of its own. Its folder is a fresh one under the
    system's temporary directory (pytest's are private to root, where the server's user cannot go)."""
    bin_dir = binaries()
    folder = Path(tempfile.mkdtemp(prefix="zoo-postgres-"))
    data, port = folder / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    run = lambda *argv: subprocess.run(as_server_user([str(a) for a in argv]), check=True,  # noqa: E731
                                        capture_output=True, text=True, timeout=120)
    run(bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(bin_dir / "pg_ctl", "-D", data, "-w", "-l", folder / "server.log", "-o",
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start")
    try:
        run(bin_dir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "sweep")
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/sweep"
    finally:
        run(bin_dir / "pg_ctl", "-D", data, "-w", "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
