#!/usr/bin/env python3
"""Read every message of tongban's JetStream stream with the NATS protocol itself, without tongban
and without a NATS client library, into a file `verify_chain.py` checks.

Usage:
    python3 stream_dump.py NATS_URL OUT_FILE [--stream TONGBAN] [--ca FILE]

NATS_URL is nats://HOST:PORT, with credentials if the server asks for them:
nats://USER:PASSWORD@HOST:PORT (the read-only `tongban-reader` user of docs/operations.md, "NATS
permissions": it may ask `$JS.API.STREAM.INFO.TONGBAN` and `$JS.API.STREAM.MSG.GET.TONGBAN`,
which is all this asks), or nats://TOKEN@HOST:PORT. tls://HOST:PORT (or a server that requires
TLS) is read over TLS, checked against the system's certificate authorities or --ca FILE.

Why: an auditor who reads the events through the gateway under audit (its events API, its feeds)
reads what that gateway chooses to serve; the stream is the log itself. Each message's stream
sequence is the event's log position (the gateway's `X-Tongban-Position`, a feed item's
`position`, a signed head's `position`), so the file written here also reproduces the gateway's
signed heads (verify_chain.py --heads), which cover every position of the log.

OUT_FILE is written for its owner alone (the events hold personal data), replacing any older
one, as {"stream", "first_seq", "last_seq", "events": [{"position", "event"}, ...]} in position
order. What is not an event is not written, and is said on stderr:
  - a position that holds no message (deleted from the stream: the gateway's stream refuses
    deletes, so each is a message removed by someone with the rights to);
  - a message whose bytes are not a JSON object (a record damaged, or published by anything else);
  - a message on another subject than `tongban.app.<its event's app>` (the gateway reads an
    application's events from its own subject only, so such a message is not one of its events
    wherever it came from).
Each of these makes the exit status 1; the file then lacks those positions, and a signed head at
or after one is not reproduced by verify_chain.py (as it should not be). Exit 0: every position
from the stream's first to its last sequence is an event on its application's subject. Exit 2:
the server could not be read (the reason is printed).

Then:
    python3 verify_chain.py --key "$(cat gateway-key.hex)" --heads heads.jsonl stream.json

Needs Python 3.8+ and nothing else. One request per message, 64 in flight at a time.
"""

import argparse
import base64
import json
import os
import secrets
import socket
import ssl
import sys
import urllib.parse

IN_FLIGHT = 64
TIMEOUT = 30.0


class Failed(Exception):
    """The server could not be read as asked: exit 2, saying why."""


class Connection:
    """One NATS connection, read line by line: requests published with a reply subject each."""

    def __init__(self, url, ca):
        parts = urllib.parse.urlsplit(url if "://" in url else "nats://" + url)
        if parts.scheme not in ("nats", "tls"):
            raise Failed(f"{url}: not a nats:// or tls:// address")
        host, port = parts.hostname or "127.0.0.1", parts.port or 4222
        try:
            self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        except OSError as e:
            raise Failed(f"cannot connect to {host}:{port}: {e}")
        self.reader = self.sock.makefile("rb")
        info = self.line()
        if not info.startswith(b"INFO "):
            raise Failed(f"{host}:{port} is not a NATS server (it said {info[:60]!r})")
        server = json.loads(info[5:])
        if parts.scheme == "tls" or server.get("tls_required"):
            context = ssl.create_default_context(cafile=ca)
            self.sock = context.wrap_socket(self.sock, server_hostname=host)
            self.reader = self.sock.makefile("rb")
        options = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                   "lang": "python", "version": "tongban-stream-dump", "name": "tongban-stream-dump"}
        user = urllib.parse.unquote(parts.username or "")
        password = urllib.parse.unquote(parts.password or "")
        if user and password:
            options["user"], options["pass"] = user, password
        elif user:
            options["auth_token"] = user
        self.inbox = "_INBOX.tongban-dump." + secrets.token_hex(8)
        self.send(f"CONNECT {json.dumps(options)}\r\nSUB {self.inbox}.* 1\r\nPING\r\n".encode())
        # The server answers the PING once it has taken CONNECT: -ERR first means it refused it.
        while True:
            line = self.line()
            if line.startswith(b"PONG"):
                break
            if line.startswith(b"-ERR"):
                raise Failed(f"the server refused the connection: {line[5:].decode(errors='replace')}")
            if line.startswith(b"PING"):
                self.send(b"PONG\r\n")

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        line = self.reader.readline()
        if not line:
            raise Failed("the server closed the connection")
        return line.rstrip(b"\r\n")

    def request(self, subject, body, token):
        """Publishes body (bytes) on subject, its answer to come on this connection's inbox."""
        self.send(b"PUB %s %s.%s %d\r\n%s\r\n" % (subject.encode(), self.inbox.encode(), token.encode(), len(body), body))

    def answer(self):
        """The next answer to a request: (its token, its payload bytes, its NATS status or None)."""
        while True:
            line = self.line()
            if line.startswith(b"PING"):
                self.send(b"PONG\r\n")
                continue
            if line.startswith(b"-ERR"):
                raise Failed(f"the server said {line[5:].decode(errors='replace')}")
            if line.startswith(b"MSG "):
                fields = line.split()
                size = int(fields[-1])
                payload = self.reader.read(size + 2)[:size]
                return fields[1].decode().rsplit(".", 1)[-1], payload, None
            if line.startswith(b"HMSG "):
                fields = line.split()
                header_size, size = int(fields[-2]), int(fields[-1])
                data = self.reader.read(size + 2)[:size]
                status = data[:header_size].split(b"\r\n", 1)[0].split()[1:2]
                return fields[1].decode().rsplit(".", 1)[-1], data[header_size:], (status[0].decode() if status else "")
            # +OK, INFO (a cluster's news): nothing to answer


