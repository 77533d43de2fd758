"""Read-backs for the common stores, so that a sink whose storage is one of
them needs no read-back of its own: what a test target durably holds, in
stored order, as dicts with "key" and the payload's fields.

    jsonl[:DIR_KEY]                 every *.jsonl file under config[DIR_KEY] (default "dir"), by name, line by line
    sqlite[:PATH_KEY[:TABLE_KEY]]   the table config[TABLE_KEY] of the database file config[PATH_KEY]
                                    (defaults "path", "table"), by rowid
    postgres[:DSN_KEY[:TABLE_KEY]]  the table config[TABLE_KEY] behind config[DSN_KEY] (defaults "dsn",
                                    "table"), in physical order (psycopg 3)
"""

import json
import os


class ReadBackError(Exception):
    pass


def _config_value(config, key, what):
    if not isinstance(config, dict) or not isinstance(config.get(key), str):
        raise ReadBackError(f"the {what} read-back needs the config's string key {key!r}, got {config!r}")
    return config[key]


def jsonl(directory_key="dir"):
    def read_back(config):
        directory = _config_value(config, directory_key, "jsonl")
        items = []
        if not os.path.isdir(directory):
            return items
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".jsonl"):
                continue
            with open(os.path.join(directory, name), "rb") as f:
                data = f.read()
            lines = data.split(b"\n")
            if lines and lines[-1] != b"":  # a torn last line was never acknowledged as written
                lines = lines[:-1]
            for line in lines:
                if not line:
                    continue
                try:
                    item = json.loads(line)
                except ValueError:
                    item = {"key": f"<not JSON in {name}: {line[:60]!r}>"}
                items.append(item if isinstance(item, dict) else {"key": f"<not an object in {name}>"})
        return items
    return read_back


def sqlite(path_key="path", table_key="table"):
    def read_back(config):
        import sqlite3
        path = _config_value(config, path_key, "sqlite")
        table = _config_value(config, table_key, "sqlite")
        if not os.path.exists(path):
            return []
        db = sqlite3.connect(path, timeout=10.0)
        try:
            try:
                cursor = db.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
            except sqlite3.OperationalError as e:
                if "no such table" in str(e):
                    return []
                raise
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor]
        finally:
            db.close()
    return read_back


def postgres(dsn_key="dsn", table_key="table"):
    def read_back(config):
        import psycopg
        from psycopg import sql
        dsn = _config_value(config, dsn_key, "postgres")
        table = _config_value(config, table_key, "postgres")
        with psycopg.connect(dsn, autocommit=True) as conn:
            try:
                cursor = conn.execute(sql.SQL("SELECT * FROM {} ORDER BY ctid").format(sql.Identifier(table)))
            except psycopg.errors.UndefinedTable:
                return []
            names = [d.name for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
    return read_back


BUILT_IN = {"jsonl": jsonl, "sqlite": sqlite, "postgres": postgres}


def built_in(spec):
    """The read-back a `--read-back` value names ("jsonl", "sqlite:db:events"), or None."""
    name, *keys = spec.split(":")
    make = BUILT_IN.get(name)
    if make is None:
        return None
    return make(*keys)
