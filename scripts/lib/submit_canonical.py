#!/usr/bin/env python3
"""Submits canonical business-registration bodies with INVESTORS investors to a running demo
gateway, for instruction counts by form size (docs/performance.md, "Round 21").

usage: submit_canonical.py HOST:PORT TOKENS_JSON COUNT LABEL INVESTORS

The matter's example from GET /v1/matters, its investor list grown to INVESTORS copies of the
first (as `tongban bench --only shape` grows it), routed from 440000 to 330000 online, each
submission with a fresh Idempotency-Key (LABEL-i) over one keep-alive connection. Exits 1 if
any submission is not answered 201.
"""
import http.client
import json
import sys

address, tokens_file, count, label, investors = sys.argv[1:6]
count, investors = int(count), int(investors)
host, port = address.rsplit(":", 1)
tokens = json.load(open(tokens_file))
auth = {"Authorization": "Bearer " + tokens["440000"]}
conn = http.client.HTTPConnection(host, int(port))
conn.request("GET", "/v1/matters", headers=auth)
doc = json.loads(conn.getresponse().read())
matters = doc["matters"] if isinstance(doc, dict) else doc
body = next(m for m in matters if m.get("code") == "business-registration")["example"]
first = dict(body["form"]["investors"][0], subscribed_capital_yuan=10000)
body["form"]["investors"] = [dict(first) for _ in range(investors)]
body["form"]["registered_capital_yuan"] = 10000 * investors
body.update(mode="online", origin="440000", handlers=["330000"])
# The enterprise's seat where the handler governs (rule handler-jurisdiction): the same six
# digits' length as the example's, so the body keeps its size.
body["form"]["registered_address"]["division"] = "330106"
raw = json.dumps(body, ensure_ascii=False).encode()
for i in range(count):
    headers = dict(auth, **{"Content-Type": "application/json", "Idempotency-Key": f"{label}-{i}"})
    conn.request("POST", "/v1/applications", body=raw, headers=headers)
    answer = conn.getresponse()
    answer.read()
    if answer.status != 201:
        sys.exit(f"submission {i}: {answer.status}")
