"""The Python adapter's parts on their own: payload classes, the bridge and
session manager, the built-in read-backs, the request loop's new fields and
the command line's errors; and the example sinks' own pitfalls. (End to end
under `sinkkit run`: kit/cli/tests.)"""

import asyncio
import dataclasses
import io
import json
import os
import pickle
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import typing
import unittest
import unittest.mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sinkkit_adapter import AsyncBridge, BridgeShutDown, PayloadError, PayloadType, SessionManager, serve  # noqa: E402
from sinkkit_adapter import _bytewax, _readbacks  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Trade:
    key: str
    qty: int
    price: float
    buy: bool
    venue: str


class Plain:
    key: str
    value: int

    def __init__(self, key, value):
        self.key, self.value = key, value


class StructLike:  # as msgspec.Struct: fields in __struct_fields__, __slots__, kwargs
    __struct_fields__ = ("key", "value")
    __slots__ = ("key", "value")
    __annotations__ = {"key": str, "value": int}

    def __init__(self, key, value):
        self.key, self.value = key, value


class Payloads(unittest.TestCase):
    def test_optional_fields_either_way(self):
        @dataclasses.dataclass
        class Opt:
            key: str
            a: "int | None" = None
            b: typing.Optional[float] = None

        self.assertEqual(PayloadType(Opt).wire_fields(), {"a": "int", "b": "float"})

    def test_the_fields_come_from_the_class(self):
        self.assertEqual(PayloadType(Trade).wire_fields(),
                         {"qty": "int", "price": "float", "buy": "bool", "venue": "string"})
        self.assertEqual(PayloadType(Plain).wire_fields(), {"value": "int"})
        self.assertEqual(PayloadType(StructLike).wire_fields(), {"value": "int"})

    def test_items_become_instances_and_extra_fields_a_subclass(self):
        p = PayloadType(Trade)
        item = {"key": "w0.b0.e0.s1", "qty": 3, "price": 1.5, "buy": True, "venue": "x"}
        t = p.make(item)
        self.assertIs(type(t), Trade)
        self.assertEqual((t.key, t.qty, t.venue), ("w0.b0.e0.s1", 3, "x"))
        sub = p.make(dict(item, sinkkit_subtype={"level": 2}))
        self.assertIsInstance(sub, Trade)
        self.assertIsNot(type(sub), Trade)
        self.assertEqual(sub.sinkkit_subtype, {"level": 2})
        self.assertIs(type(p.make(dict(item, sinkkit_subtype={}))), type(sub))  # one subclass
        self.assertIsInstance(PayloadType(StructLike).make({"key": "k", "value": 1, "sinkkit_subtype": {}}), StructLike)

    def test_rows_make_the_instances_objects_make(self):
        # The kit's columns: the key, then the declared fields by name.
        item = {"key": "w0.b0.e0.s1", "qty": 3, "price": 1.5, "buy": True, "venue": "x"}
        columns = ["key", "buy", "price", "qty", "venue"]
        for cls in (Trade, Plain, StructLike):
            p = PayloadType(cls)
            cols = ["key", *sorted(p.wire_fields())]
            wanted = {c: item.get(c, 7) for c in cols}
            made = p.row_maker(cols)([wanted[c] for c in cols])
            self.assertIs(type(made), cls)
            self.assertEqual({c: getattr(made, c) for c in cols}, wanted)
            self.assertIs(p.row_maker(list(cols)), p.row_maker(cols), "made once per columns")
        p = PayloadType(Trade)
        shuffled = ["venue", "key", "qty", "buy", "price"]  # any order the columns name
        t = p.row_maker(shuffled)([item[c] for c in shuffled])
        self.assertEqual((t.key, t.qty, t.price, t.buy, t.venue), ("w0.b0.e0.s1", 3, 1.5, True, "x"))
        sub = p.row_maker([*columns, "sinkkit_subtype"])([item[c] for c in columns] + [{"level": 2}])
        self.assertIsInstance(sub, Trade)
        self.assertIsNot(type(sub), Trade)
        self.assertEqual(sub.sinkkit_subtype, {"level": 2})
        with self.assertRaisesRegex(ValueError, "lack qty"):
            p.row_maker(["key", "buy", "price", "venue"])

    def test_rows_fill_the_right_fields_whatever_the_constructor(self):
        # Positional only where __init__ takes exactly the fields in order;
        # these would swap or shift values if made positionally.
        @dataclasses.dataclass(init=False)
        class OwnInit:
            key: str
            value: int

            def __init__(self, value, key):
                self.key, self.value = key, value

        @dataclasses.dataclass
        class Base:
            key: str
            value: int

        class Overrides(Base):
            def __init__(self, value, key):
                super().__init__(key, value)

        @dataclasses.dataclass
        class WithInitVar:
            key: str
            scale: dataclasses.InitVar[int] = 1
            value: int = 0

        @dataclasses.dataclass
        class KeywordOnly:
            key: str
            value: int = dataclasses.field(kw_only=True, default=0)

        for cls in (OwnInit, Overrides, WithInitVar, KeywordOnly, Base):
            made = PayloadType(cls).row_maker(["key", "value"])(["k", 5])
            self.assertEqual((made.key, made.value), ("k", 5), cls.__name__)

    def test_read_back_takes_objects_or_dicts(self):
        p = PayloadType(Plain)
        self.assertEqual(p.to_item(Plain("k", 4)), {"key": "k", "value": 4})
        self.assertEqual(p.to_item({"key": "k", "value": 4}), {"key": "k", "value": 4})
        @dataclasses.dataclass
        class Keyed:
            id: str
            value: int

        self.assertEqual(PayloadType(Keyed, "id").to_item({"id": "k", "value": 1}), {"key": "k", "value": 1})
        self.assertEqual(PayloadType(Keyed, "id").to_item(Keyed("k", 2)), {"key": "k", "value": 2})

    def test_a_class_it_cannot_fill_is_named(self):
        @dataclasses.dataclass
        class NoKey:
            id: str

        @dataclasses.dataclass
        class Dated:
            key: str
            when: object

        with self.assertRaisesRegex(PayloadError, "no field 'key'.*--key-field"):
            PayloadType(NoKey)
        self.assertEqual(PayloadType(NoKey, key_field="id").wire_fields(), {})
        with self.assertRaisesRegex(PayloadError, "field 'when' has type"):
            PayloadType(Dated)
        with self.assertRaisesRegex(PayloadError, "must be a class"):
            PayloadType(Trade("k", 1, 1.0, True, "v"))


