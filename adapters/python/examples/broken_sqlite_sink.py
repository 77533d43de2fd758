"""The SQLite sink with the classic bug: the buffer is emptied before the
INSERT, so the rows of a failed flush are gone. `sinkkit run` must fail it on
SK-4.1 (and warn on SK-4.2).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sqlite_sink  # noqa: E402
from sinkkit_adapter import serve  # noqa: E402


class BrokenPartition(sqlite_sink.Partition):
    def flush(self):
        rows, self.buffer = self.buffer, []  # the bug: taken out before the insert
        if rows:
            self.buffer = rows
            try:
                super().flush()
            finally:
                self.buffer = []


class BrokenNode(sqlite_sink.SqliteNode):
    name = "python-sqlite-broken"

    def build_partition(self, config, worker_index, worker_count, bridge=None, session_manager=None):
        return BrokenPartition(config)


if __name__ == "__main__":
    serve(BrokenNode(), sqlite_sink.read_back, fields={"value": "int", "label": "string"},
          capabilities={"durability": "on_close"},
          config_template={"path": "{target}/sink.db", "table": "events", "buffer_max_records": 50})
