"""python3 -m sinkkit_adapter MODULE:NODE [options]: serve a loom sink node,
as it is, over the sinkkit wire protocol (run it under `sinkkit run --`);
or python3 -m sinkkit_adapter --bytewax MODULE:SINK --item SHAPE [options]:
a Bytewax DynamicSink, as it is."""

import argparse
import importlib
import json
import os
import sys

from ._bytewax import BytewaxNode, DictItems, ItemShapeError, install_stand_in, item_shape
from ._bytewax import __doc__ as BYTEWAX_DOC
from ._payloads import PayloadError, PayloadType
from . import _readbacks
from ._readbacks import built_in
from ._server import serve

CAPABILITIES_DOC = """capabilities (JSON object; from --capabilities, else the node's sinkkit_capabilities):
  delivery               "exactly_once" (default: no duplicates in the target) or "at_least_once"
  durability             "on_return" (default: acknowledged items are durable when write_batch returns)
                         or "on_close" (durable once close returns)
  ordered_per_partition  true (default): a partition's items are stored in the order written
  accepts_empty_batches  true (default): write_batch([]) is accepted
  survives_crash         false (default); true: after the process is killed, a fresh build and read-back hold
                         everything acknowledged (checked with durability on_return), and rescaling keeps it
  survives_power_loss    false (default); true: after a power cut, what the durability class promises is on
                         disk (the sink fsyncs its data, and the directories of the files it creates, before
                         it acknowledges); implies survives_crash; undeclared, the report says what a
                         cut would have lost
  fault_injection        false (default); the sink's own storage fault hook (serve(fault=...) only)
  requires_bridge        false (default): build_partition refuses a None bridge (SK-1.3)
  max_batch_size         the largest batch the sink takes (default 65536)
"""


def _fail(message):
    print(f"sinkkit_adapter: {message}", file=sys.stderr)
    sys.exit(2)


