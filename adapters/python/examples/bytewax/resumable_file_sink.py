"""A Bytewax `FixedPartitionedSink` of the project's own, written as Bytewax's
`DirSink` works (not copied from it): a file per part, appended to; the
snapshot is the part's byte offset; a resume truncates the file to the
offset of the last completed epoch, so the epochs replayed after it are
written once. No sinkkit import:

    sinkkit run -- python3 -m sinkkit_adapter --bytewax resumable_file_sink:ResumableFileSink \\
        --item 'dict:key=str,value=int,label=str' --read-back resumable_file_sink:read_back \\
        --config-template '{"directory": "{target}", "parts": 8}'

The snapshot names its part, and a resume checks it: a snapshot of another
part, or one past the end of the file (a file replaced since), is refused,
not silently written over. Offsets count bytes the file holds: the snapshot
is taken after write_batch's bytes reached the file (flushed, not fsynced:
it survives a killed process, not a power cut).

Its twins, each with one bug the stateful rules catch:

    ResumableFileSink(..., twin="snapshot-ahead")  buffers each batch until the
        next write and snapshots the offset with the buffer counted: a crash
        after the snapshot loses the buffered items (SK-7.1)
    ResumableFileSink(..., twin="no-truncate")     resumes at the end of the
        file: the epochs replayed after the snapshot are written twice (SK-7.2)
    ResumableFileSink(..., twin="file-per-worker") writes every part a process
        holds to one file, named after the first: a resume on another worker
        count finds each part's offset in another file (SK-7.3)
    ResumableFileSink(..., twin="trusts-any-snapshot") resumes from whatever
        snapshot it is handed, another part's too (SK-7.4)
"""

import json
import os

from bytewax.outputs import FixedPartitionedSink, StatefulSinkPartition

TWINS = ("snapshot-ahead", "no-truncate", "file-per-worker", "trusts-any-snapshot")
_first_file = {}  # file-per-worker twin: directory -> the file this process writes every part to


class _FilePart(StatefulSinkPartition):
    def __init__(self, path, part, resume_state, twin):
        self._part, self._twin = part, twin
        flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC
        if twin == "file-per-worker":
            # The bug: the part's data goes where this process's first part's went.
            path = _first_file.setdefault(os.path.dirname(path), path)
            flags |= os.O_APPEND  # the parts of the process share it
        self._fd = os.open(path, flags, 0o644)
        size = os.fstat(self._fd).st_size
        if resume_state is None:
            offset = 0  # a first run starts the part afresh
        elif twin == "trusts-any-snapshot":
            offset = resume_state["offset"]  # the bug: whose snapshot it is, and whether it fits, unchecked
        else:
            if not isinstance(resume_state, dict) or resume_state.get("part") != part:
                os.close(self._fd)
                raise ValueError(f"part {part!r} was handed the snapshot {resume_state!r}, not one of its own")
            offset = resume_state["offset"]
            if offset > size:
                os.close(self._fd)
                raise ValueError(f"part {part!r}: the snapshot's offset {offset} is past the end of its file "
                                 f"({size} bytes): the file was replaced since")
        if twin == "no-truncate":
            offset = size  # the bug: the bytes written after the snapshot stay
        os.ftruncate(self._fd, offset)
        os.lseek(self._fd, offset, os.SEEK_SET)
        self._offset = offset
        self._pending = b""

    def _write(self, data):
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError:
            os.ftruncate(self._fd, self._offset)  # no half batch left behind
            os.lseek(self._fd, self._offset, os.SEEK_SET)
            raise
        self._offset += len(data)

    def write_batch(self, values):
        data = "".join(json.dumps(v, separators=(",", ":")) + "\n" for v in values).encode()
        if self._twin == "snapshot-ahead":
            # The bug: this batch waits for the next write, the snapshot counts it already.
            self._write(self._pending)
            self._pending = data
            return
        self._write(data)

    def snapshot(self):
        if self._twin == "file-per-worker":
            self._offset = os.fstat(self._fd).st_size  # the shared file's end
        return {"part": self._part, "offset": self._offset + len(self._pending)}

    def close(self):
        if self._fd is not None:
            if self._pending:
                self._write(self._pending)
                self._pending = b""
            os.close(self._fd)
            self._fd = None


class ResumableFileSink(FixedPartitionedSink):
    """Writes part P of `parts` to DIRECTORY/P.jsonl."""

    def __init__(self, directory, parts=4, twin=None):
        if not isinstance(directory, str) or not os.path.isdir(directory):
            raise ValueError(f"directory: {directory!r} is not a directory")
        if not isinstance(parts, int) or isinstance(parts, bool) or parts < 1:
            raise ValueError(f"parts: must be an integer >= 1, got {parts!r}")
        if twin is not None and twin not in TWINS:
            raise ValueError(f"twin: one of {TWINS}, got {twin!r}")
        self.directory, self.parts, self.twin = directory, parts, twin

    def list_parts(self):
        return [f"part-{i:03d}" for i in range(self.parts)]

    def part_fn(self, item_key):
        import zlib  # noqa: PLC0415
        return zlib.adler32(item_key.encode())

    def build_part(self, step_id, for_part, resume_state):
        return _FilePart(os.path.join(self.directory, for_part + ".jsonl"), for_part, resume_state, self.twin)


def read_back(config):
    """Every item the part files hold, part by part; a torn last line (a
    killed write) was never acknowledged."""
    directory = config["directory"]
    items = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".jsonl"):
            with open(os.path.join(directory, name), "rb") as f:
                lines = f.read().split(b"\n")
            for line in lines[:-1]:
                try:
                    items.append(json.loads(line))
                except ValueError:
                    items.append({"key": f"<not JSON in {name}: {line[:40]!r}>"})
    return items