def api(connection, subject, body):
    """One JetStream API request, answered before the next is sent."""
    connection.request(subject, json.dumps(body).encode() if body is not None else b"", "0")
    _, payload, status = connection.answer()
    if status == "503":
        raise Failed(f"nothing answers {subject}: is JetStream enabled on this server, and is the stream named so?")
    answer = json.loads(payload)
    if "error" in answer:
        error = answer["error"]
        raise Failed(f"{subject}: {error.get('description')} (code {error.get('code')}, err_code {error.get('err_code')})")
    return answer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--stream", default="TONGBAN")
    parser.add_argument("--ca", default=None)
    args = parser.parse_args()
    try:
        connection = Connection(args.url, args.ca)
        info = api(connection, f"$JS.API.STREAM.INFO.{args.stream}", None)
        state = info.get("state", {})
        first, last = state.get("first_seq", 0), state.get("last_seq", 0)
        print(
            f"stream {args.stream}: positions {first} to {last}, {state.get('messages', 0)} messages "
            f"({state.get('num_deleted', 0)} deleted; deny_delete {info.get('config', {}).get('deny_delete')})",
            file=sys.stderr,
        )
        found = {}
        wanted = iter(range(first, last + 1)) if last >= first and last > 0 else iter(())
        outstanding = 0
        for position in wanted:
            connection.request(f"$JS.API.STREAM.MSG.GET.{args.stream}", json.dumps({"seq": position}).encode(), str(position))
            outstanding += 1
            while outstanding >= IN_FLIGHT:
                token, payload, status = connection.answer()
                found[int(token)] = (payload, status)
                outstanding -= 1
        while outstanding:
            token, payload, status = connection.answer()
            found[int(token)] = (payload, status)
            outstanding -= 1
    except (Failed, OSError, ValueError) as e:
        print(f"stream_dump.py: {e}", file=sys.stderr)
        return 2
    events, wrong = [], 0
    if first > 1:
        # The gateway's stream numbers every message from 1 and refuses deletes: a stream that
        # starts later was purged or trimmed, its first events gone.
        print(f"positions 1 to {first - 1}: not in the stream (purged or trimmed)", file=sys.stderr)
        wrong += 1
    for position in sorted(found):
        payload, status = found[position]
        answer = json.loads(payload) if status is None else {"error": {"description": f"NATS status {status}"}}
        if "error" in answer:
            print(f"position {position}: no message ({answer['error'].get('description')}): removed from the stream", file=sys.stderr)
            wrong += 1
            continue
        message = answer["message"]
        try:
            event = json.loads(base64.b64decode(message.get("data", "")))
        except ValueError:
            event = None
        if not isinstance(event, dict):
            print(f"position {position}: on {message.get('subject')}, bytes that are not a JSON object: not an event", file=sys.stderr)
            wrong += 1
            continue
        if message.get("subject") != f"tongban.app.{event.get('app')}":
            print(
                f"position {position}: on subject {message.get('subject')}, an event of application "
                f"{event.get('app')}: not on its application's subject, so not one of its events",
                file=sys.stderr,
            )
            wrong += 1
            continue
        events.append({"position": position, "event": event})
    # For its owner alone, an older file removed first (it may be readable by others).
    if os.path.lexists(args.out):
        os.remove(args.out)
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"stream": args.stream, "first_seq": first, "last_seq": last, "events": events}, out, ensure_ascii=False)
    print(f"wrote {len(events)} events to {args.out}" + (f"; {wrong} positions hold no event of the log (above)" if wrong else ""), file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