class Bridge(unittest.TestCase):
    def test_run_returns_raises_and_times_out(self):
        bridge = AsyncBridge()
        self.addCleanup(bridge.shutdown)

        async def answer():
            await asyncio.sleep(0)
            return 42

        async def fail():
            raise KeyError("boom")

        self.assertEqual(bridge.run(answer()), 42)
        with self.assertRaises(KeyError):
            bridge.run(fail())
        with self.assertRaises(TimeoutError):
            bridge.run(asyncio.sleep(5), timeout=0.05)

    def test_in_flight_counts_unfinished_work_and_shutdown_drains_it(self):
        bridge = AsyncBridge()
        done = []

        async def slow():
            await asyncio.sleep(0.1)
            done.append(1)

        async def spawns():
            asyncio.get_running_loop().create_task(slow())  # work the sink started on its own

        bridge.submit(slow())
        self.assertEqual(bridge.in_flight(), 1)
        bridge.run(spawns())
        self.assertEqual(bridge.in_flight(), 2)
        bridge.shutdown(timeout=5)
        self.assertGreaterEqual(len(done), 1)  # the submitted work was waited for (the spawned may finish too)
        with self.assertRaisesRegex(BridgeShutDown, "after shutdown"):
            bridge.run(slow())

    def test_the_session_manager_knows_who_disposed_it(self):
        m = SessionManager()
        s = m.lease()
        self.assertEqual(m.leased(), 1)
        m.release(s)
        self.assertEqual(m.leased(), 0)
        m.dispose()
        self.assertTrue(m.take_disposed())
        self.assertFalse(m.take_disposed())  # reported once
        m.release(m.lease())  # still served to later cases


