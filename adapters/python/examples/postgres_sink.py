"""A PostgreSQL table sink (psycopg 3), as loom's IntoTable partition works.

Rows are buffered and flushed, as multi-row INSERTs of `chunk_size` rows in
one transaction, when `buffer_max_records` are waiting and at close. A failed
flush rolls back, drops the connection (the next flush opens a new one) and
keeps its rows; each row's key is unique, so replaying a flush whose COMMIT
went through but whose answer was lost adds nothing: exactly once, durable
on close.

Config: {"dsn": "postgresql://USER@HOST:PORT/DB", "table": NAME,
"buffer_max_records": N, "chunk_size": M}. The template names the server of
the PG* environment (scripts/with_postgres.sh starts a throwaway one) as
{proxy:HOST:PORT}: the kit puts its TCP fault proxy in between, and makes
the network fail under the sink, which has no fault hook.

    python3 postgres_sink.py                      the sink
    python3 postgres_sink.py --pop-before-insert  its twin with loom's bug: the
                                                  buffer is emptied before the
                                                  INSERT, so a failed flush
                                                  loses its rows (SK-4.1 fails)
    python3 postgres_sink.py --retry-insert       its twin that inserts each
                                                  batch at once (autocommit, no
                                                  unique key, no conflict clause)
                                                  and on a connection error
                                                  sends the same INSERT again: a
                                                  reply lost after the server
                                                  committed stores the batch
                                                  twice (SK-2.5 fails)
    python3 postgres_sink.py --retry-insert --at-least-once
                                                  the same, declaring
                                                  at_least_once: its duplicates
                                                  are allowed, and counted
"""

import os
import re
import sys

import psycopg
from psycopg import sql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sinkkit_adapter import ClosedError, ConfigError, serve  # noqa: E402

POP_BEFORE_INSERT = "--pop-before-insert" in sys.argv[1:]
RETRY_INSERT = "--retry-insert" in sys.argv[1:]
AT_LEAST_ONCE = "--at-least-once" in sys.argv[1:]
KEYS = {"dsn", "table", "buffer_max_records", "chunk_size"}


def _positive_int(config, key, default):
    value = config.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(key, f"must be an integer >= 1, got {value!r}")
    return value


def parse(config):
    if not isinstance(config, dict):
        raise ConfigError("dsn", "the config must be an object")
    unknown = set(config) - KEYS
    if unknown:
        raise ConfigError(sorted(unknown)[0], "unknown key")
    dsn = config.get("dsn")
    if not isinstance(dsn, str) or not re.match(r"postgres(ql)?://", dsn):
        raise ConfigError("dsn", f"must be a postgresql:// URI, got {dsn!r}")
    table = config.get("table")
    if not isinstance(table, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]{0,62}", table):
        raise ConfigError("table", f"must be a table name (letters, digits, _ and -; at most 63), got {table!r}")
    return dsn, table, _positive_int(config, "buffer_max_records", 100), _positive_int(config, "chunk_size", 50)


def connect(dsn):
    return psycopg.connect(dsn, autocommit=True, connect_timeout=10)


def ensure_table(conn, table):
    # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog:
    # the workers take turns.
    key = "key TEXT" if RETRY_INSERT else "key TEXT PRIMARY KEY"  # the retrying twin keeps no unique key
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (table,))
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (seq BIGSERIAL, " + key + ", "
                             "value BIGINT, label TEXT)").format(sql.Identifier(table)))


