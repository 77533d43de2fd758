"""The runtime resources a loom sink borrows: an async bridge and a session
manager, owned by the adapter (one of each per sink process), as loom's
adapter owns them. The adapter reports their state after every close, so the
kit can check that no bridge work outlives close (SK-6.1) and that the sink
neither disposes the manager nor keeps its sessions (SK-6.2).
"""

import threading

# asyncio is imported on first use, not with the adapter: it is half of a sink
# process's start-up (60 ms of 120), and the kit starts a process per worker
# for every case, while most sinks never touch the bridge.


def _asyncio():
    import asyncio  # noqa: PLC0415 - deliberately lazy, see above

    return asyncio


def _futures():
    import concurrent.futures  # noqa: PLC0415 - deliberately lazy, see above

    return concurrent.futures


class BridgeShutDown(RuntimeError):
    """run() or submit() after shutdown()."""


class AsyncBridge:
    """Runs coroutines on an asyncio loop in a thread of its own, shaped like
    loom's AsyncBridge: `run(coro, timeout=None)` waits for the result;
    `shutdown(timeout)` drains what is queued, then stops the loop; after it,
    `run` raises BridgeShutDown."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop = None
        self._thread = None
        self._closed = False
        self._pending = set()

    def _ensure_loop(self):
        with self._lock:
            if self._closed:
                raise BridgeShutDown("the async bridge is shut down: run() after shutdown()")
            if self._loop is None:
                self._loop = _asyncio().new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="sinkkit-bridge", daemon=True)
                self._thread.start()
            return self._loop

    def submit(self, coro):
        """Schedules `coro`; returns a concurrent.futures.Future."""
        try:
            loop = self._ensure_loop()
        except BridgeShutDown:
            coro.close()
            raise
        future = _asyncio().run_coroutine_threadsafe(coro, loop)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def run(self, coro, timeout=None):
        """Runs `coro` on the bridge's loop and returns its result (raises
        what it raised; TimeoutError after `timeout` seconds, cancelling it)."""
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except _futures().TimeoutError:
            future.cancel()
            raise TimeoutError(f"bridge work did not finish within {timeout} s") from None

    def _done(self, future):
        with self._lock:
            self._pending.discard(future)

    def in_flight(self):
        """Tasks on the loop not finished: what was submitted, and what it
        started on its own (asyncio.create_task)."""
        with self._lock:
            loop = None if self._closed else self._loop
            submitted = sum(1 for f in self._pending if not f.done())
        if loop is None:
            return submitted
        try:
            return _asyncio().run_coroutine_threadsafe(_count_others(), loop).result(5)
        except Exception:  # a loop too busy to answer: what is known
            return submitted

    def shutdown(self, timeout=5.0):
        """Waits up to `timeout` s for queued work, then stops the loop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._pending)
            loop, thread = self._loop, self._thread
        if pending:
            _futures().wait(pending, timeout=timeout)
        if loop is not None:
            # What is left is cancelled and given the loop's turn to unwind.
            try:
                _asyncio().run_coroutine_threadsafe(_cancel_the_rest(), loop).result(timeout)
            except Exception:  # noqa: S110 - shutting down: nothing more to do with it
                pass
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)


async def _count_others():
    asyncio = _asyncio()
    return sum(1 for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done())


async def _cancel_the_rest():
    asyncio = _asyncio()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Session:
    """One session leased from the manager (an opaque handle)."""

    def __init__(self, manager, number):
        self.manager = manager
        self.number = number


class SessionManager:
    """An adapter-owned resource (as a DB pool is): sinks lease sessions and
    give them back; disposing it is the adapter's job, never a sink's."""

    def __init__(self):
        self._lock = threading.Lock()
        self._leased = set()
        self._next = 0
        self.disposed_by_sink = False

    def lease(self):
        # Still served after a sink disposed it: the process lives on for the
        # rule's later cases, which must not fail for an earlier one's fault.
        with self._lock:
            self._next += 1
            session = Session(self, self._next)
            self._leased.add(session.number)
            return session

    def release(self, session):
        with self._lock:
            self._leased.discard(session.number)

    def leased(self):
        with self._lock:
            return len(self._leased)

    def dispose(self):
        """A sink calling this breaks SK-6.2: the adapter owns the manager."""
        with self._lock:
            self.disposed_by_sink = True

    def take_disposed(self):
        """Whether a sink disposed it since the last call (reported once)."""
        with self._lock:
            was, self.disposed_by_sink = self.disposed_by_sink, False
            return was
