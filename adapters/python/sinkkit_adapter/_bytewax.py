"""Bytewax's own sink shapes, served as they are: a `DynamicSink` whose
`build(step_id, worker_index, worker_count)` makes a `StatelessSinkPartition`
(`write_batch(items)`, `close()`), duck-typed, so Bytewax need not be
installed (when it is not, `bytewax.outputs` is a stand-in with its class
names, so a module that imports them runs unchanged).

Items reach the sink in the shape Bytewax hands it, said with --item:

    dict:key=str,value=int,label=str   a dict with these fields (str, int, float, bool);
                                       the kit's item key goes in the str field `key`
                                       (or the one --key-field names)
    tuple:key,value                    a (key, value) 2-tuple, value a str
    str                                a str: the key, a space, the value

The read-back returns what storage holds in the same shape (dicts, 2-tuples
or 2-lists, strs; a str may end in a newline).
"""

import sys
import types

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
        out = {self.key_field: item.get("key")}
        for name in self.fields:
            out[name] = item.get(name)
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
            raise NotImplementedError

        def build_part(self, step_id, for_part, resume_state):
            raise NotImplementedError

    for cls in (Sink, StatelessSinkPartition, DynamicSink, StatefulSinkPartition, FixedPartitionedSink):
        cls.__module__ = "bytewax.outputs"
        setattr(outputs, cls.__name__, cls)
    sys.modules["bytewax.outputs"] = outputs
    package.outputs = outputs
    return True


def _is_stateful(obj):
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
    """A `DynamicSink` (a class or factory called with the config's keys as
    keyword arguments, or an instance) as the loom-style node serve() drives."""

    router_branch_safe = False

    def __init__(self, sink, name=None, step_id="sinkkit_output"):
        self.sink = sink
        self.step_id = step_id
        self.is_factory = isinstance(sink, type) or (callable(sink) and not callable(getattr(sink, "build", None))
                                                     and not _is_stateful(sink))
        probe = sink if not self.is_factory else (sink if isinstance(sink, type) else None)
        if probe is not None and _is_stateful(probe):
            raise ItemShapeError(
                f"{_name_of(sink)} is a FixedPartitionedSink (list_parts, build_part): its recovery state is the "
                "runtime's to keep, and judging it without a resume would fail it for what its design predicts. "
                "This version of the adapter serves DynamicSink only")
        if probe is not None and not callable(getattr(probe, "build", None)):
            raise ItemShapeError(f"{_name_of(sink)} has no build(step_id, worker_index, worker_count): "
                                 "not a Bytewax DynamicSink")
        self.name = name or _name_of(sink)
        self.sinkkit_capabilities = getattr(sink, "sinkkit_capabilities", None)

    def _sink_for(self, config):
        if not self.is_factory:
            return self.sink  # an instance: every target shares it (the config is its own)
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise TypeError(f"the config must be an object of keyword arguments for {_name_of(self.sink)}, "
                            f"got {config!r}")
        sink = self.sink(**config)
        if _is_stateful(sink):
            raise TypeError(f"{_name_of(self.sink)} made a FixedPartitionedSink; this adapter serves DynamicSink only")
        if not callable(getattr(sink, "build", None)):
            raise TypeError(f"{_name_of(self.sink)}(**config) made {sink!r}, which has no build(step_id, "
                            "worker_index, worker_count)")
        return sink

    def build_partition(self, config, worker_index, worker_count, bridge=None, session_manager=None):
        sink = self._sink_for(config)
        if _takes_step_id(sink.build):
            return sink.build(self.step_id, worker_index, worker_count)
        return sink.build(worker_index, worker_count)


def _name_of(obj):
    return getattr(obj, "__name__", None) or type(obj).__name__
