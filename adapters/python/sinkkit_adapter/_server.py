"""The request loop: one loom-style node served over the wire protocol, v1
(docs/wire-protocol.md). Standard library only."""

import gc
import io
import json
import os
import sys
import time

from ._bridge import AsyncBridge, SessionManager

PROTOCOL = 1
# One encoder for every response: json.dumps with arguments makes one a call.
_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode


class ConfigError(Exception):
    """A bad config; the message should name the key."""

    def __init__(self, key, message):
        super().__init__(f"config key '{key}': {message}")
        self.key = key


class ClosedError(Exception):
    """A call on a closed partition."""


class _ProtocolError(Exception):
    pass


def _error(kind, message):
    return {"ok": False, "error": {"kind": kind, "message": str(message)}}


def serve(node, read_back, fields=None, capabilities=None, config_template=None, fault=None,
          stdin=None, stdout=None, payload=None, build_errors_are_config=False, cleanup=None, extra_ops=None,
          hello_extra=None):
    """Answer requests from stdin until shutdown or end of input.

    fields: the declared payload fields ({name: "string" | "int" | "float" |
    "bool"}), or payload: a PayloadType (sinkkit_adapter._payloads), whose
    instances write_batch then gets instead of dicts. fault(partition_object,
    after_items), if given, arms a storage fault on a partition (the sink then
    declares fault_injection). build_errors_are_config: any exception from
    build_partition is a config error (loom nodes raise ValueError, TypeError
    or KeyError for a bad config); otherwise only ConfigError is.
    cleanup(config), if given, removes what a test target holds on a server
    (tables, streams, keys): the kit calls it after each target's read-back
    (the op drop_target); it must not fail on a target that holds nothing.
    extra_ops: {op: handler(request, partitions) -> response} for ops of a
    sink shape of its own (Bytewax's stateful partitions), and hello_extra
    fields the hello then carries. A partition with `sinkkit_wire_items`
    true gets the wire items themselves (with their keys), not payloads.
    """
    standard_streams = stdin is None and stdout is None
    if standard_streams and os.environ.get("SINKKIT_FORK_SERVER") == "1":
        from ._fork_server import serve_forks  # noqa: PLC0415 - the fork server's own

        serve_forks()  # returns in each forked sink process, which goes on below
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    partitions = {}
    caps = dict(capabilities or {})
    if fault is not None:
        caps.setdefault("fault_injection", True)
    declared = payload.wire_fields() if payload is not None else dict(fields or {})
    # One of each per process, as loom's adapter owns them; disposed at shutdown.
    bridge = AsyncBridge()
    sessions = SessionManager()
    lines = _request_lines(stdin)

    def handle(req, block=None):
        op = req.get("op")
        if op == "hello":
            if req.get("protocol") != PROTOCOL:
                return _error("protocol", f"this adapter speaks protocol {PROTOCOL}, not {req.get('protocol')!r}")
            sink = {"name": node.name, "router_branch_safe": bool(getattr(node, "router_branch_safe", False)),
                    "payload": {"fields": declared}, "capabilities": caps}
            if config_template is not None:
                sink["config_template"] = config_template
            # This process can serve forks of itself (docs/wire-protocol.md).
            hello = {"ok": True, "protocol": PROTOCOL, "sink": sink, "fork_server": standard_streams}
            if cleanup is not None:
                hello["drops_targets"] = True
            if hasattr(payload, "row_maker"):
                # Rows: a payload object is made of a row without a dict per
                # item (PayloadType.row_maker).
                hello["item_encodings"] = ["rows", "objects"]
            elif payload is None and isinstance(lines, io.BufferedReader):
                # Dicts: the C unpickler makes them in half json.loads' time
                # (docs/performance.md, "The wire"); the block follows the
                # line, so only on a byte stream.
                hello["item_encodings"] = ["pickle", "objects"]
            hello.update(hello_extra or {})
            return hello
        if op == "build":
            name = _require(req, "partition", str)
            if name in partitions:
                return _error("protocol", f"partition {name!r} was already built")
            # "bridge": false asks for a build with none (SK-1.3); absent means true.
            give_bridge = req.get("bridge", True) is not False
            try:
                partitions[name] = node.build_partition(req.get("config"), _require(req, "worker_index", int),
                                                        _require(req, "worker_count", int),
                                                        bridge if give_bridge else None, sessions)
            except ConfigError as e:
                return _error("config", e)
            except Exception as e:
                if not build_errors_are_config:
                    raise
                return _error("config", f"{type(e).__name__}: {e}")
            return {"ok": True}
        if op == "write_batch":
            part = _partition(partitions, req)
            items = _unpickle_items(block) if block is not None else _require(req, "items", list)
            wire_items = payload is None or getattr(part, "sinkkit_wire_items", False)
            columns = req.get("columns")
            if columns is not None:  # rows, as this hello asked
                batch = _rows_batch(columns, items, None if wire_items else payload)
            else:
                batch = items if wire_items else [payload.make(i) for i in items]
            start = time.perf_counter_ns()
            part.write_batch(batch)
            # The sink's own time, beside the runner's end-to-end one (`sinkkit bench`).
            return {"ok": True, "sink_ns": time.perf_counter_ns() - start}
        if op == "close":
            _partition(partitions, req).close()
            return {"ok": True}
        if op == "read_back":
            stored = read_back(req.get("config"))
            return {"ok": True, "items": [payload.to_item(s) if payload is not None else s for s in stored]}
        if op == "fault":
            if fault is None:
                return _error("protocol", "this sink does not declare fault_injection")
            fault(_partition(partitions, req), _require(req, "after_items", int))
            return {"ok": True}
        if extra_ops and op in extra_ops:
            return extra_ops[op](req, partitions)
        if op == "drop_target":
            if cleanup is None:
                return _error("protocol", "this sink does not drop targets (no cleanup given)")
            cleanup(req.get("config"))
            return {"ok": True}
        if op == "shutdown":
            return {"ok": True}
        if op == "collect_garbage":
            # The kit is about to look at this process's descriptors (SK-3.5):
            # what only garbage holds is released now, not at some later collection.
            gc.collect()
            return {"ok": True}
        return _error("protocol", f"unknown op {op!r}")

    try:
        for line in lines:
            if not line or line.isspace():
                continue
            req = None
            try:
                try:
                    req = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError) as e:  # the request's; the sink's own are its errors
                    raise _ProtocolError(f"the request is not JSON: {e}") from None
                if not isinstance(req, dict):
                    raise _ProtocolError("a request must be a JSON object")
                block = None
                if "items_bytes" in req:  # the pickle encoding: the items follow the line
                    block, unreadable = _read_block(lines, req.get("items_bytes"))
                    if unreadable:  # the requests cannot be followed any further
                        stdout.write(_dumps(_error("protocol", unreadable)) + "\n")
                        stdout.flush()
                        return
                resp = handle(req, block)
            except _ProtocolError as e:
                resp = _error("protocol", e)
            except ConfigError as e:
                resp = _error("config", e)
            except ClosedError as e:
                resp = _error("closed", e)
            except Exception as e:  # the sink's storage failed (or, in read_back, its reader)
                import traceback  # noqa: PLC0415 - only on failure: a start-up cost every sink process paid

                traceback.print_exc(file=sys.stderr)
                op = req.get("op") if isinstance(req, dict) else None
                kind = "write" if op in ("build", "write_batch", "close") else "other"
                resp = _error(kind, f"{type(e).__name__}: {e}")
            if isinstance(req, dict) and req.get("op") == "close":
                # What the kit cannot see from outside, after every close, failed
                # ones too: bridge work still running (SK-6.1) and the session
                # manager's state (SK-6.2).
                resp["bridge_in_flight"] = bridge.in_flight()
                resp["session_manager"] = {"disposed": sessions.take_disposed(), "leased": sessions.leased()}
            stdout.write(_dumps(resp) + "\n")
            stdout.flush()
            if isinstance(req, dict) and req.get("op") == "shutdown" and resp.get("ok"):
                return
    finally:
        bridge.shutdown(timeout=5.0)


