"""A buffered SQLite table sink (sqlite3 module), as loom's table sinks work.

Rows are buffered and flushed in one transaction when `buffer_max_records`
are waiting, and at close. A failed flush rolls back and keeps the rows for
the next flush; each row's key is unique, so a replay adds nothing.
Durability on close, and it survives a power cut: WAL with synchronous=FULL
syncs the WAL at every commit (and SQLite syncs the directory when it
creates the WAL). Config: {"path": FILE, "table": NAME,
"buffer_max_records": N}.
"""

import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sinkkit_adapter import ClosedError, ConfigError, serve  # noqa: E402

KEYS = {"path", "table", "buffer_max_records"}


def parse(config):
    if not isinstance(config, dict):
        raise ConfigError("path", "the config must be an object")
    unknown = set(config) - KEYS
    if unknown:
        raise ConfigError(sorted(unknown)[0], "unknown key")
    path = config.get("path")
    if not isinstance(path, str) or not os.path.isdir(os.path.dirname(path) or "."):
        raise ConfigError("path", f"must be a file path in an existing directory, got {path!r}")
    table = config.get("table")
    if not isinstance(table, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ConfigError("table", f"must be a plain identifier, got {table!r}")
    limit = config.get("buffer_max_records", 100)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ConfigError("buffer_max_records", f"must be an integer >= 1, got {limit!r}")
    return path, table, limit


def connect(path, table, timeout=5.0):
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    # Turning a new file to WAL takes a lock SQLite does not wait for (its
    # busy handler is not called for it): the partitions of several workers
    # opening one new file at once got "database is locked" at once. Retried
    # here until the timeout, as the busy handler would.
    # (A file system without WAL, or ":memory:", answers another mode: kept.)
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # NORMAL would sync the WAL only at checkpoints
            db.execute(f'CREATE TABLE IF NOT EXISTS "{table}" (key TEXT UNIQUE, value INTEGER, label TEXT)')
            return db
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                db.close()
                raise
        time.sleep(0.005)


class Partition:
    def __init__(self, config):
        self.path, self.table, self.limit = parse(config)
        self.db = connect(self.path, self.table)
        self.buffer = []

    def write_batch(self, items):
        if self.db is None:
            raise ClosedError("write_batch on a closed partition")
        self.buffer.extend((i["key"], i["value"], i["label"]) for i in items)
        if len(self.buffer) >= self.limit:
            self.flush()

    def flush(self):
        if not self.buffer:
            return
        rows = self.buffer
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(f'INSERT INTO "{self.table}" VALUES (?, ?, ?) ON CONFLICT DO NOTHING', rows)
            self.db.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (a full disk at COMMIT).
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.buffer = []  # only once committed

    def close(self):
        if self.db is None:
            return
        self.flush()
        self.db.close()
        self.db = None


class SqliteNode:
    name = "python-sqlite"
    router_branch_safe = True

    def build_partition(self, config, worker_index, worker_count, bridge=None, session_manager=None):
        return Partition(config)


def read_back(config):
    path, table, _ = parse(config)
    db = connect(path, table)
    try:
        return [{"key": k, "value": v, "label": l} for k, v, l in
                db.execute(f'SELECT key, value, label FROM "{table}" ORDER BY rowid')]
    finally:
        db.close()


if __name__ == "__main__":
    serve(SqliteNode(), read_back, fields={"value": "int", "label": "string"},
          capabilities={"durability": "on_close", "survives_power_loss": True},
          config_template={"path": "{target}/sink.db", "table": "events", "buffer_max_records": 50})
