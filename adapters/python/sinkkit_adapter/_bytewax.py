"""Bytewax's own sink shapes, served as they are: a `DynamicSink` whose
`build(step_id, worker_index, worker_count)` makes a `StatelessSinkPartition`
(`write_batch(items)`, `close()`), or a `FixedPartitionedSink` (`list_parts()`,
`part_fn(item_key)`, `build_part(step_id, for_part, resume_state)` making a
`StatefulSinkPartition` with `write_batch(values)`, `snapshot()`, `close()`);
duck-typed, so Bytewax need not be installed (when it is not,
`bytewax.outputs` is a stand-in with its class names, so a module that
imports them runs unchanged).

A FixedPartitionedSink is driven as Bytewax drives it: its parts are
list_parts() sorted, an item goes to parts[part_fn(key) % len(parts)], and
the kit keeps each epoch's snapshots (pickled) to resume from (rules
SK-7.x). In the other rules, each worker builds the parts it owns (part i
on worker i % worker_count) with no resume state, and an item routed to a
part of another worker goes to one of its own.

Items reach the sink in the shape Bytewax hands it, said with --item:

    dict:key=str,value=int,label=str   a dict with these fields (str, int, float, bool);
                                       the kit's item key goes in the str field `key`
                                       (or the one --key-field names)
    tuple:key,value                    a (key, value) 2-tuple, value a str
    str                                a str: the key, a space, the value

The read-back returns what storage holds in the same shape (dicts, 2-tuples
or 2-lists, strs; a str may end in a newline).
"""

import json
import sys
import types

from ._payloads import declared_values

_TYPES = {"str": "string", "int": "int", "float": "float", "bool": "bool"}


class ItemShapeError(Exception):
    """An --item the adapter cannot use; the message says why."""


class DictItems:
    """Items as dicts with declared fields."""

    def __init__(self, spec, key_field="key"):
        self.key_field = key_field
        self.fields = {}  # name -> wire type, the key field left out
        declared = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, sep, typ = part.partition("=")
            if not sep or not name or typ not in _TYPES:
                raise ItemShapeError(f"--item dict:{spec}: {part!r} is not NAME=TYPE with TYPE one of "
                                     f"{', '.join(_TYPES)}")
            if name in declared:
                raise ItemShapeError(f"--item dict:{spec}: field {name!r} is named twice")
            declared[name] = _TYPES[typ]
        if declared.get(key_field) != "string":
            raise ItemShapeError(f"--item dict:{spec}: needs a str field {key_field!r} for the kit's item key "
                                 f"(e.g. dict:{key_field}=str,value=int; or choose it with --key-field)")
        self.fields = {n: t for n, t in declared.items() if n != key_field}

    def wire_fields(self):
        return dict(self.fields)

    def make(self, item):
        out = declared_values(item, self.key_field, self.fields)
        for name, value in item.items():  # a payload subtype's extra fields: a dict holds them too
            if name != "key" and name not in out:
                out[name] = value
        return out

    def to_item(self, stored):
        if not isinstance(stored, dict):
            return {"key": f"<not a dict: {stored!r:.60}>"}
        item = dict(stored)
        if self.key_field != "key":
            item["key"] = item.pop(self.key_field, None)
        return item


class TupleItems:
    """Items as (key, value) 2-tuples; the value is the kit's one str field."""

    def __init__(self, spec):
        names = [n.strip() for n in spec.split(",")]
        if len(names) != 2 or not all(names) or names[0] == names[1]:
            raise ItemShapeError(f"--item tuple:{spec}: name the two parts, e.g. tuple:key,value")
        self.value_field = names[1]

    def wire_fields(self):
        return {self.value_field: "string"}

    def make(self, item):
        return (item.get("key"), item.get(self.value_field))

    def to_item(self, stored):
        if not isinstance(stored, (tuple, list)) or len(stored) != 2:
            return {"key": f"<not a (key, value) pair: {stored!r:.60}>"}
        return {"key": stored[0], self.value_field: stored[1]}


