#!/usr/bin/env python3
"""Starts this folder's test servers by forking one Python process that has already loaded them.

Usage: ``zygote.py SOCKET SCRIPT...``. It imports each SCRIPT (a file of this folder with a ``main()``), listens on
the Unix socket SOCKET, prints ``ready`` on stdout, and serves until its stdin closes (the test process that
started it ended). Each connection sends one JSON line, ``{"script": NAME, "args": [...], "stderr": PATH}``; a
forked child then runs that script's ``main()`` with those arguments, the connection as its stdin and stdout and
PATH (appended to) as its stderr, exactly as if it had been started on its own.

Why: a new interpreter loading the Gitea stand-in costs about a fifth of a CPU second (the interpreter, its site
packages, the standard library modules the script imports), and the suite starts some two hundred; a fork of a
loaded one costs a few milliseconds.
"""

import importlib.util
import json
import os
import select
import signal
import socket
import sys


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return name, module


def read_request(connection):
    data = b""
    while b"\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    return json.loads(data.split(b"\n", 1)[0])


def run_child(listener, connection, request, scripts):
    """In the forked child: become the script, then exit without running the parent's clean-ups."""
    status = 0
    try:
        listener.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        descriptor = connection.fileno()
        os.dup2(descriptor, 0)
        os.dup2(descriptor, 1)
        log = os.open(request["stderr"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(log, 2)
        os.close(log)
        connection.close()
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        module = scripts[request["script"]]
        sys.argv = [module.__file__] + list(request["args"])
        module.main()
    except SystemExit as exit:
        status = exit.code if isinstance(exit.code, int) else 1
    except BaseException as error:  # noqa: BLE001 - reported like an uncaught exception, then the child ends
        import traceback
        traceback.print_exception(error)
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(status)


def main():
    path = sys.argv[1]
    scripts = dict(load(script) for script in sys.argv[2:])
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    # Children are reaped by the kernel; each resets this before it runs its script (which waits for git).
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print("ready", flush=True)
    try:
        while True:
            readable, _, _ = select.select([listener, sys.stdin], [], [])
            if sys.stdin in readable and not os.read(sys.stdin.fileno(), 4096):
                break
            if listener not in readable:
                continue
            connection, _ = listener.accept()
            request = read_request(connection)
            if request is None or request.get("script") not in scripts:
                connection.close()
                continue
            if os.fork() == 0:
                run_child(listener, connection, request, scripts)
            connection.close()
    finally:
        listener.close()
        try:
            os.unlink(path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