def _request_lines(stdin):
    """The request lines, as bytes read through a 1 MiB buffer when stdin is
    a file descriptor: json.loads reads UTF-8 itself, and a batch's line of
    tens of KiB took 32 us to read as text from sys.stdin (58 through its
    8 KiB byte buffer), 19 us through this one (docs/performance.md).
    Nothing was read from stdin before, so nothing is left behind in
    sys.stdin's own buffer."""
    try:
        fd = stdin.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):  # a StringIO in tests
        return stdin
    return io.open(fd, "rb", buffering=1 << 20, closefd=False)


def _read_block(lines, size):
    """The block of bytes a request line announced (items_bytes), and why it
    could not be read (None when it was); after that the requests cannot be
    followed any further."""
    if type(size) is not int or size < 0:
        return None, f"request field 'items_bytes' must be a byte count, got {size!r}; the requests cannot be followed"
    if not isinstance(lines, io.BufferedReader):
        return None, "items_bytes on a text input: this process reads no blocks (it did not ask for pickle)"
    parts = []
    left = size
    try:
        while left > 0:  # in pieces: a wrong size does not ask for its memory at once
            part = lines.read(min(left, 1 << 20))
            if not part:
                return None, f"the input ended within the {size} bytes of items the request announced (items_bytes)"
            parts.append(part)
            left -= len(part)
    except (OSError, MemoryError) as e:
        return None, f"reading the {size} bytes of items the request announced failed: {type(e).__name__}: {e}"
    return b"".join(parts), None