class StrItems:
    """Items as strs: the key, a space, the value (the kit's one str field)."""

    def wire_fields(self):
        return {"value": "string"}

    def make(self, item):
        return f"{item.get('key')} {item.get('value')}"

    def to_item(self, stored):
        if isinstance(stored, bytes):
            stored = stored.decode("utf-8", "replace")
        if not isinstance(stored, str):
            return {"key": f"<not a str: {stored!r:.60}>"}
        key, _, value = stored.rstrip("\n").partition(" ")
        return {"key": key, "value": value}


def item_shape(spec, key_field="key"):
    """The shape an --item value names."""
    kind, sep, rest = spec.partition(":")
    if kind == "dict" and sep:
        return DictItems(rest, key_field)
    if kind == "tuple" and sep:
        return TupleItems(rest)
    if spec == "str":
        return StrItems()
    raise ItemShapeError(f"--item {spec!r}: expected dict:NAME=TYPE,..., tuple:KEY,VALUE or str")


def install_stand_in():
    """When Bytewax is not installed, `bytewax.outputs` with its sink base
    classes, so that a module written against Bytewax imports as it is."""
    try:
        import bytewax.outputs  # noqa: F401, PLC0415 - the real one wins
        return False
    except ImportError:
        pass
    package = sys.modules.setdefault("bytewax", types.ModuleType("bytewax"))
    package.__path__ = []  # a package, so that `bytewax.outputs` resolves
    outputs = types.ModuleType("bytewax.outputs")
    outputs.__doc__ = "sinkkit's stand-in for Bytewax's sink base classes (Bytewax is not installed)."

    class Sink:
        pass

    class StatelessSinkPartition:
        def write_batch(self, items):
            raise NotImplementedError

        def close(self):
            pass

    class DynamicSink(Sink):
        def build(self, step_id, worker_index, worker_count):
            raise NotImplementedError

    class StatefulSinkPartition:
        def write_batch(self, values):
            raise NotImplementedError

        def snapshot(self):
            raise NotImplementedError

        def close(self):
            pass

    class FixedPartitionedSink(Sink):
        def list_parts(self):
            raise NotImplementedError

        def part_fn(self, item_key):
            return zlib_adler32(item_key)  # Bytewax's own default

        def build_part(self, step_id, for_part, resume_state):
            raise NotImplementedError

    for cls in (Sink, StatelessSinkPartition, DynamicSink, StatefulSinkPartition, FixedPartitionedSink):
        cls.__module__ = "bytewax.outputs"
        setattr(outputs, cls.__name__, cls)
    sys.modules["bytewax.outputs"] = outputs
    package.outputs = outputs
    return True


def is_stateful(obj):
    return callable(getattr(obj, "list_parts", None)) and callable(getattr(obj, "build_part", None))


