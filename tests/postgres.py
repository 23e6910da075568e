"""A real PostgreSQL server for the warehouse tests: a throwaway cluster per test process.

The exported SQL is a contract with the warehouse, so it is run on the server planners use, not
only parsed. `.ci/run` installs Debian's postgresql package when it is missing; here the server is
initialised in a temporary folder, listens on a free loopback port, and is stopped at the end.
Missing server binaries fail the tests that need them, with the reason, rather than skip them.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import psycopg
import pytest

_TYPES = {pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Float64: "DOUBLE PRECISION", pl.String: "TEXT",
          pl.Boolean: "BOOLEAN", pl.Date: "DATE", pl.UInt32: "BIGINT", pl.Int16: "SMALLINT", pl.Int8: "SMALLINT",
          pl.UInt8: "SMALLINT", pl.UInt16: "INTEGER", pl.Float32: "REAL"}


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): "
                    "install Debian's postgresql package, as .ci/run does")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; CI and this sandbox run as root, a developer usually not."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A connection string for a fresh database on a server of our own. Its folder is outside pytest's
    own temporary folders, which are private to the user running the tests, not the server's user."""
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="abm-tui-postgres-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    subprocess.run(_as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "abm",
                                    "--no-sync"]), check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
    subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                                    str(folder / "log"), "start"]), check=True, capture_output=True)
    try:
        yield f"host=127.0.0.1 port={port} user=abm dbname=postgres"
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def load_table(connection: psycopg.Connection, name: str, frame: pl.DataFrame) -> None:
    """`frame` as a new table with the column types a warehouse would give it (lists as text arrays)."""
    columns = []
    for column, dtype in frame.schema.items():
        kind = "TEXT[]" if isinstance(dtype, pl.List) else _TYPES.get(type(dtype), "TEXT")
        columns.append(f'"{column}" {kind}')
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
        cursor.execute(f'CREATE TABLE "{name}" ({", ".join(columns)})')
        quoted = ", ".join(f'"{c}"' for c in frame.columns)
        with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
            for row in frame.iter_rows():
                copy.write_row(row)
    connection.commit()


def query(connection: psycopg.Connection, sql: str) -> pl.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = [d.name for d in cursor.description or ()]
        return pl.DataFrame(cursor.fetchall(), schema=names, orient="row", infer_schema_length=None)