class Partition:
    def __init__(self, config):
        self.dsn, self.table, self.limit, self.chunk = parse(config)
        self.conn = connect(self.dsn)
        ensure_table(self.conn, self.table)
        self.buffer = []
        self.closed = False

    def write_batch(self, items):
        if self.closed:
            raise ClosedError("write_batch on a closed partition")
        self.buffer.extend((i["key"], i["value"], i["label"]) for i in items)
        if len(self.buffer) >= self.limit:
            self.flush()

    def flush(self):
        if not self.buffer:
            return
        if POP_BEFORE_INSERT:
            rows, self.buffer = self.buffer, []  # the bug: gone before they are stored
        else:
            rows = self.buffer
        try:
            if self.conn is None or self.conn.closed:
                self.conn = connect(self.dsn)
            with self.conn.transaction():
                for start in range(0, len(rows), self.chunk):
                    part = rows[start:start + self.chunk]
                    values = sql.SQL(", ").join([sql.SQL("(%s, %s, %s)")] * len(part))
                    self.conn.execute(
                        sql.SQL("INSERT INTO {} (key, value, label) VALUES {} ON CONFLICT (key) DO NOTHING")
                        .format(sql.Identifier(self.table), values),
                        [v for row in part for v in row])
        except psycopg.Error:
            self.drop_connection()  # broken or not, the next flush starts afresh
            raise
        self.buffer = []  # only once committed

    def drop_connection(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except psycopg.Error:
                pass
            self.conn = None

    def close(self):
        if self.closed:
            return
        self.flush()  # raises with the rows kept: a later close tries again
        self.closed = True
        self.drop_connection()


class RetryingPartition:
    """The --retry-insert twin: each batch is one INSERT in autocommit,
    acknowledged when it returns; a connection error gets the same INSERT
    once more on a new connection. When the first one's COMMIT went through
    and only its answer was lost, the rows are stored twice."""

    def __init__(self, config):
        self.dsn, self.table, _, _ = parse(config)
        self.conn = connect(self.dsn)
        ensure_table(self.conn, self.table)
        self.closed = False

    def write_batch(self, items):
        if self.closed:
            raise ClosedError("write_batch on a closed partition")
        if not items:
            return
        values = sql.SQL(", ").join([sql.SQL("(%s, %s, %s)")] * len(items))
        insert = sql.SQL("INSERT INTO {} (key, value, label) VALUES {}").format(sql.Identifier(self.table), values)
        params = [v for i in items for v in (i["key"], i["value"], i["label"])]
        try:
            self.conn.execute(insert, params)
        except psycopg.OperationalError:
            self.conn.close()
            self.conn = connect(self.dsn)
            self.conn.execute(insert, params)  # the bug: it may be stored already

    def close(self):
        if not self.closed:
            self.closed = True
            self.conn.close()


class PostgresNode:
    name = ("python-postgres-retry" if RETRY_INSERT else
            "python-postgres-broken" if POP_BEFORE_INSERT else "python-postgres")
    router_branch_safe = True

    def build_partition(self, config, worker_index, worker_count, bridge=None, session_manager=None):
        return RetryingPartition(config) if RETRY_INSERT else Partition(config)


def read_back(config):
    dsn, table, _, _ = parse(config)
    with connect(dsn) as conn:
        try:
            rows = conn.execute(sql.SQL("SELECT key, value, label FROM {} ORDER BY seq")
                                .format(sql.Identifier(table))).fetchall()
        except psycopg.errors.UndefinedTable:
            return []
    return [{"key": k, "value": v, "label": l} for k, v, l in rows]


def drop_table(config):
    """What a test target holds: its table. The kit calls this after each
    target's read-back, so a run leaves nothing on the server."""
    dsn, table, _, _ = parse(config)
    with connect(dsn) as conn:
        # A killed worker's session may hold the table a moment longer: wait
        # for it a while, not for the kit's call timeout.
        conn.execute("SET lock_timeout = '5s'")
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


def config_template():
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "sinkkit")
    database = os.environ.get("PGDATABASE", "sinkkit")
    return {"dsn": f"postgresql://{user}@{{proxy:{host}:{port}}}/{database}", "table": "events_{target_id}",
            "buffer_max_records": 50, "chunk_size": 20}


def capabilities():
    delivery = "at_least_once" if AT_LEAST_ONCE else "exactly_once"
    return {"delivery": delivery, "durability": "on_return" if RETRY_INSERT else "on_close", "survives_crash": True}


if __name__ == "__main__":
    serve(PostgresNode(), read_back, fields={"value": "int", "label": "string"}, capabilities=capabilities(),
          config_template=config_template(), cleanup=drop_table)
