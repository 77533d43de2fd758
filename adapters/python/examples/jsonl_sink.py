"""A JSON Lines file sink: one file per partition, one write per batch.

Durable on return (written to the kernel before write_batch returns), so it
survives the process being killed. It never fsyncs, so it does not declare
survives_power_loss: a power cut may take what the page cache held, files'
names included (SK-4.6's report says how much). Config: {"dir": PATH}.
"""

import itertools
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from sinkkit_adapter import ClosedError, ConfigError, serve  # noqa: E402

_counter = itertools.count()
_encode = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one per item


def _dir(config):
    if not isinstance(config, dict):
        raise ConfigError("dir", "the config must be an object")
    unknown = set(config) - {"dir"}
    if unknown:
        raise ConfigError(sorted(unknown)[0], "unknown key")
    d = config.get("dir")
    if not isinstance(d, str):
        raise ConfigError("dir", f"must be a string path, got {d!r}")
    if not os.path.isdir(d):
        raise ConfigError("dir", f"{d!r} is not a directory")
    return d


class Partition:
    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.size = 0  # bytes of whole batches: what a failed append is cut back to

    def write_batch(self, items):
        if self.fd is None:
            raise ClosedError("write_batch on a closed partition")
        data = "".join([_encode(item) + "\n" for item in items]).encode()
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except OSError:
            # A full disk can take part of a batch (a short write) and then
            # fail: cut the partial batch off, or the next batch's first line
            # would be glued to it.
            os.ftruncate(self.fd, self.size)
            raise
        self.size += len(data)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class JsonlNode:
    name = "python-jsonl"
    router_branch_safe = True

    def build_partition(self, config, worker_index, worker_count, bridge=None, session_manager=None):
        d = _dir(config)
        # A name no other partition, run or process uses: append, never truncate.
        path = os.path.join(d, f"part-w{worker_index}-{os.getpid()}-{next(_counter)}.jsonl")
        return Partition(path)


def read_back(config):
    d = _dir(config)
    items = []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".jsonl"):
            continue
        with open(os.path.join(d, name), "rb") as f:
            data = f.read()
        lines = data[: data.rfind(b"\n") + 1].splitlines()  # a torn last line is not data
        if lines:
            items.extend(json.loads(b"[" + b",".join(lines) + b"]"))  # one parse per file
    return items


if __name__ == "__main__":
    serve(JsonlNode(), read_back, fields={"value": "int", "label": "string"},
          capabilities={"survives_crash": True, "survives_power_loss": False},  # no fsync: see above
          config_template={"dir": "{target}"})