class ReadBacks(unittest.TestCase):
    def test_jsonl_reads_every_file_in_order_and_leaves_out_a_torn_last_line(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "b.jsonl"), "w") as f:
                f.write('{"key": "b1"}\n{"key": "b2"')  # torn
            with open(os.path.join(d, "a.jsonl"), "w") as f:
                f.write('{"key": "a1"}\nnot json\n')
            with open(os.path.join(d, "notes.txt"), "w") as f:
                f.write("ignored\n")
            items = _readbacks.built_in("jsonl")({"dir": d})
            self.assertEqual([i["key"] for i in items][0], "a1")
            self.assertTrue(items[1]["key"].startswith("<not JSON in a.jsonl"))
            self.assertEqual(items[2], {"key": "b1"})
            self.assertEqual(len(items), 3)

    def test_sqlite_reads_the_table_by_rowid(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.db")
            self.assertEqual(_readbacks.built_in("sqlite:file:t")({"file": path, "t": "rows"}), [])
            db = sqlite3.connect(path)
            db.execute("CREATE TABLE rows (key TEXT, value INTEGER)")
            db.executemany("INSERT INTO rows VALUES (?, ?)", [("k2", 2), ("k1", 1)])
            db.commit()
            db.close()
            self.assertEqual(_readbacks.built_in("sqlite:file:t")({"file": path, "t": "rows"}),
                             [{"key": "k2", "value": 2}, {"key": "k1", "value": 1}])

    def test_a_missing_config_key_is_named(self):
        with self.assertRaisesRegex(_readbacks.ReadBackError, "string key 'dir'"):
            _readbacks.built_in("jsonl")({"path": "/tmp"})
        self.assertIsNone(_readbacks.built_in("mymodule:func"))


class Node:
    name = "n"
    router_branch_safe = True

    def __init__(self):
        self.bridges = []

    def build_partition(self, config, worker_index, worker_count, bridge, session_manager):
        if config.get("bad"):
            raise ValueError("config 'bad' is bad")
        self.bridges.append(bridge)
        node = self

        class Part:
            def write_batch(self, items):
                node.items = items

            def close(self):
                if config.get("leak"):
                    session_manager.lease()
                    bridge.submit(asyncio.sleep(1))

        return Part()


class RequestLoop(unittest.TestCase):
    def talk(self, node, requests, **kwargs):
        out = io.StringIO()
        serve(node, lambda c: [], stdin=io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), stdout=out,
              **kwargs)
        return [json.loads(line) for line in out.getvalue().splitlines()]

    def test_build_hands_the_bridge_unless_asked_not_to(self):
        node = Node()
        build = {"op": "build", "config": {}, "worker_index": 0, "worker_count": 1}
        r = self.talk(node, [dict(build, partition="a"), dict(build, partition="b", bridge=False)])
        self.assertEqual([x["ok"] for x in r], [True, True])
        self.assertIsInstance(node.bridges[0], AsyncBridge)
        self.assertIsNone(node.bridges[1])

    def test_build_errors_are_config_errors_for_loom_nodes(self):
        build = {"op": "build", "partition": "a", "config": {"bad": True}, "worker_index": 0, "worker_count": 1}
        r = self.talk(Node(), [build], build_errors_are_config=True)
        self.assertEqual(r[0]["error"], {"kind": "config", "message": "ValueError: config 'bad' is bad"})

    def test_close_reports_the_bridge_and_the_sessions(self):
        build = {"op": "build", "partition": "a", "config": {"leak": True}, "worker_index": 0, "worker_count": 1}
        r = self.talk(Node(), [build, {"op": "close", "partition": "a"}])
        self.assertEqual(r[1]["bridge_in_flight"], 1)
        self.assertEqual(r[1]["session_manager"], {"disposed": False, "leased": 1})

    def test_drop_target_calls_the_cleanup_and_hello_says_so(self):
        dropped = []
        hello, drop = self.talk(Node(), [{"op": "hello", "protocol": 1}, {"op": "drop_target", "config": {"t": 1}}],
                                cleanup=dropped.append)
        self.assertIs(hello["drops_targets"], True)
        self.assertEqual(drop, {"ok": True})
        self.assertEqual(dropped, [{"t": 1}])
        hello, drop = self.talk(Node(), [{"op": "hello", "protocol": 1}, {"op": "drop_target", "config": {}}])
        self.assertNotIn("drops_targets", hello)
        self.assertEqual(drop["error"]["kind"], "protocol")

    def test_payload_objects_reach_write_batch(self):
        node = Node()
        build = {"op": "build", "partition": "a", "config": {}, "worker_index": 0, "worker_count": 1}
        write = {"op": "write_batch", "partition": "a", "items": [{"key": "k", "value": 3}]}
        r = self.talk(node, [build, write], payload=PayloadType(Plain))
        self.assertTrue(r[1]["ok"], r)
        self.assertIsInstance(node.items[0], Plain)
        self.assertEqual(node.items[0].value, 3)

    def test_a_payload_class_asks_for_rows_and_gets_its_objects(self):
        node = Node()
        build = {"op": "build", "partition": "a", "config": {}, "worker_index": 0, "worker_count": 1}
        rows = {"op": "write_batch", "partition": "a", "columns": ["key", "value"], "items": [["k", 3], ["l", 4]]}
        short = dict(rows, items=[["k", 3], ["l"]])
        lacking = dict(rows, columns=["key", "other"])
        hello, built, wrote, bad, lacks = self.talk(node, [{"op": "hello", "protocol": 1}, build, rows, short, lacking],
                                                    payload=PayloadType(Plain))
        self.assertEqual(hello["item_encodings"], ["rows", "objects"])
        self.assertTrue(wrote["ok"], wrote)
        self.assertEqual([(type(i), i.key, i.value) for i in node.items], [(Plain, "k", 3), (Plain, "l", 4)])
        self.assertEqual(bad["error"]["kind"], "protocol")
        self.assertIn("item 1 of the batch is not a row of 2 values", bad["error"]["message"])
        self.assertEqual(lacks["error"]["kind"], "protocol")
        self.assertIn("lack value", lacks["error"]["message"])
        # Dicts come from json.loads as they are: no rows asked for.
        hello, = self.talk(Node(), [{"op": "hello", "protocol": 1}], fields={"value": "int"})
        self.assertNotIn("item_encodings", hello)


