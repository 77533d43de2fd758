"""Payload classes: the fields a class declares, its instances made from the
kit's items, and a subclass of it for items with extra fields (a payload
subtype, as loom's contravariant sinks receive).

Understood: dataclasses, attrs classes, pydantic models, msgspec.Struct-like
classes (`__struct_fields__`) and plain classes with annotations. Instances
are made by keyword arguments, falling back to setting attributes.
"""

import operator
import sys
import types

# The kit's wire types, by Python type.
_WIRE_TYPES = {str: "string", int: "int", float: "float", bool: "bool"}
SUBTYPE_FIELD = "sinkkit_subtype"  # what the kit's extra field is called on the wire


def _dataclasses():
    """The dataclasses module if any dataclass exists (its import is a tenth
    of a sink process's start-up, which the kit pays per worker per case)."""
    return sys.modules.get("dataclasses")


def _typing():
    """The typing module, imported on first use: only payload classes need it,
    and its import is a tenth of a sink process's start-up too."""
    import typing  # noqa: PLC0415 - deliberately lazy, see above
    return typing


def _is_dataclass(cls):
    d = _dataclasses()
    return d is not None and d.is_dataclass(cls)


class PayloadError(Exception):
    """A payload class the adapter cannot use; the message says why."""


def _annotations(cls):
    """Field name -> type, base classes first, as declared."""
    if getattr(cls, "__struct_fields__", None) is not None:  # msgspec.Struct and look-alikes
        hints = _hints(cls)
        return {name: hints.get(name, object) for name in cls.__struct_fields__}
    if _is_dataclass(cls):
        hints = _hints(cls)
        return {f.name: hints.get(f.name, f.type) for f in _dataclasses().fields(cls)}
    if hasattr(cls, "__attrs_attrs__"):
        hints = _hints(cls)
        return {a.name: hints.get(a.name, a.type) for a in cls.__attrs_attrs__}
    if hasattr(cls, "model_fields"):  # pydantic 2
        return {name: f.annotation for name, f in cls.model_fields.items()}
    if hasattr(cls, "__fields__") and isinstance(cls.__fields__, dict):  # pydantic 1
        return {name: getattr(f, "outer_type_", object) for name, f in cls.__fields__.items()}
    return {name: t for name, t in _hints(cls).items() if not name.startswith("_")
            and _typing().get_origin(t) is not _typing().ClassVar}


def _hints(cls):
    try:
        return _typing().get_type_hints(cls)
    except Exception:  # unresolvable forward references: take them as written
        out = {}
        for klass in reversed(cls.__mro__):
            out.update(getattr(klass, "__annotations__", {}))
        return out


def _wire_type(t):
    """The kit's type for a field's annotation (Optional[X] counts as X)."""
    typing = _typing()
    if typing.get_origin(t) in (typing.Union, getattr(types, "UnionType", typing.Union)):  # Optional[X], X | None
        args = [a for a in typing.get_args(t) if a is not type(None)]
        if len(args) == 1:
            t = args[0]
    return _WIRE_TYPES.get(t)


