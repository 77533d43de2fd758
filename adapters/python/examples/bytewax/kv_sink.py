"""A Bytewax key-value sink, over `(key, value)` 2-tuples as Bytewax hands
them, with no sinkkit import: each worker upserts into one SQLite table (a
stand-in for Redis's SET), so writing an item again changes nothing:

    sinkkit run -- python3 -m sinkkit_adapter --bytewax kv_sink:KeyValueSink \\
        --item 'tuple:key,value' --read-back kv_sink:read_back \\
        --config-template '{"path": "{target}/kv.db"}' --capabilities '{"survives_crash": true}'
"""

import sqlite3

from bytewax.outputs import DynamicSink, StatelessSinkPartition


def _connect(path):
    # The rollback journal (SQLite's default): its locks wait on the busy
    # timeout, where switching a new file to WAL from several workers at once
    # fails "database is locked" without waiting.
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS kv (seq INTEGER PRIMARY KEY, key TEXT UNIQUE, value TEXT)")
    return db


class _KeyValuePartition(StatelessSinkPartition):
    def __init__(self, path):
        self._db = _connect(path)

    def write_batch(self, items):
        with self._db:  # one transaction a batch
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO kv (key, value) VALUES (?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", items)

    def close(self):
        if self._db is not None:
            self._db.close()
            self._db = None


class KeyValueSink(DynamicSink):
    def __init__(self, path):
        if not isinstance(path, str) or not path.endswith(".db"):
            raise ValueError(f"path must name a .db file, got {path!r}")
        self.path = path

    def build(self, step_id, worker_index, worker_count):
        return _KeyValuePartition(self.path)


def read_back(config):
    """The (key, value) pairs, in the order first written."""
    db = _connect(config["path"])
    try:
        return list(db.execute("SELECT key, value FROM kv ORDER BY seq"))
    finally:
        db.close()