class StartUp(unittest.TestCase):
    def test_the_adapter_imports_no_asyncio_dataclasses_pickle_or_traceback_until_used(self):
        # The kit starts a sink process per worker per rule: these imports
        # were half of each start (122 ms -> 55 ms without them).
        code = ("import sys, sinkkit_adapter; "
                "print(sorted(m for m in ('asyncio', 'concurrent.futures', 'dataclasses', 'pickle', 'traceback') "
                "if m in sys.modules))")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=os.path.dirname(HERE)))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "[]")


_RAN = os.path.join(tempfile.gettempdir(), f"sinkkit-pickle-ran-{os.getpid()}")


class _Runs:
    """Unpickled, it would run a command: the adapter must never call it."""

    def __reduce__(self):
        return (os.system, ("touch " + _RAN,))


class PickleItems(unittest.TestCase):
    """The pickle encoding (docs/wire-protocol.md, "Item encodings"): a line,
    then the block of bytes it announces, on a byte stream."""

    BUILD = {"op": "build", "partition": "a", "config": {}, "worker_index": 0, "worker_count": 1}

    def talk(self, node, chunks, **kwargs):
        with tempfile.TemporaryFile() as f:
            for c in chunks:
                f.write(c if isinstance(c, bytes) else (json.dumps(c) + "\n").encode())
            f.seek(0)
            out = io.StringIO()
            serve(node, lambda c: [], stdin=f, stdout=out, **kwargs)
        return [json.loads(line) for line in out.getvalue().splitlines()]

    def write(self, block, **extra):
        return [(json.dumps(dict({"op": "write_batch", "partition": "a", "items_bytes": len(block)}, **extra))
                 + "\n").encode() + block]

    def test_a_dict_sink_on_a_byte_stream_asks_for_it_and_gets_the_dicts(self):
        node = Node()
        items = [{"key": "k", "value": 3, "ratio": 0.25, "ok": True}, {"key": "l", "value": -(1 << 40), "label": "x"}]
        hello, built, wrote, after = self.talk(node, [{"op": "hello", "protocol": 1}, self.BUILD,
                                                      *self.write(pickle.dumps(items, protocol=4)),
                                                      {"op": "write_batch", "partition": "a", "items": []}],
                                               fields={"value": "int"})
        self.assertEqual(hello["item_encodings"], ["pickle", "objects"])
        self.assertTrue(wrote["ok"], wrote)
        self.assertTrue(after["ok"], after)  # the next line is read after the block
        self.assertEqual(node.items, [])
        hello, built, wrote = self.talk(node, [{"op": "hello", "protocol": 1}, self.BUILD,
                                               *self.write(pickle.dumps(items, protocol=4))], fields={"value": "int"})
        self.assertEqual(node.items, items)
        # A payload class asks for rows (its objects are made from them), not pickle.
        hello, = self.talk(Node(), [{"op": "hello", "protocol": 1}], payload=PayloadType(Plain))
        self.assertEqual(hello["item_encodings"], ["rows", "objects"])

    def test_a_block_that_names_a_class_is_refused_not_run(self):
        ran = _RAN
        if os.path.exists(ran):
            os.remove(ran)
        node = Node()
        r = self.talk(node, [self.BUILD, *self.write(pickle.dumps([_Runs()], protocol=4)),
                             *self.write(pickle.dumps({"key": "k"}, protocol=4)),
                             *self.write(b"\x80\x04not a pickle"),
                             *self.write(pickle.dumps([{"key": "k"}], protocol=4) + b"xy"),
                             *self.write(pickle.dumps([{"key": "k"}], protocol=4))], fields={})
        self.assertFalse(os.path.exists(ran), "the pickle's function ran")
        self.assertEqual([x["ok"] for x in r], [True, False, False, False, False, True])
        self.assertEqual(r[1]["error"]["kind"], "protocol")
        self.assertIn("the items name posix.system; an items block holds no classes", r[1]["error"]["message"])
        self.assertIn("the items block holds a dict, not a list of items", r[2]["error"]["message"])
        self.assertIn("the items block is not a pickle of the items", r[3]["error"]["message"])
        self.assertIn("the items block has 2 bytes after the pickle's end", r[4]["error"]["message"])
        self.assertEqual(node.items, [{"key": "k"}])  # and the loop went on

    def test_a_block_that_cannot_be_read_ends_the_loop_with_its_error(self):
        block = pickle.dumps([{"key": "k"}], protocol=4)
        cut = self.write(block)[0][:-3]
        r = self.talk(Node(), [self.BUILD, cut], fields={})
        self.assertEqual(r[1]["error"]["kind"], "protocol")
        self.assertIn(f"the input ended within the {len(block)} bytes of items", r[1]["error"]["message"])
        r = self.talk(Node(), [self.BUILD, {"op": "write_batch", "partition": "a", "items_bytes": "12"},
                               {"op": "hello", "protocol": 1}], fields={})
        self.assertEqual(len(r), 2, "nothing is answered after a size that cannot be followed")
        self.assertIn("'items_bytes' must be a byte count, got '12'", r[1]["error"]["message"])
        # A size far beyond the input is read in pieces, not allocated at once.
        r = self.talk(Node(), [self.BUILD, {"op": "write_batch", "partition": "a", "items_bytes": 10 ** 18}, block],
                      fields={})
        self.assertIn(f"the input ended within the {10 ** 18} bytes", r[1]["error"]["message"])
        # A text input reads no blocks: it never asked for pickle.
        out = io.StringIO()
        serve(Node(), lambda c: [], stdin=io.StringIO(json.dumps(self.BUILD) + "\n" + json.dumps(
            {"op": "write_batch", "partition": "a", "items_bytes": 3}) + "\nabc\n"), stdout=out, fields={})
        r = [json.loads(line) for line in out.getvalue().splitlines()]
        self.assertEqual(len(r), 2)
        self.assertIn("items_bytes on a text input: this process reads no blocks", r[1]["error"]["message"])