_no_classes = None


def _unpickler_of_no_classes():
    """An Unpickler that refuses anything naming a class or a function: the
    kit's pickles hold only lists, dicts, strings and numbers
    (docs/wire-protocol.md, "Item encodings"). Made at the first block:
    importing pickle is 2 ms of every sink process's start, and a sink with
    a payload class never gets one."""
    global _no_classes  # noqa: PLW0603 - made once, on first use
    if _no_classes is None:
        import pickle  # noqa: PLC0415 - see above

        class NoClasses(pickle.Unpickler):
            def find_class(self, module, name):
                raise pickle.UnpicklingError(f"the items name {module}.{name}; an items block holds no classes")

        _no_classes = NoClasses
    return _no_classes


def _unpickle_items(block):
    # A FRAME around the whole block (the kit's): the unpickler reads it at
    # once from the BytesIO, not opcode by opcode.
    stream = io.BytesIO(block)
    try:
        items = _unpickler_of_no_classes()(stream).load()
    except Exception as e:  # noqa: BLE001 - any way a block can be broken is the same protocol error
        raise _ProtocolError(f"the items block is not a pickle of the items: {type(e).__name__}: {e}") from None
    if stream.tell() != len(block):
        raise _ProtocolError(f"the items block has {len(block) - stream.tell()} bytes after the pickle's end")
    if type(items) is not list:
        raise _ProtocolError(f"the items block holds a {type(items).__name__}, not a list of items")
    return items


def _rows_batch(columns, rows, payload):
    """A batch sent as rows: payload instances, or the items as dicts."""
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) or "key" not in columns:
        raise _ProtocolError(f"request field 'columns' must be a list of names with 'key', got {columns!r}")
    n = len(columns)
    for i, row in enumerate(rows):
        if type(row) is not list or len(row) != n:
            raise _ProtocolError(f"item {i} of the batch is not a row of {n} values: {row!r}"[:300])
    if payload is None:
        return [dict(zip(columns, row)) for row in rows]
    try:
        make = payload.row_maker(columns)
    except ValueError as e:
        raise _ProtocolError(str(e)) from None
    return [make(row) for row in rows]


def _require(req, field, typ):
    value = req.get(field)
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise _ProtocolError(f"request field {field!r} must be {typ.__name__}, got {value!r}")
    return value


def _partition(partitions, req):
    name = _require(req, "partition", str)
    if name not in partitions:
        raise _ProtocolError(f"unknown partition {name!r}")
    return partitions[name]
