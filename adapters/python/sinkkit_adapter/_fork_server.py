"""The fork server (docs/wire-protocol.md, "Fork server"): a sink process
that has imported everything once and forks a fresh sink process for each
request, so that the kit's many sink processes cost a fork, not a Python start
and its imports (most of a Python sink's time under the kit).

The kit starts the sink's command with SINKKIT_FORK_SERVER=1 and stdin a Unix
SOCK_SEQPACKET socket. Each request is one message, JSON
{"env": {NAME: VALUE}, "pgid": N} with five descriptors: the reply socket, the
new process's stdin, stdout and stderr, and its status pipe. The reply is
{"ok": true, "pid": P} (or {"ok": false, "message": M}); when P ends, its wait
status goes to the status pipe as decimal text and the pipe is closed. End
of input: the live children are killed (their status sent) and the server
exits.
"""

import json
import os
import signal
import socket
import sys
import threading

ENV = "SINKKIT_FORK_SERVER"


def serve_forks():
    """Serves fork requests until end of input. Returns only in a forked
    child, whose stdin, stdout and stderr are then the kit's pipes."""
    control = socket.socket(fileno=os.dup(0))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the socket is read through `control` only
    os.close(null)
    # Forking a process with threads copies locks some thread held: refuse,
    # and the kit starts each sink process afresh instead.
    refuse = None
    if threading.active_count() > 1:
        refuse = f"the sink module started {threading.active_count() - 1} thread(s) at import: no forks"
    children = {}  # pid -> status pipe

    def reap(*_):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            fd = children.pop(pid, None)
            if fd is not None:
                try:
                    os.write(fd, str(status).encode())
                except OSError:
                    pass  # the kit's process is gone
                os.close(fd)

    signal.signal(signal.SIGCHLD, reap)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 65536, 8)
        except InterruptedError:
            continue
        if not message and not fds:
            break  # the kit is done
        if len(fds) != 5:
            for fd in fds:
                os.close(fd)
            continue  # nobody to answer
        reply, child_in, child_out, child_err, status = fds
        answer = {"ok": False, "message": refuse}
        if refuse is None:
            try:
                request = json.loads(message)
                pid = _fork(request, control, reply, status, child_in, child_out, child_err, children)
                if pid == 0:
                    return
                answer = {"ok": True, "pid": pid}
            except Exception as e:  # a bad request, or fork failed: the kit starts one afresh
                answer = {"ok": False, "message": f"{type(e).__name__}: {e}"}
                os.close(status)
        else:
            os.close(status)
        for fd in (child_in, child_out, child_err):
            os.close(fd)
        try:
            os.write(reply, json.dumps(answer).encode())
        except OSError:
            pass  # the asking process is gone; its child sees its pipes close
        os.close(reply)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for pid, fd in children.items():
        try:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            os.write(fd, str(status).encode())
        except OSError:
            pass
        os.close(fd)
    os._exit(0)


def _fork(request, control, reply, status, child_in, child_out, child_err, children):
    env = request.get("env", {})
    pgid = request.get("pgid")
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise ValueError("env must map names to strings")
    # Set before the fork: the kit's fault interposer, preloaded here, reads
    # its control file's name in the child as it forks.
    saved = {name: os.environ.get(name) for name in env}
    sys.stdout.flush()  # nothing of the server's own for the child's pipes
    sys.stderr.flush()
    os.environ.update(env)
    # No SIGCHLD between the fork and the child's entry in `children`.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        pid = os.fork()
    except BaseException:
        _restore(saved)
        raise
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        control.close()
        os.close(reply)
        os.close(status)
        for fd, target in ((child_in, 0), (child_out, 1), (child_err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.pop(ENV, None)
        if isinstance(pgid, int) and pgid > 0:
            try:  # the asking process's group: killed with it
                os.setpgid(0, pgid)
            except OSError:
                pass
        return 0
    children[pid] = status
    _restore(saved)
    return pid


def _restore(saved):
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