def _import(spec, what):
    """MODULE:NAME -> the object (the current directory and PYTHONPATH are on the path)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        _fail(f"{what} {spec!r}: expected MODULE:NAME, e.g. mypkg.sinks:node")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)  # an ImportError's traceback goes to stderr, which the kit shows
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            _fail(f"{what} {spec!r}: module {module_name!r} has no {attr!r}")
        obj = getattr(obj, part)
    return obj


def _node(spec):
    obj = _import(spec, "node")
    # A class or a zero-argument factory makes the node.
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "build_partition")):
        obj = obj()
    if not callable(getattr(obj, "build_partition", None)):
        _fail(f"node {spec!r} has no build_partition(config, worker_index, worker_count, bridge, session_manager)")
    if not isinstance(getattr(obj, "name", None), str):
        _fail(f"node {spec!r} has no name (a str attribute)")
    return obj


def _json_object(text, flag):
    try:
        value = json.loads(text)
    except ValueError as e:
        _fail(f"{flag}: not JSON: {e}")
    if not isinstance(value, dict):
        _fail(f"{flag}: must be a JSON object")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m sinkkit_adapter", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve a loom sink node over the sinkkit wire protocol: "
                    "sinkkit run -- python3 -m sinkkit_adapter mypkg.sinks:node --read-back jsonl",
        epilog=CAPABILITIES_DOC + "\nbuilt-in read-backs (--read-back):\n" + _readbacks.__doc__.split("\n\n", 1)[1]
        + "\n--bytewax: " + BYTEWAX_DOC)
    parser.add_argument("node", nargs="?",
                        help="MODULE:NODE: the node object, or a class or zero-argument factory making it")
    parser.add_argument("--bytewax", metavar="MODULE:SINK", default=None,
                        help="serve a Bytewax DynamicSink instead of a loom node: a class or factory called with "
                             "the config's keys as keyword arguments, or an instance (see below)")
    parser.add_argument("--item", default=None,
                        help="with --bytewax: the items' shape, dict:NAME=TYPE,..., tuple:KEY,VALUE or str")
    parser.add_argument("--name", default=None, help="with --bytewax: the sink's name (default: the class's)")
    parser.add_argument("--stateful", action="store_true",
                        help="with --bytewax: SINK makes a FixedPartitionedSink (needed only for a factory function "
                             "the adapter cannot ask with the config template)")
    parser.add_argument("--read-back", default=None,
                        help="MODULE:FUNC (config -> the stored items, payload objects or dicts, in stored order), "
                             "or a built-in: jsonl[:DIR_KEY], sqlite[:PATH_KEY[:TABLE_KEY]], "
                             "postgres[:DSN_KEY[:TABLE_KEY]]; default: the node's sinkkit_read_back")
    parser.add_argument("--cleanup", default=None,
                        help="MODULE:FUNC (config -> None): removes what a test target holds on a server (tables, "
                             "streams, keys), called after each target's read-back; default: the node's "
                             "sinkkit_cleanup, if any")
    parser.add_argument("--capabilities", default=None, help="JSON object (see below)")
    parser.add_argument("--key-field", default="key", help="the payload's str field that carries the kit's item key")
    parser.add_argument("--config-template", default=None,
                        help='JSON object: the config of one test target ({target} and {target_id} are filled in); '
                             'default: the node\'s sinkkit_config_template, else {"dir": "{target}"}')
    args = parser.parse_args(argv)
    capabilities = _json_object(args.capabilities, "--capabilities") if args.capabilities is not None else None
    template = _json_object(args.config_template, "--config-template") if args.config_template is not None else None

    if (args.node is None) == (args.bytewax is None):
        _fail("give a loom node (MODULE:NODE) or --bytewax MODULE:SINK, one of them")
    if args.bytewax is not None:
        if args.item is None:
            _fail("--bytewax needs --item: the shape of the items the sink takes, dict:key=str,value=int,..., "
                  "tuple:key,value or str")
        install_stand_in()  # before the sink's module imports bytewax.outputs
        try:
            payload = item_shape(args.item, args.key_field)
            node = BytewaxNode(_import(args.bytewax, "--bytewax"), payload, name=args.name)
        except ItemShapeError as e:
            _fail(str(e))
    else:
        if args.item is not None or args.name is not None or args.stateful:
            _fail("--item, --name and --stateful go with --bytewax; a loom node's items are its payload class")
        node = _node(args.node)
        payload_cls = getattr(node, "payload", None)
        if payload_cls is None:
            _fail(f"node {args.node!r} has no payload class (loom's IntoSink.payload)")
        try:
            payload = PayloadType(payload_cls, args.key_field)
        except PayloadError as e:
            _fail(str(e))

    read_back = None
    if args.read_back is not None:
        read_back = built_in(args.read_back) or _import(args.read_back, "--read-back")
    else:
        read_back = getattr(node, "sinkkit_read_back", None)
    if not callable(read_back):
        _fail("no read-back: give --read-back MODULE:FUNC or a built-in (jsonl, sqlite, postgres), "
              "or give the node a sinkkit_read_back(config)")
    if args.bytewax is not None and args.read_back is not None and built_in(args.read_back) is not None:
        # A built-in reads dicts; a Bytewax sink's items may be tuples or strs.
        if not isinstance(payload, DictItems):
            _fail(f"--read-back {args.read_back}: the built-in read-backs return dicts; with --item {args.item} "
                  "give --read-back MODULE:FUNC returning the items in that shape")

    cleanup = _import(args.cleanup, "--cleanup") if args.cleanup is not None else getattr(node, "sinkkit_cleanup", None)
    if cleanup is not None and not callable(cleanup):
        _fail("the cleanup is not callable (give --cleanup MODULE:FUNC, or a sinkkit_cleanup(config) on the node)")

    if capabilities is None:
        capabilities = dict(getattr(node, "sinkkit_capabilities", None) or {})
    if template is None:
        template = getattr(node, "sinkkit_config_template", None)

    extra_ops = hello_extra = None
    if args.bytewax is not None:
        node.learn_shape(template if template is not None else {"dir": "{target}"}, forced=args.stateful)
        if node.stateful:  # a FixedPartitionedSink: the kit drives its epochs, snapshots and resumes
            extra_ops, hello_extra = node.stateful_ops(), {"stateful": True}
            # A worker's items go to several parts: order is kept per part, not per worker.
            capabilities.setdefault("ordered_per_partition", False)
    serve(node, read_back, capabilities=capabilities, config_template=template, payload=payload,
          build_errors_are_config=True, cleanup=cleanup, extra_ops=extra_ops, hello_extra=hello_extra)


if __name__ == "__main__":
    main()
