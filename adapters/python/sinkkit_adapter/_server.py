"""Serve a loom-style Python sink node over the sinkkit wire protocol, v1.

Standard library only. A sink author writes a few lines:

    from sinkkit_adapter import serve

    class MyNode:
        name = "my-sink"
        router_branch_safe = True
        def build_partition(self, config, worker_index, worker_count, bridge=None, session_manager=None):
            return MyPartition(config, worker_index)      # has write_batch(items) and close()

    def read_back(config):                                  # what the target durably holds, in stored order
        return [...]                                        # dicts with "key" and the declared fields

    serve(MyNode(), read_back, fields={"value": "int"},
          capabilities={"durability": "on_close"},
          config_template={"dir": "{target}"})

and runs `sinkkit run -- python3 my_sink.py`. Items reach write_batch as dicts
(with "key", the declared fields, and possibly extra fields: payload
subtypes). Raise ConfigError(key, message) for a bad config and ClosedError
for a call on a closed partition; any other exception from write_batch or
close is a storage failure (kind "write").
"""

import json
import sys
import traceback

PROTOCOL = 1


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


def serve(node, read_back, fields, capabilities=None, config_template=None, fault=None,
          stdin=None, stdout=None):
    """Answer requests from stdin until shutdown or end of input.

    fault(partition_object, after_items), if given, arms a storage fault on a
    partition (declare capabilities={"fault_injection": True} too).
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    partitions = {}
    caps = dict(capabilities or {})
    if fault is not None:
        caps.setdefault("fault_injection", True)

    def handle(req):
        op = req.get("op")
        if op == "hello":
            if req.get("protocol") != PROTOCOL:
                return _error("protocol", f"this adapter speaks protocol {PROTOCOL}, not {req.get('protocol')!r}")
            sink = {"name": node.name, "router_branch_safe": bool(node.router_branch_safe),
                    "payload": {"fields": fields}, "capabilities": caps}
            if config_template is not None:
                sink["config_template"] = config_template
            return {"ok": True, "protocol": PROTOCOL, "sink": sink}
        if op == "build":
            name = _require(req, "partition", str)
            if name in partitions:
                return _error("protocol", f"partition {name!r} was already built")
            try:
                partitions[name] = node.build_partition(req.get("config"), _require(req, "worker_index", int),
                                                        _require(req, "worker_count", int),
                                                        bridge=None, session_manager=None)
            except ConfigError as e:
                return _error("config", e)
            return {"ok": True}
        if op == "write_batch":
            part = _partition(partitions, req)
            items = _require(req, "items", list)
            part.write_batch(items)
            return {"ok": True}
        if op == "close":
            _partition(partitions, req).close()
            return {"ok": True}
        if op == "read_back":
            return {"ok": True, "items": list(read_back(req.get("config")))}
        if op == "fault":
            if fault is None:
                return _error("protocol", "this sink does not declare fault_injection")
            fault(_partition(partitions, req), _require(req, "after_items", int))
            return {"ok": True}
        if op == "shutdown":
            return {"ok": True}
        return _error("protocol", f"unknown op {op!r}")

    for line in stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise _ProtocolError("a request must be a JSON object")
            resp = handle(req)
        except (json.JSONDecodeError, _ProtocolError) as e:
            resp = _error("protocol", e)
        except ConfigError as e:
            resp = _error("config", e)
        except ClosedError as e:
            resp = _error("closed", e)
        except Exception as e:  # the sink's storage failed
            traceback.print_exc(file=sys.stderr)
            resp = _error("write", f"{type(e).__name__}: {e}")
        stdout.write(json.dumps(resp, separators=(",", ":")) + "\n")
        stdout.flush()
        if isinstance(req, dict) and req.get("op") == "shutdown" and resp.get("ok"):
            return


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
