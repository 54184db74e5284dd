#!/usr/bin/env python3
"""Recheck tongban event chains without tongban.

Usage:
    python3 verify_chain.py --key <gateway public key hex> EVENTS_FILE

EVENTS_FILE is what `GET /v1/applications/{id}/events` returns ({"events": [...]}), a feed page of
`GET /v1/regions/{region}/feed` (its items {"position", "event"} are unwrapped), a JSON array of
either, or JSON Lines (one event or feed item per line). Events may come in any order and any mix
of applications: they are grouped by application and checked in seq order; an event given twice
(a feed is delivered at least once, pages may overlap) counts once. The public key is
`public_key_hex` from `GET /v1/keys`. Needs Python 3.8+ and the `cryptography` package for Ed25519.

For every application, in seq order, it checks:
  1. seq counts 1, 2, 3 ...
  2. prev_hash equals the previous event's hash ("" for seq 1)
  3. hash == lowercase hex SHA-256 of the RFC 8785 (JCS) canonical JSON of the event without
     "hash" and "sig"
  4. sig is a valid Ed25519 signature (lowercase hex) by the gateway key over the ASCII bytes of hash
Exit code 0 when every chain is intact, 1 otherwise.
"""
import argparse
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def jcs(value):
    """RFC 8785 canonical JSON for what tongban events contain (no floats in event payloads)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise ValueError("integer beyond 2^53: use a full JCS library")
        return str(value)
    if isinstance(value, float):
        raise ValueError("floating-point number: use a full JCS library")
    if isinstance(value, str):
        # json.dumps escapes exactly as JSON.stringify for these: ", \\, and control characters.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        # Members sorted by the UTF-16 code units of their names.
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(jcs(k) + ":" + jcs(v) for k, v in items) + "}"
    raise ValueError(f"unexpected JSON value {value!r}")


def load(path):
    """Every event in the file, feed items unwrapped, in file order."""
    text = open(path, encoding="utf-8").read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        items = json.loads(text)
    elif stripped.startswith("{") and "\n{" not in stripped.strip():
        doc = json.loads(text)
        items = doc["events"] if "events" in doc else [doc]
    else:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    # A feed item is {"position": n, "event": {...}}; the event is what is chained and signed.
    return [i["event"] if "event" in i and "app" not in i else i for i in items]


def by_application(events):
    """app -> its events in seq order; an event given more than once, identical, counts once."""
    apps = {}
    seen = set()
    for e in events:
        # The whole content, not the id: a second copy that differs is checked, not dropped.
        whole = json.dumps(e, sort_keys=True, ensure_ascii=False)
        if whole in seen:
            continue
        seen.add(whole)
        apps.setdefault(e["app"], []).append(e)
    for chain in apps.values():
        chain.sort(key=lambda e: e["seq"])
    return apps


def problems_of(e, prev_seq, prev_hash, key):
    problems = []
    if e["seq"] != prev_seq + 1:
        problems.append(f"seq {e['seq']} after {prev_seq}")
    if e["prev_hash"] != prev_hash:
        problems.append("prev_hash does not match the previous event's hash")
    unsigned = {k: v for k, v in e.items() if k not in ("hash", "sig")}
    recomputed = hashlib.sha256(jcs(unsigned).encode("utf-8")).hexdigest()
    if recomputed != e["hash"]:
        problems.append(f"hash {e['hash']} but the content hashes to {recomputed}")
    try:
        key.verify(bytes.fromhex(e["sig"]), e["hash"].encode("ascii"))
    except (InvalidSignature, ValueError):
        problems.append("signature does not verify under the gateway key")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--key", required=True, help="gateway public key, hex")
    parser.add_argument("events")
    args = parser.parse_args()
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(args.key))
    apps = by_application(load(args.events))
    broken = 0
    count = 0
    for app, chain in apps.items():
        prev_seq, prev_hash = 0, ""
        for e in chain:
            count += 1
            for p in problems_of(e, prev_seq, prev_hash, key):
                print(f"BROKEN {app} seq {e['seq']}: {p}")
                broken += 1
            prev_seq, prev_hash = e["seq"], e["hash"]
    if broken:
        print(f"BROKEN: {broken} problem(s) in {count} events of {len(apps)} applications")
        return 1
    print(f"OK: {count} events of {len(apps)} applications, every chain intact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
