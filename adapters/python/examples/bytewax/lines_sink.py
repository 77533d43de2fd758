"""A Bytewax sink as people write them, with no sinkkit import and no node
class: a `DynamicSink` whose partitions append dict items to a JSON Lines
file per worker. Checked as it is (docs/python.md, "Bytewax sinks"):

    sinkkit run -- python3 -m sinkkit_adapter --bytewax lines_sink:JsonLinesSink \\
        --item 'dict:key=str,value=int,label=str' --read-back lines_sink:read_back \\
        --config-template '{"directory": "{target}"}' --capabilities '{"survives_crash": true}'

(run from this folder, or with it on PYTHONPATH). Bytewax need not be
installed: the adapter stands in for `bytewax.outputs` when it is not.
"""

import json
import os

from bytewax.outputs import DynamicSink, StatelessSinkPartition


class _JsonLinesPartition(StatelessSinkPartition):
    def __init__(self, path):
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._size = os.fstat(self._fd).st_size

    def write_batch(self, items):
        data = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in items).encode()
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError:
            os.ftruncate(self._fd, self._size)  # no half batch for the next one to glue onto
            raise
        self._size += len(data)

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class JsonLinesSink(DynamicSink):
    """Writes each worker's items to DIRECTORY/STEP-WORKER-PID.jsonl."""

    def __init__(self, directory):
        if not isinstance(directory, str) or not os.path.isdir(directory):
            raise ValueError(f"directory: {directory!r} is not a directory")
        self.directory = directory

    def build(self, step_id, worker_index, worker_count):
        name = f"{step_id}-{worker_index}-{os.getpid()}.jsonl"
        return _JsonLinesPartition(os.path.join(self.directory, name))


def read_back(config):
    """Every item the files under config["directory"] hold, file by file; a
    torn last line (a killed write) was never acknowledged."""
    directory = config["directory"]
    items = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".jsonl"):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                lines = f.read().split("\n")
            items.extend(json.loads(line) for line in lines[:-1] if line)
    return items