class ForkServer(unittest.TestCase):
    """The fork server's own protocol (docs/wire-protocol.md), as the kit
    speaks it: one message with five descriptors per fork."""

    def setUp(self):
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        example = os.path.join(os.path.dirname(HERE), "examples", "jsonl_sink.py")
        self.server = subprocess.Popen([sys.executable, example], stdin=theirs, stdout=subprocess.DEVNULL,
                                       env=dict(os.environ, SINKKIT_FORK_SERVER="1"))
        theirs.close()
        self.addCleanup(self.server.wait)  # after the kill (cleanups run last first)
        self.addCleanup(self.server.kill)
        self.addCleanup(self.control.close)

    def fork(self, request):
        """Asks for a fork: (the answer, its stdin, stdout, status)."""
        reply, reply_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        (in_r, in_w), (out_r, out_w), (err_r, err_w), (st_r, st_w) = os.pipe(), os.pipe(), os.pipe(), os.pipe()
        socket.send_fds(self.control, [json.dumps(request).encode()],
                        [reply_theirs.fileno(), in_r, out_w, err_w, st_w])
        for fd in (in_r, out_w, err_w, st_w, err_r):
            os.close(fd)
        reply_theirs.close()
        reply.settimeout(10)
        answer = json.loads(reply.recv(4096))
        reply.close()
        return answer, os.fdopen(in_w, "w"), os.fdopen(out_r), st_r

    def test_a_fork_speaks_the_wire_protocol_and_its_status_comes_back(self):
        answer, stdin, stdout, status = self.fork({"env": {"SINKKIT_TEST": "x"}, "pgid": 0})
        self.assertTrue(answer["ok"], answer)
        stdin.write(json.dumps({"op": "hello", "protocol": 1}) + "\n")
        stdin.flush()
        hello = json.loads(stdout.readline())
        self.assertEqual(hello["sink"]["name"], "python-jsonl")
        self.assertTrue(hello["fork_server"])
        stdin.close()  # end of input: it exits 0
        self.assertEqual(int(os.read(status, 32)), 0)
        self.assertEqual(os.read(status, 32), b"")  # then closed
        stdout.close()
        os.close(status)
        answer, stdin, stdout, status = self.fork({"env": {}})
        os.kill(answer["pid"], signal.SIGKILL)
        self.assertEqual(int(os.read(status, 32)), signal.SIGKILL)  # a wait status: the signal in the low bits
        for f in (stdin, stdout):
            f.close()
        os.close(status)

    def test_a_bad_request_is_refused_and_the_server_goes_on(self):
        answer, stdin, stdout, status = self.fork({"env": {"A": 1}})
        self.assertEqual(answer, {"ok": False, "message": "ValueError: env must map names to strings"})
        self.assertEqual(os.read(status, 32), b"")
        for f in (stdin, stdout):
            f.close()
        os.close(status)
        answer, stdin, stdout, status = self.fork({"env": {}})
        self.assertTrue(answer["ok"], answer)
        stdin.close()
        stdout.close()
        os.close(status)

    def test_end_of_input_kills_the_forks_and_ends_the_server(self):
        answer, stdin, stdout, status = self.fork({"env": {}})
        self.control.close()
        self.assertEqual(self.server.wait(timeout=10), 0)
        self.assertEqual(int(os.read(status, 32)), signal.SIGKILL)  # killed and reaped before it exited
        with self.assertRaises(ProcessLookupError):
            os.kill(answer["pid"], 0)
        for f in (stdin, stdout):
            f.close()
        os.close(status)


