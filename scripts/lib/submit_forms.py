#!/usr/bin/env python3
"""Submits the adapters' golden local forms to a running demo gateway, for instruction counts.

usage: submit_forms.py HOST:PORT TOKENS_JSON COUNT LABEL [CONNECTIONS]

Every region's golden local form for every matter it covers, in turn, each with a fresh
Idempotency-Key (LABEL-i), over CONNECTIONS keep-alive connections (default 8). Exits 1 if any
submission is not answered 200/201.
"""
import glob
import http.client
import itertools
import json
import os
import sys
import threading

address, tokens_file, count, label = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
connections = int(sys.argv[5]) if len(sys.argv) > 5 else 8
host, port = address.rsplit(":", 1)
tokens = json.load(open(tokens_file))
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "adapters", "regions")
forms = []
for path in sorted(glob.glob(os.path.join(root, "*", "golden", "*.local.*"))):
    region = path.split(os.sep)[-3]
    if region not in tokens:
        continue
    matter = os.path.basename(path).split(".")[0]
    content_type = "application/xml; charset=GBK" if path.endswith(".xml") else "application/json"
    forms.append((region, matter, content_type, open(path, "rb").read()))
numbers = itertools.count()
failures = []


def submit():
    conn = http.client.HTTPConnection(host, int(port), timeout=600)
    while True:
        i = next(numbers)
        if i >= count:
            return
        region, matter, content_type, body = forms[i % len(forms)]
        conn.request("POST", f"/v1/regions/{region}/forms/{matter}", body=body, headers={
            "Authorization": f"Bearer {tokens[region]}",
            "Content-Type": content_type,
            "Idempotency-Key": f"{label}-{i}",
        })
        response = conn.getresponse()
        answer = response.read()
        if response.status not in (200, 201):
            failures.append((response.status, answer[:300]))


threads = [threading.Thread(target=submit) for _ in range(connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    print(f"{len(failures)} of {count} submissions failed, e.g. {failures[0]}", file=sys.stderr)
    sys.exit(1)
