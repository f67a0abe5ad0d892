"""Hostile HTTP clients for tests/node/http_hostile_test.sh.

Usage: http_hostile.py HOST:PORT ORIGIN
       http_hostile.py HOST:PORT ORIGIN --per-client N

Against a node configured with maxConnections 200, timeoutSeconds 3 and
maxBodyBytes 65536, prints one line per finding and exits 1 at the first one
that is not what the node promises (docs/http-api.md).
"""

import selectors
import socket
import sys
import time

PER_CLIENT = int(sys.argv[4]) if len(sys.argv) == 5 and sys.argv[3] == "--per-client" else 0
HOST, PORT = sys.argv[1].rsplit(":", 1)
PORT = int(PORT)
ORIGIN = sys.argv[2]
CAP = 200
IDLE = 1000
TIMEOUT = 3


def fail(what):
    print("FAILED: " + what)
    sys.exit(1)


def connect():
    s = socket.create_connection((HOST, PORT), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    return s


def status_of(data):
    """The status code of an HTTP response, or None."""
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return int(data[9:12])


def read_reply(s, limit=1 << 16):
    """What the node sends until it closes or 10 s pass; b"" if it only closed."""
    data = b""
    s.settimeout(10)
    try:
        while len(data) < limit:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and b"Connection: close" not in data and b"connection: close" not in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    break
    except (ConnectionResetError, socket.timeout):
        pass
    return data


def get(path):
    s = connect()
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    code = status_of(read_reply(s))
    s.close()
    return code


def idle_connections(cap=CAP, idle=IDLE, code=b"too-many-connections"):
    held, refused = [], 0
    conns = [connect() for _ in range(idle)]
    # The node answers a connection over the cap at once with 503 and closes
    # it; the others it holds, waiting for a request.
    readable = set()
    with selectors.DefaultSelector() as sel:
        for s in conns:
            sel.register(s, selectors.EVENT_READ)
        # Under load (the sanitizer build beside other tests) answering 800
        # connections can take seconds; the loop ends as soon as they are in.
        deadline = time.time() + 10
        while time.time() < deadline and len(readable) < idle - cap:
            for key, _ in sel.select(timeout=max(0, deadline - time.time())):
                readable.add(key.fileobj)
                sel.unregister(key.fileobj)
    for s in conns:
        if s not in readable:
            held.append(s)
            continue
        data = read_reply(s)
        if data == b"":  # held, then closed at timeoutSeconds while the others were answered
            held.append(s)
            continue
        if status_of(data) == 503 and b'"code":"' + code + b'"' in data.replace(b" ", b""):
            refused += 1
            s.close()
        else:
            fail("idle: connection answered %r" % data[:80])
    print("idle: %d held, %d answered 503 %s" % (len(held), refused, code.decode()))
    if len(held) != cap or refused != idle - cap:
        fail("idle: want %d held and %d refused" % (cap, idle - cap))
    code = get("/healthz")
    print("legitimate: %s while the cap is full" % code)
    if code != 503:
        fail("legitimate: want 503 while the cap is full")
    # Each held connection is closed by the node once timeoutSeconds pass with no request.
    start = time.time()
    for s in held:
        s.settimeout(max(0.01, start + TIMEOUT + 5 - time.time()))
        try:
            if s.recv(1) != b"":
                fail("idle: a held connection got data")
        except socket.timeout:
            fail("idle: a connection was still open %d s after it was made" % (TIMEOUT + 5))
        except ConnectionResetError:
            pass
        s.close()
    print("idle: every held connection closed by the node (%.1f s)" % (time.time() - start))
    time.sleep(1.5)  # the node drains each closed connection for up to a second
    code = get("/healthz")
    print("legitimate: %s after the idle ones were closed" % code)
    if code != 200:
        fail("legitimate: want 200")


def slow_client():
    s = connect()
    start = time.time()
    request = b"GET /tlog/" + ORIGIN.encode() + b"/checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    s.settimeout(0.3)
    for b in request:
        try:
            s.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            if s.recv(4096) == b"":
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            break
        if time.time() - start > TIMEOUT + 5:
            fail("slow: still open after %d s" % (TIMEOUT + 5))
    took = time.time() - start
    print("slow: closed by the node after %.1f s" % took)
    if took > TIMEOUT + 2:
        fail("slow: want it closed within timeoutSeconds + 2 s")
    s.close()


def malformed():
    requests = [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n",  # a TLS hello
        b"GARBAGE\r\n\r\n",
        b"GET /tlog/" + ORIGIN.encode() + b"/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /tlog/" + ORIGIN.encode() + b"/tile/0/%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/listings/org/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/listings/org/" + b"9" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /v1/listings/org HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"ids\": [",
        b"GET /tlog/" + ORIGIN.encode() + b"/tile/99/000 HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    for r in requests:
        s = connect()
        try:
            s.sendall(r)
        except (BrokenPipeError, ConnectionResetError):
            pass
        code = status_of(read_reply(s))
        s.close()
        if code is not None and not 400 <= code < 500:
            fail("malformed: %r answered %s" % (r[:60], code))
    print("malformed: every request answered 4xx or closed")


def oversized_body():
    s = connect()
    body = b'{"ids": [' + b'"91350100M000100Y43",' * 10000 + b'"x"]}'
    s.sendall(b"POST /v1/listings/org HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
    try:
        s.sendall(body)
    except (BrokenPipeError, ConnectionResetError):
        pass
    code = status_of(read_reply(s))
    s.close()
    print("body: %s" % code)
    if code != 413:
        fail("body: want 413")


if PER_CLIENT:
    idle_connections(PER_CLIENT, 2 * PER_CLIENT, b"too-many-connections-from-client")
    sys.exit(0)
idle_connections()
slow_client()
malformed()
oversized_body()
code = get("/tlog/" + ORIGIN + "/checkpoint")
print("legitimate: %s at the end" % code)
if code != 200:
    fail("legitimate: want 200 at the end")