def _takes_step_id(build):
    """Bytewax 0.18+ builds with (step_id, worker_index, worker_count); older
    DynamicOutput with (worker_index, worker_count)."""
    import inspect  # noqa: PLC0415 - only the Bytewax path needs it
    try:
        params = [p for p in inspect.signature(build).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return True
    return len(params) != 2


class BytewaxNode:
    """A `DynamicSink` or `FixedPartitionedSink` (a class or factory called
    with the config's keys as keyword arguments, or an instance) as the
    loom-style node serve() drives, and the stateful ops (`stateful_ops`)."""

    router_branch_safe = False

    def __init__(self, sink, shape, name=None, step_id="sinkkit_output"):
        self.sink = sink
        self.shape = shape
        self.step_id = step_id
        self.is_factory = isinstance(sink, type) or (callable(sink) and not callable(getattr(sink, "build", None))
                                                     and not is_stateful(sink))
        probe = sink if not self.is_factory else (sink if isinstance(sink, type) else None)
        if probe is not None and not callable(getattr(probe, "build", None)) and not is_stateful(probe):
            raise ItemShapeError(f"{_name_of(sink)} has neither build(step_id, worker_index, worker_count) (a "
                                 "DynamicSink) nor list_parts and build_part (a FixedPartitionedSink)")
        # A factory function's shape is known once it has made a sink: the
        # command line asks it once with the config template.
        self.stateful = probe is not None and is_stateful(probe)
        self.name = name or _name_of(sink)
        # What a sink class may say for the kit, as a loom node says it.
        for attr in ("sinkkit_capabilities", "sinkkit_cleanup", "sinkkit_read_back", "sinkkit_config_template"):
            setattr(self, attr, getattr(sink, attr, None))

    def learn_shape(self, template, forced=False):
        """For a factory function: whether what it makes is stateful, asked
        once with the config template on a throwaway folder ({target}).
        `forced` (--stateful) says so without asking."""
        if forced:
            self.stateful = True
            return
        if not self.is_factory or isinstance(self.sink, type):
            return
        import shutil  # noqa: PLC0415
        import tempfile  # noqa: PLC0415
        probe_dir = tempfile.mkdtemp(prefix="sinkkit-probe-")
        try:
            config = json.loads(json.dumps(template).replace("{target}", probe_dir)
                                .replace("{target_id}", "probe"))
            self.stateful = is_stateful(self._sink_for(config))
        except Exception as e:  # noqa: BLE001 - said: the stateful rules would be skipped silently otherwise
            print(f"sinkkit_adapter: could not ask {_name_of(self.sink)} what it makes ({type(e).__name__}: {e}); "
                  "served as a DynamicSink (give --stateful if it makes a FixedPartitionedSink)", file=sys.stderr)
        finally:
            shutil.rmtree(probe_dir, ignore_errors=True)

    def _sink_for(self, config):
        if not self.is_factory:
            return self.sink  # an instance: every target shares it (the config is its own)
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise TypeError(f"the config must be an object of keyword arguments for {_name_of(self.sink)}, "
                            f"got {config!r}")
        sink = self.sink(**config)
        if not callable(getattr(sink, "build", None)) and not is_stateful(sink):
            raise TypeError(f"{_name_of(self.sink)}(**config) made {sink!r}, which is neither a DynamicSink nor a "
                            "FixedPartitionedSink")
        return sink

    def build_partition(self, config, worker_index, worker_count, bridge=None, session_manager=None):
        sink = self._sink_for(config)
        if is_stateful(sink):
            return _OwnedParts(self, sink, worker_index, worker_count)
        if _takes_step_id(sink.build):
            return sink.build(self.step_id, worker_index, worker_count)
        return sink.build(worker_index, worker_count)

    # --- the stateful ops (docs/wire-protocol.md, "Stateful partitions") ---

    def parts(self, sink):
        parts = sorted(sink.list_parts())
        if not parts or not all(isinstance(p, str) for p in parts) or len(set(parts)) != len(parts):
            raise ValueError(f"list_parts() returned {parts!r}: it must be distinct str keys, at least one")
        return parts

    def part_of(self, sink, parts, key):
        index = sink.part_fn(key) if callable(getattr(sink, "part_fn", None)) else zlib_adler32(key)
        if not isinstance(index, int) or isinstance(index, bool):
            raise ValueError(f"part_fn({key!r}) returned {index!r}, not an int")
        return parts[index % len(parts)]

    def stateful_ops(self):
        def list_parts(req, partitions):
            return {"ok": True, "parts": self.parts(self._sink_for(req.get("config")))}

        def route(req, partitions):
            sink = self._sink_for(req.get("config"))
            parts = self.parts(sink)
            return {"ok": True, "parts": [self.part_of(sink, parts, k) for k in req.get("keys", [])]}

        def build_part(req, partitions):
            name = req.get("partition")
            if not isinstance(name, str) or name in partitions:
                return _wire_error("protocol", f"build_part: partition {name!r} is missing or already built")
            try:
                sink = self._sink_for(req.get("config"))
                state = req.get("resume_state")
                resume = None if state is None else _unpickle(state)
                part = sink.build_part(self.step_id, req.get("part"), resume)
            except Exception as e:  # noqa: BLE001 - the sink refused the part or its state: said, not raised
                return _wire_error("config", f"{type(e).__name__}: {e}")
            if part is None:
                return _wire_error("config", f"build_part({req.get('part')!r}) returned None")
            partitions[name] = _StatefulPart(part, self.shape, req.get("part"))
            return {"ok": True}

        def snapshot(req, partitions):
            name = req.get("partition")
            if name not in partitions or not isinstance(partitions[name], _StatefulPart):
                return _wire_error("protocol", f"snapshot: no part built as {name!r}")
            return {"ok": True, "state": partitions[name].snapshot()}

        return {"list_parts": list_parts, "route": route, "build_part": build_part, "snapshot": snapshot}


def zlib_adler32(key):
    """Bytewax's default part_fn."""
    import zlib  # noqa: PLC0415
    return zlib.adler32(key.encode())


def _wire_error(kind, message):
    return {"ok": False, "error": {"kind": kind, "message": message}}


def _pickle(state, part):
    import base64  # noqa: PLC0415
    import pickle  # noqa: PLC0415
    try:
        data = pickle.dumps(state)
        pickle.loads(data)  # what Bytewax's recovery store does with it
    except Exception as e:
        raise ValueError(f"snapshot() of part {part!r} returned {state!r:.80}, which does not survive a round trip "
                         f"through pickle: {type(e).__name__}: {e}") from None
    return base64.b64encode(data).decode("ascii")


def _unpickle(text):
    import base64  # noqa: PLC0415
    import pickle  # noqa: PLC0415
    return pickle.loads(base64.b64decode(text))


class _StatefulPart:
    """A part built by build_part: values in the item shape, snapshots pickled."""

    def __init__(self, part, shape, name):
        self.part, self.shape, self.name = part, shape, name

    def write_batch(self, values):
        self.part.write_batch(values)

    def snapshot(self):
        return _pickle(self.part.snapshot(), self.name)

    def close(self):
        self.part.close()


class _OwnedParts:
    """The parts one worker owns, built with no resume state, as one partition."""

    sinkkit_wire_items = True  # the keys route the items

    def __init__(self, node, sink, worker_index, worker_count):
        self.node, self.sink = node, sink
        self.global_parts = node.parts(sink)
        owned = [p for i, p in enumerate(self.global_parts) if i % worker_count == worker_index]
        if not owned:
            raise ValueError(f"worker {worker_index} of {worker_count} owns none of the {len(self.global_parts)} "
                             "parts list_parts() names: give the sink more parts than the kit has workers "
                             "(or run the kit with fewer: --workers)")
        self.parts = {}
        try:
            for p in owned:
                self.parts[p] = sink.build_part(node.step_id, p, None)
        except Exception:
            try:
                self.close()
            except Exception:  # noqa: BLE001, S110 - the build's error is the one to tell
                pass
            raise
        self.owned = owned

    closed = False

    def write_batch(self, items):
        if self.closed:
            from ._server import ClosedError  # noqa: PLC0415 - the request loop's kinds
            raise ClosedError("write_batch on a closed partition")
        by_part = {}
        for item in items:
            part = self.node.part_of(self.sink, self.global_parts, item.get("key"))
            if part not in self.parts:  # another worker's part: one of ours, consistently
                part = self.owned[self.global_parts.index(part) % len(self.owned)]
            by_part.setdefault(part, []).append(self.node.shape.make(item))
        for part, values in by_part.items():
            self.parts[part].write_batch(values)

    def close(self):
        # Bytewax closes a part once: a part whose close returned is not closed
        # again; one whose close failed is, at the next close (its items are
        # still to be kept).
        error = None
        for name, part in list(self.parts.items()):
            try:
                part.close()
            except Exception as e:  # noqa: BLE001 - the others are closed all the same
                error = error or e
                continue
            del self.parts[name]
        self.closed = True
        if error is not None:
            raise error


def _name_of(obj):
    return getattr(obj, "__name__", None) or type(obj).__name__
