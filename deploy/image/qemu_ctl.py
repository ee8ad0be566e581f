#!/usr/bin/env python3
"""Talks to a QEMU guest for deploy/image/boot-test.sh (standard library only).

    qemu_ctl.py qmp SOCK COMMAND [JSON-ARGS]      QEMU monitor (QMP): prints the "return" as JSON
    qemu_ctl.py ping SOCK TIMEOUT                 wait until the guest agent answers
    qemu_ctl.py exec SOCK TIMEOUT SHELL-COMMAND   run /bin/sh -c in the guest (guest agent),
                                                  print its output, exit with its status
    qemu_ctl.py compare SHOT REF [DIFF.png]       percent of pixels that differ (PNG/PPM);
                                                  exit 0 always, the caller judges
    qemu_ctl.py zbar PNG                          (see boot-test.sh; decoding is zbarimg's)

Every socket operation has a timeout; nothing here waits without bound.
"""
import base64
import json
import random
import socket
import sys
import time


def fail(msg, code=1):
    print(f"qemu_ctl: {msg}", file=sys.stderr)
    sys.exit(code)


class Conn:
    def __init__(self, path, timeout):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, obj):
        self.s.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        # The guest agent may send 0xff (sync delimiter) before a reply.
        line = line.lstrip(b"\xff").strip()
        return json.loads(line) if line else self.recv()

    def close(self):
        self.s.close()


def qmp(path, command, args=None, timeout=30):
    c = Conn(path, timeout)
    try:
        c.recv()  # greeting
        c.send({"execute": "qmp_capabilities"})
        c.recv()
        msg = {"execute": command}
        if args:
            msg["arguments"] = args
        c.send(msg)
        while True:
            r = c.recv()
            if "return" in r:
                return r["return"]
            if "error" in r:
                fail(f"QMP {command}: {r['error'].get('desc', r['error'])}")
    finally:
        c.close()


def qga(path, command, args=None, timeout=10):
    """One guest-agent command on a fresh connection, after guest-sync."""
    c = Conn(path, timeout)
    try:
        token = random.randint(1, 2**31)
        c.send({"execute": "guest-sync", "arguments": {"id": token}})
        while c.recv().get("return") != token:
            pass
        msg = {"execute": command}
        if args is not None:
            msg["arguments"] = args
        c.send(msg)
        r = c.recv()
        if "error" in r:
            raise RuntimeError(f"guest agent {command}: {r['error'].get('desc', r['error'])}")
        return r.get("return")
    finally:
        c.close()


def ping(path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            qga(path, "guest-ping", timeout=3)
            return
        except (OSError, ConnectionError, RuntimeError, ValueError):
            time.sleep(1)
    fail(f"the guest agent did not answer within {timeout} s", 2)


def guest_exec(path, timeout, command):
    pid = qga(path, "guest-exec", {"path": "/bin/sh", "arg": ["-c", command], "capture-output": True})["pid"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = qga(path, "guest-exec-status", {"pid": pid})
        if st.get("exited"):
            sys.stdout.write(base64.b64decode(st.get("out-data", "")).decode(errors="replace"))
            sys.stderr.write(base64.b64decode(st.get("err-data", "")).decode(errors="replace"))
            return st.get("exitcode", 1)
        time.sleep(0.2)
    fail(f"`{command}` did not finish in the guest within {timeout} s", 124)


def compare(shot, ref, diff_path=None):
    from PIL import Image, ImageChops

    a = Image.open(shot).convert("RGB")
    b = Image.open(ref).convert("RGB")
    if a.size != b.size:
        print(f"100.0 (sizes differ: {a.size} vs {b.size})")
        return
    d = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 24 else 0)
    hist = d.histogram()
    changed = hist[255]
    total = a.size[0] * a.size[1]
    if diff_path:
        d.save(diff_path)
    print(f"{100.0 * changed / total:.3f}")


def main():
    if len(sys.argv) < 3:
        fail(__doc__.strip(), 2)
    op, path = sys.argv[1], sys.argv[2]
    if op == "qmp":
        args = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
        print(json.dumps(qmp(path, sys.argv[3], args)))
    elif op == "ping":
        ping(path, float(sys.argv[3]))
    elif op == "exec":
        try:
            sys.exit(guest_exec(path, float(sys.argv[3]), sys.argv[4]))
        except (OSError, ConnectionError, RuntimeError) as e:
            fail(f"guest agent: {e}", 125)
    elif op == "compare":
        compare(path, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        fail(f"unknown operation {op}", 2)


if __name__ == "__main__":
    main()