class ExampleSinks(unittest.TestCase):
    def test_sqlite_partitions_of_four_workers_open_one_new_file_at_once(self):
        # Switching a new file to WAL from four connections at once failed
        # "database is locked" in about one try of eight (and in `sinkkit
        # bench`, whose workers build together); the example now waits.
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "examples"))
        import sqlite_sink  # noqa: PLC0415

        errors = []

        def open_it(path, barrier):
            barrier.wait()
            try:
                sqlite_sink.connect(path, "t").close()
            except sqlite3.Error as e:
                errors.append(repr(e))

        with tempfile.TemporaryDirectory() as tmp:
            for trial in range(50):
                path = os.path.join(tmp, f"{trial}.sqlite")
                barrier = threading.Barrier(4)
                threads = [threading.Thread(target=open_it, args=(path, barrier)) for _ in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
        self.assertEqual(errors, [])


class BytewaxShapes(unittest.TestCase):
    def test_dict_items_carry_the_key_and_the_declared_fields(self):
        shape = _bytewax.item_shape("dict:key=str,value=int,label=str")
        self.assertEqual(shape.wire_fields(), {"value": "int", "label": "string"})
        item = {"key": "0.0.0.1", "value": 7, "label": "v:0.0.0.1", "sinkkit_subtype": {"level": 2}}
        made = shape.make(item)
        self.assertEqual(made, item)  # a dict holds a subtype's extra fields too
        self.assertEqual(shape.to_item(made), item)
        renamed = _bytewax.item_shape("dict:id=str,value=int", key_field="id")
        self.assertEqual(renamed.make({"key": "k", "value": 1}), {"id": "k", "value": 1})
        self.assertEqual(renamed.to_item({"id": "k", "value": 1}), {"key": "k", "value": 1})

    def test_tuple_and_str_items_round_trip(self):
        pair = _bytewax.item_shape("tuple:key,value")
        self.assertEqual(pair.wire_fields(), {"value": "string"})
        self.assertEqual(pair.make({"key": "k", "value": "v:k"}), ("k", "v:k"))
        for stored in (("k", "v:k"), ["k", "v:k"]):
            self.assertEqual(pair.to_item(stored), {"key": "k", "value": "v:k"})
        self.assertIn("not a (key, value) pair", pair.to_item("k v")["key"])
        line = _bytewax.item_shape("str")
        self.assertEqual(line.make({"key": "0.1.2.3", "value": "v:0.1.2.3"}), "0.1.2.3 v:0.1.2.3")
        for stored in ("0.1.2.3 v:0.1.2.3\n", b"0.1.2.3 v:0.1.2.3"):
            self.assertEqual(line.to_item(stored), {"key": "0.1.2.3", "value": "v:0.1.2.3"})

    def test_a_shape_it_cannot_use_is_named(self):
        for spec, says in (("dict:value=int", "needs a str field 'key'"), ("dict:key=str,value=list", "NAME=TYPE"),
                           ("dict:key=str,key=int", "named twice"), ("tuple:key", "name the two parts"),
                           ("bytes", "expected dict:")):
            with self.assertRaises(_bytewax.ItemShapeError) as e:
                _bytewax.item_shape(spec)
            self.assertIn(says, str(e.exception), spec)

    def test_a_dynamic_sink_is_built_per_target_from_the_config(self):
        built = []

        class Sink:
            def __init__(self, path):
                self.path = path

            def build(self, step_id, worker_index, worker_count):
                built.append((self.path, step_id, worker_index, worker_count))
                return "partition"

        class OldSink:
            def build(self, worker_index, worker_count):
                built.append(("old", worker_index, worker_count))
                return "partition"

        node = _bytewax.BytewaxNode(Sink, _bytewax.item_shape("str"))
        self.assertEqual(node.name, "Sink")
        self.assertEqual(node.build_partition({"path": "/t1"}, 1, 3), "partition")
        with self.assertRaises(TypeError):  # a key the constructor does not take: a config error
            node.build_partition({"nope": 1}, 0, 1)
        _bytewax.BytewaxNode(OldSink(), _bytewax.item_shape("str"), name="old").build_partition({"ignored": 1}, 0, 2)
        self.assertEqual(built, [("/t1", "sinkkit_output", 1, 3), ("old", 0, 2)])

    def test_a_fixed_partitioned_sink_answers_the_stateful_ops(self):
        class Part:
            def __init__(self, name, state):
                self.name, self.values = name, list(state or [])

            def write_batch(self, values):
                self.values += values

            def snapshot(self):
                return list(self.values)

            def close(self):
                pass

        class Sink:
            def __init__(self, n):
                self.n = n

            def list_parts(self):
                return [f"p{i}" for i in reversed(range(self.n))]  # sorted by the adapter

            def part_fn(self, key):
                return int(key.split(".")[-1])

            def build_part(self, step_id, for_part, resume_state):
                if resume_state is not None and resume_state and resume_state[0] == "foreign":
                    raise ValueError("not my snapshot")
                return Part(for_part, resume_state)

        node = _bytewax.BytewaxNode(Sink, _bytewax.item_shape("str"))
        self.assertTrue(node.stateful)
        out = io.StringIO()
        config = {"n": 3}
        requests = [
            {"op": "list_parts", "config": config},
            {"op": "route", "config": config, "keys": ["0.0.0.4", "0.0.0.2"]},
            {"op": "build_part", "partition": "a", "config": config, "part": "p1", "resume_state": None,
             "worker_index": 0, "worker_count": 1},
            {"op": "write_batch", "partition": "a", "items": [{"key": "0.0.0.4", "value": "v"}]},
            {"op": "snapshot", "partition": "a"},
        ]
        serve(node, lambda c: [], payload=node.shape, extra_ops=node.stateful_ops(), hello_extra={"stateful": True},
              stdin=io.StringIO("".join(json.dumps(r) + "\n" for r in requests)), stdout=out)
        r = [json.loads(line) for line in out.getvalue().splitlines()]
        self.assertEqual(r[0]["parts"], ["p0", "p1", "p2"])
        self.assertEqual(r[1]["parts"], ["p1", "p2"])  # part_fn modulo the sorted parts
        self.assertEqual(r[2], {"ok": True})
        self.assertTrue(r[3]["ok"], r[3])
        state = r[4]["state"]
        # The snapshot comes back, pickled, to resume from.
        again = [{"op": "build_part", "partition": "b", "config": config, "part": "p1", "resume_state": state,
                  "worker_index": 0, "worker_count": 2}, {"op": "snapshot", "partition": "b"}]
        out = io.StringIO()
        serve(node, lambda c: [], payload=node.shape, extra_ops=node.stateful_ops(),
              stdin=io.StringIO("".join(json.dumps(x) + "\n" for x in again)), stdout=out)
        r = [json.loads(line) for line in out.getvalue().splitlines()]
        self.assertEqual(r[0], {"ok": True})
        self.assertEqual(_bytewax._unpickle(r[1]["state"]), ["0.0.0.4 v"])

    def test_a_factory_is_asked_what_it_makes_on_a_throwaway_folder(self):
        class Stateful:
            def __init__(self, directory):
                if not os.path.isdir(directory):  # "{target}" itself would be refused
                    raise ValueError(f"directory: {directory!r}")

            def list_parts(self):
                return ["p"]

            def build_part(self, step_id, for_part, resume_state):
                pass

        def factory(directory):
            return Stateful(directory)

        node = _bytewax.BytewaxNode(factory, _bytewax.item_shape("str"))
        self.assertFalse(node.stateful)  # a function: not known until asked
        node.learn_shape({"directory": "{target}"})
        self.assertTrue(node.stateful)
        refused = _bytewax.BytewaxNode(factory, _bytewax.item_shape("str"))
        err = io.StringIO()
        with unittest.mock.patch("sys.stderr", err):
            refused.learn_shape({"path": "{target}"})  # a key the factory does not take
        self.assertFalse(refused.stateful)
        self.assertIn("give --stateful", err.getvalue())
        refused.learn_shape({"path": "{target}"}, forced=True)
        self.assertTrue(refused.stateful)

    def test_the_stand_in_routes_as_bytewax_does(self):
        import zlib  # noqa: PLC0415
        _bytewax.install_stand_in()
        from bytewax.outputs import FixedPartitionedSink  # noqa: PLC0415 - the stand-in, or Bytewax itself
        self.assertEqual(FixedPartitionedSink().part_fn("0.0.1.7"), zlib.adler32(b"0.0.1.7"))

    def test_a_snapshot_pickle_cannot_take_is_named(self):
        with self.assertRaises(ValueError) as e:
            _bytewax._pickle(lambda: 0, "p0")
        self.assertIn("does not survive a round trip through pickle", str(e.exception))
        self.assertIn("'p0'", str(e.exception))


class CommandLine(unittest.TestCase):
    def adapter(self, *args, cwd=None):
        env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE))
        return subprocess.run([sys.executable, "-m", "sinkkit_adapter", *args], capture_output=True, text=True,
                              env=env, cwd=cwd, input='{"op": "hello", "protocol": 1}\n', timeout=60)

    def test_hello_declares_the_payload_fields_and_capabilities(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "orders.py"), "w") as f:
                f.write("import dataclasses\n"
                        "@dataclasses.dataclass\nclass Order:\n    key: str\n    amount: int\n"
                        "class Sink:\n    name = 'orders'\n    payload = Order\n"
                        "    sinkkit_capabilities = {'requires_bridge': True}\n"
                        "    def build_partition(self, config, w, n, bridge, session_manager): pass\n")
            r = self.adapter("orders:Sink", "--read-back", "jsonl", cwd=d)  # a class: the factory
            self.assertEqual(r.returncode, 0, r.stderr)
            hello = json.loads(r.stdout.splitlines()[0])
            self.assertEqual(hello["sink"]["payload"], {"fields": {"amount": "int"}})
            self.assertEqual(hello["sink"]["capabilities"], {"requires_bridge": True})
            self.assertFalse(hello["sink"]["router_branch_safe"])

    def test_what_is_missing_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "m.py"), "w") as f:
                f.write("class N:\n    name = 'n'\n    def build_partition(self, *a): pass\nn = N()\n")
            for args, says in ((["m"], "expected MODULE:NAME"), (["m:nope"], "has no 'nope'"),
                               (["m:n", "--read-back", "jsonl"], "has no payload class"),
                               (["m:n", "--capabilities", "[1]"], "--capabilities: must be a JSON object")):
                r = self.adapter(*args, cwd=d)
                self.assertEqual(r.returncode, 2, (args, r.stderr))
                self.assertIn(says, r.stderr, args)

    def test_a_bytewax_module_runs_unchanged_without_bytewax(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "bw.py"), "w") as f:
                f.write("from bytewax.outputs import DynamicSink, StatelessSinkPartition\n"
                        "class Sink(DynamicSink):\n"
                        "    def __init__(self, directory): self.directory = directory\n"
                        "    def build(self, step_id, worker_index, worker_count): return StatelessSinkPartition()\n"
                        "def read_back(config): return []\n")
            r = self.adapter("--bytewax", "bw:Sink", "--item", "tuple:key,value", "--read-back", "bw:read_back",
                             cwd=d)
            self.assertEqual(r.returncode, 0, r.stderr)
            hello = json.loads(r.stdout.splitlines()[0])
            self.assertEqual(hello["sink"]["name"], "Sink")
            self.assertEqual(hello["sink"]["payload"], {"fields": {"value": "string"}})
            for args, says in ((["--bytewax", "bw:Sink"], "--bytewax needs --item"),
                               (["bw:Sink", "--bytewax", "bw:Sink", "--item", "str"], "one of them"),
                               (["--bytewax", "bw:Sink", "--item", "str", "--read-back", "jsonl"],
                                "the built-in read-backs return dicts"),
                               (["--bytewax", "bw:Sink", "--item", "dict:value=int", "--read-back", "jsonl"],
                                "needs a str field 'key'")):
                r = self.adapter(*args, cwd=d)
                self.assertEqual(r.returncode, 2, (args, r.stderr))
                self.assertIn(says, r.stderr, args)


if __name__ == "__main__":
    unittest.main()
