"""A sink written only against loom's sink protocol, with no sinkkit code:
a payload class used by attribute, build_partition(config, worker_index,
worker_count, bridge, session_manager) that requires the async bridge, and
storage reached through it (an async append to a JSON Lines file per
partition). Checked as it is:

    sinkkit run -- python3 -m sinkkit_adapter loom_readings_sink:node --read-back jsonl

(from this folder, or with it on PYTHONPATH). `broken_node` is its twin with
a classic async bug: write_batch hands the append to the bridge and returns
without waiting for it, so an acknowledged batch is not yet written and its
work is still running when close returns (SK-2.1, SK-6.1 fail it).
"""

import asyncio
import dataclasses
import json
import os
import uuid


@dataclasses.dataclass(frozen=True)
class Reading:
    key: str
    value: int
    label: str


class ReadingsPartition:
    def __init__(self, path, bridge, wait_for_writes):
        self._path = path
        self._bridge = bridge
        self._wait = wait_for_writes
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)

    async def _append(self, data):
        await asyncio.sleep(0.002)  # the storage's own latency
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:  # a write may store less than asked
                view = view[os.write(self._fd, view):]
        except OSError:
            os.ftruncate(self._fd, start)  # leave no torn line behind
            raise

    def write_batch(self, items):
        if self._fd is None:
            raise RuntimeError("write_batch on a closed partition")
        data = "".join(json.dumps({"key": r.key, "value": r.value, "label": r.label}) + "\n" for r in items)
        if not data:
            return
        if self._wait:
            self._bridge.run(self._append(data.encode()), timeout=30)
        else:
            self._bridge.submit(self._append(data.encode()))  # the bug: not awaited

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class ReadingsSink:
    payload = Reading
    router_branch_safe = True
    sinkkit_capabilities = {"durability": "on_return", "survives_crash": True, "requires_bridge": True}

    def __init__(self, name="loom-readings", wait_for_writes=True):
        self.name = name
        self._wait = wait_for_writes

    def build_partition(self, config, worker_index, worker_count, bridge, session_manager):
        if bridge is None:
            raise ValueError(f"{self.name} needs an async bridge: its storage is async")
        directory = config["dir"]  # a KeyError names a missing key, as loom's nodes do
        if not isinstance(directory, str) or not os.path.isdir(directory):
            raise ValueError(f"config 'dir' must name an existing directory, got {directory!r}")
        name = f"part-w{worker_index}-{uuid.uuid4().hex[:8]}.jsonl"
        return ReadingsPartition(os.path.join(directory, name), bridge, self._wait)


node = ReadingsSink()
broken_node = ReadingsSink(name="loom-readings-broken", wait_for_writes=False)