class PayloadType:
    """What the adapter knows of a node's `payload` class."""

    def __init__(self, cls, key_field="key"):
        if not isinstance(cls, type):
            raise PayloadError(f"payload must be a class, got {cls!r}")
        self.cls = cls
        self.key_field = key_field
        declared = _annotations(cls)
        if key_field not in declared:
            raise PayloadError(f"payload {cls.__qualname__} has no field {key_field!r} to carry the kit's item key "
                               f"(its fields: {', '.join(declared) or 'none'}; choose one with --key-field)")
        if _wire_type(declared[key_field]) != "string":
            raise PayloadError(f"payload {cls.__qualname__}: the key field {key_field!r} must be a str")
        self.fields = {}  # declared fields but the key, name -> wire type
        for name, t in declared.items():
            if name == key_field:
                continue
            wire = _wire_type(t)
            if wire is None:
                raise PayloadError(f"payload {cls.__qualname__}: field {name!r} has type {t!r}; the kit can fill "
                                   "str, int, float and bool fields")
            self.fields[name] = wire
        self._subtype = None
        self._row_makers = {}  # columns -> a function making an instance of a row
        self._positional = _positional_fields(cls)

    def wire_fields(self):
        return dict(self.fields)

    def _declared(self, item):
        return declared_values(item, self.key_field, self.fields)

    def subtype(self):
        """A subclass of the payload class with one more field."""
        if self._subtype is None:
            name = self.cls.__name__ + "Subtype"
            if _is_dataclass(self.cls):
                dataclasses = _dataclasses()
                params = getattr(self.cls, "__dataclass_params__", None)
                self._subtype = dataclasses.make_dataclass(
                    name, [(SUBTYPE_FIELD, _typing().Any, dataclasses.field(default=None))], bases=(self.cls,),
                    frozen=bool(params and params.frozen))
            else:
                self._subtype = type(name, (self.cls,), {"__module__": self.cls.__module__})
        return self._subtype

    def make(self, item):
        """An instance for one wire item; a subtype instance when it has extra fields."""
        values = self._declared(item)
        extra = {k: v for k, v in item.items() if k != "key" and k not in self.fields}
        if not extra:
            return _construct(self.cls, values)
        cls = self.subtype()
        if _is_dataclass(cls):
            return cls(**values, **{SUBTYPE_FIELD: extra.get(SUBTYPE_FIELD, extra)})
        obj = _construct(cls, values)
        try:
            object.__setattr__(obj, SUBTYPE_FIELD, extra.get(SUBTYPE_FIELD, extra))
        except (AttributeError, TypeError):  # slots or frozen: the class itself is the subtype
            pass
        return obj

    def row_maker(self, columns):
        """A function making an instance of one row in `columns`' order (the
        kit's rows encoding, docs/wire-protocol.md), made once per columns:
        positional arguments in the constructor's order where it takes all
        the fields so (a dataclass), no dict per item; keywords otherwise;
        make() of the item for rows with fields the class does not declare.
        Raises ValueError when the columns lack a declared field."""
        cols = tuple(columns)
        maker = self._row_makers.get(cols)
        if maker is None:
            maker = self._row_makers[cols] = self._new_row_maker(cols)
        return maker

    def _new_row_maker(self, cols):
        cls = self.cls
        index = {c: i for i, c in enumerate(cols)}
        missing = [n for n in ("key", *self.fields) if n not in index]
        if missing:
            raise ValueError(f"the batch's columns {list(cols)} lack {', '.join(missing)}")
        if len(cols) != len(self.fields) + 1:  # a payload subtype's extra field
            return lambda row: self.make(dict(zip(cols, row)))
        if self._positional is not None:
            order = [index["key" if name == self.key_field else name] for name in self._positional]
            if order == list(range(len(cols))):
                return lambda row: cls(*row)
            pick = operator.itemgetter(*order)
            return lambda row: cls(*pick(row))
        names = [self.key_field if c == "key" else c for c in cols]
        return lambda row: _construct(cls, dict(zip(names, row)))

    def to_item(self, stored):
        """A read-back entry (a payload object or a dict) as a wire item."""
        if isinstance(stored, dict):
            if "key" not in stored and self.key_field in stored:
                stored = dict(stored)
                stored["key"] = stored.pop(self.key_field)
            return stored
        item = {"key": getattr(stored, self.key_field, None)}
        for name in self.fields:
            item[name] = getattr(stored, name, None)
        return item


def _positional_fields(cls):
    """The field names in the order a dataclass's constructor takes them, when
    its __init__ takes exactly its fields, positionally, in that order; else
    None, and instances are made by keyword. Read from __init__ itself, not
    from the fields alone: a hand-written __init__ (init=False, or a subclass
    that overrides it), an InitVar or a keyword-only field would otherwise put
    values in the wrong fields."""
    if not _is_dataclass(cls):
        return None
    code = getattr(getattr(cls, "__init__", None), "__code__", None)
    if code is None or code.co_kwonlyargcount:
        return None
    names = [f.name for f in _dataclasses().fields(cls)]
    return names if list(code.co_varnames[1:code.co_argcount]) == names else None


def declared_values(item, key_field, fields):
    """A wire item's key (under `key_field`) and declared `fields`."""
    values = {key_field: item.get("key")}
    for name in fields:
        values[name] = item.get(name)
    return values


def _construct(cls, values):
    try:
        return cls(**values)
    except TypeError:  # a plain class whose __init__ takes no such arguments
        obj = cls.__new__(cls)
        for name, value in values.items():
            object.__setattr__(obj, name, value)
        return obj
