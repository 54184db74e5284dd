#!/usr/bin/env python3
"""Submits the adapters' golden local forms to a running demo gateway, for instruction counts.

usage: submit_forms.py HOST:PORT TOKENS_JSON COUNT LABEL [CONNECTIONS]

Every region's golden local form for every matter it covers, in turn, each with a fresh
Idempotency-Key (LABEL-i), over CONNECTIONS keep-alive connections (default 8). Exits 1 if any
submission is not answered 200/201.

Each sending of a form is another person's (since round 47): every ID number in it gets the
sequence digits of its sending (its birth date and sex kept, the check digit recomputed), as
distinct applications are distinct people's. The same person sent again and again would make
each submission warn of the earlier open applications (possible-duplicate), which a province's
real traffic does not. SAME_APPLICANTS=1 sends the forms as they are, the earlier measure.
"""
import glob
import http.client
import itertools
import json
import os
import re
import sys
import threading

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
ID_NUMBER = re.compile(rb"[1-9][0-9]{16}[0-9Xx]")


def check_digit(first17):
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def another_person(body, k):
    """`body` with each GB 11643 number in it given sequence code k (of 495: the 15th and 16th
    digits, never both 0, and the 17th within its parity): the same birth date and sex, a recomputed check
    digit. 18-character codes that are no ID number (a 统一社会信用代码) are left as they are."""
    if os.environ.get("SAME_APPLICANTS") == "1":
        return body

    def swap(m):
        number = m.group(0).decode()
        if check_digit(number[:17]) != number[17].upper():
            return m.group(0)
        sex = int(number[16]) % 2
        first17 = number[:14] + f"{k % 99 + 1:02d}" + str(sex + 2 * ((k // 99) % 5))
        return (first17 + check_digit(first17)).encode()

    return ID_NUMBER.sub(swap, body)

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
        # The warm-up's people are not the measured run's (up to 450 sendings of each form).
        body = another_person(body, i // len(forms) + (450 if label == "warm" else 0))
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
