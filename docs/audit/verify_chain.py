#!/usr/bin/env python3
"""Recheck tongban event chains without tongban.

Usage:
    python3 verify_chain.py --key <gateway public key hex> [--app ID] [--earlier FILE]... [--heads FILE]... EVENTS_FILE
    python3 verify_chain.py --key <gateway public key hex> --heads FILE [--heads FILE]... [--records FILE]...

--key and --app are given once each (twice is refused, exit 2, as tongban refuses it), --earlier,
--heads and --records once per file; every option is named in full (--heads, never --hea).

EVENTS_FILE is what `GET /v1/applications/{id}/events` returns ({"events": [...]}), a feed page of
`GET /v1/regions/{region}/feed` ({"events": [{"position", "event"}, ...], "next", ...}: each of
its events is unwrapped), a JSON array of either, JSON Lines (one event, feed item or answer per
line), or answers saved one after another (`cat page-*.json > pages.json`). Events may come in
any order and any mix of applications: they are grouped by application and checked in seq order;
an event given twice (a feed is delivered at least once, pages may overlap) counts once. The
public key is `public_key_hex` from `GET /v1/keys`, as you recorded it before the dispute (a key
fetched at check time from the gateway under audit proves nothing against whoever could rewrite
its log and its key file).
A weak key (a point of small order, the identity among them), under which one made-up signature
verifies for every event, is refused (exit 2): no gateway makes one.
Needs Python 3.8+ and the `cryptography` package for Ed25519.

For every application, in seq order, it checks:
  1. seq counts 1, 2, 3 ...
  2. prev_hash equals the previous event's hash ("" for seq 1)
  3. hash == lowercase hex SHA-256 of the RFC 8785 (JCS) canonical JSON of the event without
     "hash" and "sig" (integers beyond 2^53 written as JCS writes them, through the double)
  4. sig is 128 lowercase hex digits, an Ed25519 signature by the gateway key over the ASCII bytes
     of hash
and, over the input:
  5. every event of an events answer ({"app", "events"}) is of the application it names, and with
     --app ID every event given outside feed items is of ID and ID's chain is there: another
     application's intact chain served as this one's is BROKEN (feed pages and a stream dump
     hold every application's events: with --app, only ID's are checked)
     An events answer's `not_history` (the messages the log stores after the application's
     events under a seq its history holds: a copy, or another event under that seq, published
     from outside) is not checked as events: each is said on a NOT HISTORY line (its seq, log
     position and what the answer says it is), which changes no verdict; one under a seq the
     answer's events do not hold is BROKEN (the answer contradicts itself). `tongban verify
     --app ID` on the log names each as a break of the log.
  6. with --earlier FILE (events, answers or feed pages kept before, from any earlier check or an
     action's answer; may be repeated): every event in FILE (of ID only, with --app) is still in
     EVENTS_FILE with the same hash, those before the first one EVENTS_FILE holds of a chain that
     must start at seq 1 (below) included. This is what finds an application's latest (or first)
     events removed, which leaves a shorter chain intact in every link: the chain alone cannot
     show it.
  7. with --heads FILE (JSON Lines, each line a head saved from `GET /v1/log/head`): each head's
     `sig` verifies under the key over the ASCII bytes of "tongban-log-head-v1\n{position}\n
     {hash}\n{at}" (else it is not trusted, and BROKEN; a signature whose R, its first 32 bytes,
     is a point of small order does not verify, as in tongban), and the running hash over every feed
     item given, in position order,
         H_0 = "", H_p = hex(SHA-256("tongban-log-head-v1\n" + H_prev + "\n" + p + "\n" + hash))
     reproduces the head's `hash` at its `position`. Give every region's feed pages from after=0
     (an operator reads any region's), so that every event of the log is given: a head not
     reproduced means the log up to it is not the log the gateway signed then (events removed,
     inserted, changed or reordered at or before it), or that the pages given miss some event;
     a head past the last position given means the log lost its end since (or the pages stop
     short of it). This finds what no chain shows: the log's last events removed, or a whole log
     sealed again. --heads may be given more than once (each party's file). A head has exactly
     position (a whole number from 0 to 2^64-1; -0 is none), hash, at, kid and sig (strings of Unicode
     text: a lone surrogate, "\\ud800" with no other half, is none): anything else is refused
     (exit 2, naming the file line and member), as `tongban heads` refuses it.
  8. with --heads (given once or more), among the heads themselves: every head whose signature
     verifies that names a position another such head names must carry the same hash. Two heads
     the gateway signed at one position with different hashes (FORKED) cannot both be of one
     log: the gateway, or whoever holds its key, showed two histories. This needs no events: with no EVENTS_FILE only this, the signatures
     and 9. are checked, for parties who keep heads but not the log. Each heads file is one party
     (by its real path: one file given twice, as ./x and x, or through a symbolic link, is one
     party; a pipe, /dev/stdin or <(curl …), by its path), and a head is
     compared only with another party's (one signed head, same position, hash, at and sig, found
     in several files counts once, named where first read in the order given; the parties whose
     files hold it are its holders, and none of them vouches for it: exchanged copies of one
     head compare nothing, whatever the order of the files): a
     gateway that forks on purpose shows each party one history throughout, so a party's heads
     agree among themselves whatever it did, and it can sign each party's heads at positions no
     other party's head names: join the positions apart by 9. A head at position 0 carries the
     log's start's running hash, "" (no record comes before position 1), in every log: without
     EVENTS_FILE, one signed with another hash is of no log (INCONSISTENT), and one with "" says
     nothing (it is not counted among the heads to compare).
  9. with --records FILE (no EVENTS_FILE; may be repeated): pages saved from
     GET /v1/log/records?after=N&to=M, {"after", "to", "records": [{"position", "hash"}...],
     "next", "at", "kid", "sig"}, one after another, as JSON Lines or in a JSON array. A page
     covers the positions after `after` up to `next` (more pages follow, read after it), or up to
     `to` where `next` is null, and lists every record the log holds there, in ascending position
     order, each with its hash, which the running hash takes in at its position, as given (`hash`
     in 7.: the event's, or the SHA-256 of bytes that are not an event; opaque here: any string,
     a damaged event's malformed hash among them); a position not listed holds nothing. Each page
     is signed by the gateway: its `sig` verifies under the key over the ASCII bytes of
     "tongban-log-records-v1\n{after}\n{end}\n{digest}\n{at}", where end is where the page stops
     (`next`, or `to` where `next` is null) and digest the lowercase hex SHA-256 of, per record in
     the page's order, the ASCII "{position} {n} ", the hash's UTF-8 bytes and "\n", n the byte
     length of the hash's UTF-8 (decimal): each hash read by its length, no hash makes one page
     read as another list. A page whose signature does not verify (a sig not 128 lowercase hex
     digits, or whose R is of small order, among them) is BROKEN and not used (neither its records
     nor the positions it covers). With the log's
     start as a head (position 0, hash "", of no party), for every two consecutive positions
     heads name, p < q, whose positions p+1..q the pages cover: the running hash carried from
     the first head read at p (from "" at 0) over the records there, in position order, as in
     7., must be every hash a head signs at q; one that is not (INCONSISTENT) is not of the log
     the head at p is of: the gateway signed two histories, or its log changed after it signed
     the earlier head (a record damaged or removed since: `tongban verify --heads` on the log
     names it). The records are the gateway's signed word, as the heads are (no one finds
     records that join the heads of two histories: SHA-256): a page that does not join two heads
     it signed is its own word against itself, proof to anyone it is handed to. The signed pages
     must agree: at every position one of them lists, every other signed page covering it must
     list it with the same hash; where they do not (two hashes, or one page covering it without
     listing it: no record, which no hash is, not even the string "nothing"), a BROKEN line names
     each value with the first page giving it (each hash as a JSON string, in quotes, the missing
     one as the words no record listed, unquoted, so that no hash reads as it): the
     gateway signed two histories, or its log changed between the signatures (the first page's
     hash is the one carried). Keep the heads and the pages: they are the proof. Positions apart
     that the signed pages do not cover whole are not joined (counted as such). A page is refused
     (exit 2, naming the file and member) unless it has exactly after, to, records, next, at, kid
     and sig (next null or a whole number; at, kid and sig strings), each record exactly position
     and hash (a string), every string Unicode text (no lone surrogate, as for heads), every
     number a whole number from 0 to 2^64-1 (-0 is none), and the ranges as above. Pages are named
     by the line their answer starts on (`records.json line 3`, and `records.json line 1: [2]`
     for the third page of an array there), as `tongban heads` names them.
     This is Certificate Transparency's consistency proof, with the records between as the
     proof.
     The positions heads name (0 first) fall into stretches: two consecutive ones joined by the
     records (whether they agree or not) are in one, as are heads at one position. A head (after
     position 0) is compared when its stretch holds, at its position or a later one, an own head
     (one file alone holds it) of a party that is not among its holders (a party whose heads
     stop at 1 vouches for no other party's heads at 1000; a head found in several files was
     copied, and who fetched it no one can tell). The verdict does not depend on the order of
     the files.

A feed page may hold, in place of an event, a marker: {"position", "missing": "..."} (the log holds
no event at that position, though the feed lists one: removed from the log) or {"position",
"held": {"app", "reason"}} (the gateway withholds the event there: it does not verify, does not
follow its application's previous event, or is a submission that does not fold) or {"position",
"repeated": {"app", "seq", "reason"}} (the log holds there an event of that application under a seq
its history holds at an earlier position: a copy, or another event under it, published on the
stream by something other than a gateway). None gives an event to check. Each is named on a line of
its own: a missing one as BROKEN (the gateway itself says the log lost an event), a held one as NOT
GIVEN and a repeated one as REPEATED (the event is not checked here: `tongban verify` on the log
names what is wrong with it). With --heads, the running hash cannot pass a
position given as a marker, and the heads at or after it are not reproduced (the line says so).

Events from the events API, or given bare, are the whole chain and must start at seq 1. So must
an application's chain on a region's feed pages read from after=0 (and on the pages read after a
position those reach, following next, with none missing between): a region is party to an
application from its submission on, so its feed from after=0 holds every event of it from seq 1,
and a chain there starting at seq N > 1 is BROKEN, seq 1 to N-1 missing. A feed page read with
after=N beyond what the input's pages from after=0 reach is a window of the log: an application's
events in it may start after seq 1. Such a chain is checked from its first event given, and a
PARTIAL line names the application and the seq it starts at (the link to the event before is not
checked) and the region's pages to give for the whole chain; with --earlier, the earlier events
before where it starts are not looked for (the OK line counts them). For the whole chain, give
every page of the region's feed from after=0 in one file (pages saved one after another). A gap
inside what is given is always BROKEN.

Exit codes:
  0  every chain given is intact (PARTIAL lines, if any, say where a chain was checked from;
     NOT GIVEN lines, where a feed page held a `held` marker instead of an event)
  1  some chain is broken, or a feed page marks a position `missing`: one BROKEN line per
     problem, then a BROKEN summary
  2  nothing was checked: the file holds no events (EMPTY), the file or --key cannot be used
     (one line on stderr naming the problem), or a usage error
With --heads and no EVENTS_FILE (8. and 9.):
  0  every head signed by the gateway (after position 0) is compared with another party's (at
     its position or a later one, there or joined to it over the records), and every comparison
     agrees: an OK summary
  1  a head or a records page not signed by the gateway, a FORKED position, an INCONSISTENT
     pair or head at 0, or a position the signed records pages disagree at: one line each, then
     a BROKEN summary
  2  NOTHING COMPARED (no head is compared with another party's: give the other parties' heads
     and the records between), INCOMPLETE (some heads are compared, but not every one: the line
     names those that are not, and what to give), a file or --key that cannot be used (one line
     on stderr), or a usage error (--records with EVENTS_FILE among them)
  Whatever the exit code, where the records given do not join two consecutive positions heads
  name, the last lines name the records to fetch, exactly as `tongban heads` names them:
  `fetch GET /v1/log/records?after=16&to=17 (every page, following `next`; …)`: those between
  heads first, then the stretch from the log's start to the lowest head, marked `(optional; …`
  (the heads are compared with each other without it; it checks the lowest head against the
  log's start).
"""
import argparse
import bisect
import hashlib
import json
import re
import os
import sys

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    sys.exit("verify_chain.py: needs the Python package `cryptography` (pip install cryptography)")

# What every event carries for the chain to be checked, and what each must be.
CHAIN_FIELDS = ("app", "seq", "prev_hash", "hash", "sig")
# JCS writes integers as JavaScript numbers: exact only up to 2^53.
SAFE_INTEGER = 2**53
# Between JSON documents (JSON Lines, or answers saved one after another).
WHITESPACE = re.compile(r"[ \t\n\r]*")
# sig as the gateway writes it: 64 bytes, lowercase hex.
SIGNATURE = re.compile(r"[0-9a-f]{128}")


class Unusable(Exception):
    """The input or the key cannot be used: nothing is checked. The message is one line."""


def jcs(value):
    """RFC 8785 canonical JSON for what tongban events contain (no floats in event payloads)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return integer(value)
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


def integer(n):
    """An integer as JCS writes it: exactly up to 2^53, beyond that as ECMAScript writes the double
    nearest to it. The gateway refuses larger integers in requests (rule max-integer), but an
    event written before it did may hold one: its signature then binds the double, not the
    integer."""
    if abs(n) <= SAFE_INTEGER:
        return str(n)
    # repr gives the shortest digits that round-trip, as ECMAScript's Number::toString does.
    mantissa, _, exponent = repr(abs(float(n))).replace("e+", "e").partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0")
    point = len(whole) + int(exponent or 0)  # digits before the decimal point
    if point > 21:
        raise ValueError("integer of more than 21 digits: use a full JCS library")
    return ("-" if n < 0 else "") + digits + "0" * (point - len(digits))


def plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe(value):
    """A JSON value in a few words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:20] + "…"
        return f"the string {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, list):
        return "a list"
    return "an object"


def decoder(minus_zero_a_float=False):
    """A JSON decoder that refuses duplicate member names, NaN and Infinity (no event has them).
    minus_zero_a_float: the number -0 (JSON allows it) read as the float -0.0, not the integer 0,
    so that a whole-number check refuses it, as `tongban heads` (serde_json) refuses -0 in a head
    or a records page; events are read as before (JCS writes -0 as 0)."""

    def members(pairs):
        obj = {}
        for name, value in pairs:
            if name in obj:
                raise Unusable(f"member {json.dumps(name, ensure_ascii=False)} given twice in one object")
            obj[name] = value
        return obj

    def constant(name):
        raise Unusable(f"{name} is not JSON")

    whole = (lambda text: -0.0 if text == "-0" else int(text)) if minus_zero_a_float else int
    return json.JSONDecoder(object_pairs_hook=members, parse_constant=constant, parse_int=whole)


def documents(path, numbered=False):
    """The file's JSON documents, each with where it is: one document, JSON Lines, or answers saved
    one after another (cat page-*.json); a byte order mark before them is passed over. A file of
    one document is named by its path alone, unless numbered: a file of heads or of records pages
    is named line by line even when it holds one, as `tongban` names it (`heads.jsonl line 1`),
    so that both tools' lines about one head or page read alike; there -0 is not read as a whole
    number (see decoder)."""
    try:
        raw = open(path, "rb").read()
    except OSError as e:
        raise Unusable(f"{path}: {e.strerror}")
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as e:
        raise Unusable(f"{path}: not UTF-8 (byte {e.start})")
    json_decoder = decoder(minus_zero_a_float=numbered)
    found = []
    at = 0
    while True:
        at = WHITESPACE.match(text, at).end()
        if at == len(text):
            break
        line = text.count("\n", 0, at) + 1
        try:
            value, at = json_decoder.raw_decode(text, at)
        except json.JSONDecodeError as e:
            raise Unusable(f"{path}: not JSON: {e.msg} at line {e.lineno} column {e.colno}")
        except Unusable as e:
            raise Unusable(f"{path}: the document from line {line}: {e}")
        except RecursionError:
            raise Unusable(f"{path}: the document from line {line} is nested too deeply")
        found.append((value, line))
    if len(found) == 1 and not numbered:
        return [(found[0][0], path)]
    return [(value, f"{path} line {line}") for value, line in found]


def is_problem(doc):
    """An RFC 9457 problem+json answer (a 401, 403 or 404 saved instead of events)."""
    return "app" not in doc and isinstance(doc.get("type"), str) and "status" in doc and "title" in doc


def refuse_problem(value, where, instead_of):
    """Refuses an error answer saved where `instead_of` was expected, saying which it was."""
    if is_problem(value):
        raise Unusable(
            f"{where}: an error answer (problem+json) saved instead of {instead_of}: "
            f"{value.get('status')} {value.get('title')}: {value.get('detail', value['type'])}"
        )


class Page:
    """Where feed items came from: a feed page (its region, the position it reads after, its
    `next`), or none (items given loose: region and after None). from_start: the page is one of
    its region's pages read from after=0 with none missing between (each read after a position
    the ones before it reach), so it holds every event at the positions it covers of every
    application of the region, from seq 1 (a region is party to an application from its
    submission on). reach: how far the region's pages from after=0 go (None: none given)."""

    def __init__(self, region, after, next_position, where):
        self.region, self.after, self.next, self.where = region, after, next_position, where
        self.from_start = False
        self.reach = None
        # (position, event) of each feed item on the page, for --heads.
        self.positions = []
        # (position, kind, what it says, where) of each marker on the page: kind "missing",
        # "held" or "repeated", given in place of an event.
        self.markers = []


def is_position(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def mark_from_start(pages):
    """Marks the pages read from after=0, and those read after a position the pages from after=0
    (and the ones marked so far) reach: an application of the region with an event on them has
    all of its events before that one on them too."""
    regions = {}
    for page in pages:
        if page.region is not None:
            regions.setdefault(page.region, []).append(page)
    for region_pages in regions.values():
        reach = None
        for page in sorted(region_pages, key=lambda page: page.after):
            if page.after == 0 or (reach is not None and page.after <= reach):
                page.from_start = True
                end = page.next if is_position(page.next) else page.after
                reach = end if reach is None else max(reach, end)
        for page in region_pages:
            page.reach = reach


def marker(value):
    """The kind of feed marker value is ("missing", "held" or "repeated"), or None: an item with a
    position and one of those members, and no event."""
    if "event" in value or "app" in value or not is_position(value.get("position")):
        return None
    if isinstance(value.get("missing"), str):
        return "missing"
    if isinstance(value.get("held"), dict):
        return "held"
    if isinstance(value.get("repeated"), dict):
        return "repeated"
    return None


def not_history_of(value, answer, where):
    """The entries of an events answer's `not_history` as (app, seq, position, problem, where):
    what the gateway names as stored on the application's subject but not its history. Refused
    (exit 2, naming the member) unless a list of objects each with a whole-number seq and
    position and a string problem."""
    named = value.get("not_history")
    if named is None:
        return []
    if not isinstance(named, list):
        raise Unusable(f"{where}: \"not_history\" is {describe(named)}, not a list")
    out = []
    for i, entry in enumerate(named):
        at = f"{where}: not_history[{i}]"
        if not isinstance(entry, dict):
            raise Unusable(f"{at}: {describe(entry)}, not an object")
        for member in ("seq", "position"):
            if not is_position(entry.get(member)):
                raise Unusable(f"{at}: \"{member}\" is {describe(entry.get(member))}, not a whole number")
        if not isinstance(entry.get("problem"), str):
            raise Unusable(f"{at}: \"problem\" is {describe(entry.get('problem'))}, not a string")
        out.append((answer, entry["seq"], entry["position"], entry["problem"], at))
    return out


def unwrap(value, place, inner, out, answer_app=None, page=None, pages=None, named=None):
    """Appends (event, where, page, answer_app) for every event in value; page: the Page of the
    feed item it came in (None: not in one); answer_app: the application the events answer it
    came in is for (None: not in one). place is the file (and line), inner the path inside its
    document (events[3].event). pages: a list every Page made is appended to (its markers are
    reported even where it holds no event). named: a list each events answer's `not_history`
    entries are appended to (not_history_of)."""
    where = f"{place}: {inner}" if inner else place
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, list):
                raise Unusable(f"{place}: {inner}[{i}]: a list inside a list, not an event")
            unwrap(item, place, f"{inner}[{i}]", out, answer_app, page, pages, named)
        return
    if not isinstance(value, dict):
        raise Unusable(f"{where}: {describe(value)}, not an event, an events answer or a feed page")
    refuse_problem(value, where, "events")
    if "events" in value and "seq" not in value:
        # The events API answer {"app", "events"} or a feed page {"region", "after", "events" …}.
        if not isinstance(value["events"], list):
            raise Unusable(f"{where}: \"events\" is {describe(value['events'])}, not a list")
        # The events API answer names the application it is for: every event in it must be its.
        answer = value.get("app") if isinstance(value.get("app"), str) else None
        # A feed page names its region and the position it reads after.
        if answer is None and isinstance(value.get("region"), str) and is_position(value.get("after")):
            page = Page(value["region"], value["after"], value.get("next"), where)
            if pages is not None:
                pages.append(page)
        else:
            page = None
        if answer is not None and named is not None:
            named.extend(not_history_of(value, answer, where))
        unwrap(value["events"], place, f"{inner}.events" if inner else "events", out, answer, page, pages, named)
        return
    kind = marker(value)
    if kind is not None:
        # A feed marker: no event at this position to check; reported, never taken as one.
        if page is None:
            page = Page(None, None, None, where)
            if pages is not None:
                pages.append(page)
        page.markers.append((value["position"], kind, value[kind], where))
        return
    if "event" in value and "app" not in value:
        # A feed item {"position": n, "event": {...}}: the event is what is chained and signed.
        if not isinstance(value["event"], dict):
            raise Unusable(f"{where}: \"event\" is {describe(value['event'])}, not an event")
        page = page or Page(None, None, None, where)
        if is_position(value.get("position")):
            page.positions.append((value["position"], value["event"]))
        out.append((value["event"], f"{where}.event" if inner else f"{where}: event", page, None))
        return
    if not any(name in value for name in CHAIN_FIELDS):
        names = ", ".join(json.dumps(k, ensure_ascii=False) for k in list(value)[:6]) or "none"
        raise Unusable(f"{where}: not an event, an events answer or a feed page (its members: {names})")
    out.append((value, where, None, answer_app))


def is_text(value):
    """Whether a string is Unicode text. JSON's escape of half a surrogate pair with no other half
    ("\\ud800") reads here as a lone surrogate, which is no character: no UTF-8 holds it, the
    gateway writes none, and `tongban` refuses a file holding one (it reads no such string)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refuse_not_text(value, names, where, what):
    """Refuses value (an object) when the string member of any of names is not Unicode text (see
    is_text), naming where and the member, as `tongban` refuses the file: not what the gateway
    answers, so neither a signature that fails nor one that holds (kid is not signed)."""
    for name in names:
        if isinstance(value.get(name), str) and not is_text(value[name]):
            raise Unusable(
                f"{where}: \"{name}\" holds a lone surrogate (a \\ud800-\\udfff escape with no "
                f"other half), which is not Unicode text: not {what}"
            )


def unfit(value, pointer=""):
    """The first thing in an event this script's canonical JSON cannot write exactly, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return f"a floating-point number ({value}) at {pointer or '/'}"
    if isinstance(value, int):
        if abs(value) >= 10**21:
            return f"an integer of more than 21 digits at {pointer or '/'}"
        return None
    if isinstance(value, str):
        if not is_text(value):
            return f"a lone surrogate (not Unicode text) at {pointer or '/'}"
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = unfit(v, f"{pointer}/{i}")
            if found:
                return found
        return None
    for k, v in value.items():
        found = unfit(k, f"{pointer}/{k}") or unfit(v, f"{pointer}/{k}")
        if found:
            return found
    return None


def inexact(value, pointer=""):
    """The first integer beyond +-(2^53 - 1) in value, as a JSON pointer, or None. JCS writes every
    number as the nearest IEEE double, so the hash of such an integer is the hash of every integer
    that rounds alike (2^60 + 1 and 2^60 + 23): the signature does not bind it exactly. tongban
    refuses such integers in requests (rule max-integer); events written before may hold one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return pointer or "/" if abs(value) > 2**53 - 1 else None
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = inexact(v, f"{pointer}/{i}")
            if found:
                return found
    if isinstance(value, dict):
        for k, v in value.items():
            found = inexact(v, f"{pointer}/{k.replace('~', '~0').replace('/', '~1')}")
            if found:
                return found
    return None


def check_shape(e, where):
    """Refuses an event this script cannot check, naming what is wrong."""
    for name in CHAIN_FIELDS:
        if name not in e:
            raise Unusable(f"{where}: the event has no \"{name}\" (every event has app, seq, prev_hash, hash and sig)")
    seq = e["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise Unusable(f"{where}: \"seq\" is {describe(seq)}; expected a whole number from 1")
    for name in ("app", "prev_hash", "hash", "sig"):
        if not isinstance(e[name], str):
            raise Unusable(f"{where}: \"{name}\" is {describe(e[name])}; expected a string")
    found = unfit(e)
    if found:
        raise Unusable(
            f"{where} (application {e['app']} seq {seq}): {found}; tongban events hold none, "
            "and this script's canonical JSON does not cover them: use a full RFC 8785 library"
        )


def load(path):
    """Every event in the file, feed items unwrapped, in file order, with where it is and the Page
    of the feed item it came in (None: not in one), its pages read from after=0 marked; the file's
    kind, for the message when it holds none; the feed markers given in place of events,
    (position, kind) -> (what it says, where); and what events answers name under `not_history`,
    (app, position) -> (seq, problem, where)."""
    entries = []
    made = []
    named = []
    docs = documents(path)
    for doc, place in docs:
        unwrap(doc, place, "", entries, pages=made, named=named)
    for e, where, _, _ in entries:
        check_shape(e, where)
    pages = {id(page): page for _, _, page, _ in entries if page is not None}
    mark_from_start(pages.values())
    feed_page = len(docs) == 1 and isinstance(docs[0][0], dict) and "next" in docs[0][0]
    # Each position marked once, whichever pages (or readings of one) marked it.
    markers = {}
    for page in made:
        for position, kind, says, where in page.markers:
            markers.setdefault((position, kind), (says, where))
    # Each position named once, whichever answers (or copies of one) named it.
    not_history = {}
    for app, seq, position, problem, where in named:
        not_history.setdefault((app, position), (seq, problem, where))
    return entries, (docs[0][0] if feed_page else None), markers, not_history


class Chain:
    """An application's events in this input, in seq order, and where they came from: whole, any
    of them not in a feed item (an events answer, bare events); start, the first page read from
    after=0 (see Page) any came in; windows, the other pages (or loose feed items) they came in."""

    def __init__(self):
        self.events = []
        # (event, position, the position of the same event given first): the same event stored
        # at two positions of the log, as a stream dump or feed pages show it.
        self.copies = []
        self.whole = False
        self.start = None
        self.windows = []

    def from_seq_1(self):
        """Whether this input holds the chain from its first event: it must start at seq 1."""
        return self.whole or self.start is not None


def by_application(entries):
    """app -> its Chain. An event given more than once, identical, counts once, unless it was
    given at two different log positions (a stream dump's or feed items' `position`): then the
    log stores it twice, and the second is a copy (Chain.copies), not the same answer read
    twice."""
    apps = {}
    seen = {}  # the whole content -> the log position it was first given at (None: none said)
    # Where each feed item's event is in the log, by the event object's identity.
    at = {}
    for _, _, page, _ in entries:
        if page is not None:
            for position, event in page.positions:
                at[id(event)] = position
    for e, _, page, _ in entries:
        # The whole content, not the id: a second copy that differs is checked, not dropped.
        whole = json.dumps(e, sort_keys=True, ensure_ascii=False)
        chain = apps.setdefault(e["app"], Chain())
        if page is None:
            chain.whole = True
        elif page.from_start:
            chain.start = chain.start or page
        elif all(page is not known for known in chain.windows):
            chain.windows.append(page)
        position = at.get(id(e))
        if whole in seen:
            first = seen[whole]
            if first is not None and position is not None and first != position:
                chain.copies.append((e, position, first))
            elif first is None:
                seen[whole] = position
            continue
        seen[whole] = position
        chain.events.append(e)
    for chain in apps.values():
        chain.events.sort(key=lambda e: e["seq"])
    return apps


def span(first, last):
    return f"seq {first}" if first == last else f"seq {first} to {last}"


def window_advice(chain):
    """What to give for a windowed chain to be checked from seq 1, for its PARTIAL line."""
    page = next((page for page in chain.windows if page.region is not None), None)
    if page is None:
        return "for the whole chain, give the feed's pages from after=0"
    if page.reach is None:
        return (
            f"for the whole chain, give region {page.region}'s feed pages from after=0: this input "
            f"reads it after position {page.after}"
        )
    return (
        f"for the whole chain, give every page of region {page.region}'s feed from after=0, "
        f"following next: this input's pages of it from after=0 reach position {page.reach}, "
        f"then one reads after {page.after}"
    )


def problems_of(e, prev_seq, prev_hash, key):
    """prev_hash None: the event before is not given (a feed page read from after=N, or the
    events before gone: reported already)."""
    problems = []
    if e["seq"] != prev_seq + 1:
        problems.append(f"seq {e['seq']} after {prev_seq}")
    if prev_hash is not None and e["prev_hash"] != prev_hash:
        problems.append("prev_hash does not match the previous event's hash")
    unsigned = {k: v for k, v in e.items() if k not in ("hash", "sig")}
    recomputed = hashlib.sha256(jcs(unsigned).encode("utf-8")).hexdigest()
    if recomputed != e["hash"]:
        problems.append(f"hash {e['hash']} but the content hashes to {recomputed}")
    if not SIGNATURE.fullmatch(e["sig"]):
        # bytes.fromhex would take capitals and spaces: a sig rewritten so is a changed event.
        problems.append("sig is not 128 lowercase hex digits, as the gateway writes it")
        return problems
    try:
        key.verify(bytes.fromhex(e["sig"]), e["hash"].encode("ascii"))
    except (InvalidSignature, ValueError):
        problems.append(
            "signature does not verify under the given key: signed with another key, or hash or "
            "sig changed after signing"
        )
    return problems


# Ed25519's field prime and curve constant, to tell a weak key (see small_order).
FIELD = 2**255 - 19
CURVE_D = (-121665 * pow(121666, FIELD - 2, FIELD)) % FIELD


def small_order(raw):
    """Whether 32 bytes encode a point of small order (the identity among them): under such a key
    one made-up signature verifies for every message, and the `cryptography` package takes it.
    tongban refuses these keys too. The point times 8 is the identity exactly for these."""
    y = (int.from_bytes(raw, "little") & ((1 << 255) - 1)) % FIELD
    xx = (y * y - 1) * pow(CURVE_D * y * y + 1, FIELD - 2, FIELD) % FIELD
    x = pow(xx, (FIELD + 3) // 8, FIELD)
    if x * x % FIELD != xx:
        x = x * pow(2, (FIELD - 1) // 4, FIELD) % FIELD
    if x * x % FIELD != xx:
        return False  # no point at all: from_public_bytes or verify refuses it
    for _ in range(3):
        # Doubling on the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 (complete formulas).
        xy = x * y % FIELD
        t = CURVE_D * xy * xy % FIELD
        x, y = (
            2 * xy * pow(1 + t, FIELD - 2, FIELD) % FIELD,
            (y * y + x * x) * pow(1 - t, FIELD - 2, FIELD) % FIELD,
        )
    return x == 0 and y == 1


def public_key(text):
    t = text.strip()
    try:
        raw = bytes.fromhex(t)
    except ValueError:
        raise Unusable(
            f"--key {t[:20]!r} is not hex: give public_key_hex from GET /v1/keys (64 hex digits), as recorded"
        )
    if len(raw) != 32:
        raise Unusable(
            f"--key is {plural(len(raw), 'byte')}; an Ed25519 public key is 32 (64 hex digits: public_key_hex from GET /v1/keys)"
        )
    if small_order(raw):
        raise Unusable(
            "--key is a weak Ed25519 key (a point of small order): one made-up signature verifies "
            "for every event under it, so it proves nothing. It is not a key the gateway makes: "
            "use the key you recorded from GET /v1/keys, and ask who gave you this one"
        )
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as e:
        raise Unusable(f"--key is not an Ed25519 public key: {e}")


def signed_by(key, sig, message):
    """Whether sig, 128 lowercase hex digits as the gateway writes it, is an Ed25519 signature by
    key over message as tongban verifies one (verify_strict): one whose R (its first 32 bytes) is
    a point of small order is not, though the `cryptography` package takes it."""
    if not SIGNATURE.fullmatch(sig):
        return False
    raw = bytes.fromhex(sig)
    if small_order(raw[:32]):
        return False
    try:
        key.verify(raw, message)
        return True
    except InvalidSignature:
        return False


def strangers(entries, only_app):
    """One line per application whose events are not where they claim to be: in the events answer
    for another application, or (with --app) of another application than the one asked about."""
    found = {}  # (the application expected, the one found, why) -> [(seq, where)]
    for e, where, page, answer_app in entries:
        if answer_app is not None and e["app"] != answer_app:
            why = f"in the events answer for application {answer_app}: that answer is not its chain"
            found.setdefault((answer_app, e["app"], why), []).append((e["seq"], where))
        elif only_app is not None and e["app"] != only_app and page is None:
            # A feed item of another application is no stranger: a region's feed pages and a
            # stream dump hold every application's events, and --app checks one of them.
            why = f"not of {only_app} (--app)"
            found.setdefault((only_app, e["app"], why), []).append((e["seq"], where))
    lines = []
    for (expected, app, why), given in found.items():
        seqs = ", ".join(str(seq) for seq in sorted({seq for seq, _ in given}))
        lines.append(
            f"BROKEN {expected}: {plural(len(given), 'event')} of application {app} (seq {seqs}; "
            f"the first at {given[0][1]}), {why}"
        )
    return lines


def since(earlier_path, apps, only_app):
    """One line per event of the earlier file that this input no longer holds as it was: removed
    (the chain cut short at either end or inside, or the application gone) or rewritten; the
    count of those still there, and of those not looked for: before where a chain this input
    holds only a window of (PARTIAL) starts. Where the input holds a chain from its first event
    (an events answer, bare events, a region's feed pages from after=0), every event is looked
    for, those before its first one included."""
    entries = load(earlier_path)[0]
    lines = []
    kept = 0
    unseen = 0
    seen = set()
    for e, where, _, _ in entries:
        app, seq = e["app"], e["seq"]
        if (only_app is not None and app != only_app) or (app, seq, e["hash"]) in seen:
            continue
        seen.add((app, seq, e["hash"]))
        chain = apps.get(app, Chain())
        events = chain.events
        now = [n for n in events if n["seq"] == seq]
        if events and not chain.from_seq_1() and seq < events[0]["seq"]:
            unseen += 1
            continue
        if not now:
            if not events:
                gone = "no event of it is given now: removed since, the chain cut short"
            elif seq < events[0]["seq"]:
                gone = f"it now starts at seq {events[0]['seq']}: removed since, the chain's start cut off"
            elif seq > events[-1]["seq"]:
                gone = f"it now ends at seq {events[-1]['seq']}: removed since, the chain cut short"
            else:
                before = max(n["seq"] for n in events if n["seq"] < seq)
                after = min(n["seq"] for n in events if n["seq"] > seq)
                gone = f"it now goes from seq {before} to {after}: removed since, a gap in the chain"
            lines.append(
                f"BROKEN {app} seq {seq}: in {where} (hash {e['hash']}) but not in this input; {gone}"
            )
        elif all(n["hash"] != e["hash"] for n in now):
            lines.append(
                f"BROKEN {app} seq {seq}: its hash is {now[0]['hash']} now but was {e['hash']} in "
                f"{where}: rewritten since"
            )
        else:
            kept += 1
    return lines, kept, unseen


HEAD_DOMAIN = "tongban-log-head-v1"

# What a head holds, and nothing else (as GET /v1/log/head answers it).
HEAD_MEMBERS = ("position", "hash", "at", "kid", "sig")


def head_step(previous, position, event_hash):
    """The running hash after the event at position (see 7. above)."""
    text = f"{HEAD_DOMAIN}\n{previous}\n{position}\n{event_hash}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_heads(path):
    """The heads of a JSON Lines file, as GET /v1/log/head answers them, read as strictly as
    `tongban heads` reads them: exactly position (a whole number from 0 to 2^64-1), hash, at, kid
    and sig (strings); anything else is refused, naming the line and the member."""
    heads = []
    for value, where in documents(path, numbered=True):
        if isinstance(value, dict):
            strange_members(value, HEAD_MEMBERS, f"{where}: the head")
            if "position" in value and not is_u64(value["position"]):
                raise Unusable(
                    f"{where}: \"position\" is {describe(value['position'])}; expected a whole "
                    f"number from 0 to {U64_MAX}"
                )
        if not isinstance(value, dict) or not is_position(value.get("position")) or not all(
            isinstance(value.get(name), str) for name in ("hash", "at", "kid", "sig")
        ):
            raise Unusable(f"{where}: not a head as GET /v1/log/head answers it")
        refuse_not_text(value, HEAD_MEMBERS, where, "a head as GET /v1/log/head answers it")
        heads.append((value, where))
    if not heads:
        raise Unusable(f"{path}: holds no heads")
    return heads


def positioned(entries):
    """position -> event hash of every feed item given, and one BROKEN line per position that the
    pages given hold different events at: two regions' feeds (or two readings of one) that
    disagree are two histories served, which is what saved heads are kept to expose."""
    found = {}
    conflicts = {}
    pages = {id(page): page for _, _, page, _ in entries if page is not None}
    for page in pages.values():
        for position, event in page.positions:
            known = found.setdefault(position, event["hash"])
            if known != event["hash"]:
                conflicts.setdefault(position, {known}).add(event["hash"])
    lines = [
        f"BROKEN log position {position}: the feed pages given hold different events there "
        f"(hashes {', '.join(sorted(hashes))}): the gateway served two histories"
        for position, hashes in sorted(conflicts.items())
    ]
    return found, lines


def unfed(log, up_to):
    """The positions up to `up_to` that no feed item given holds, as ranges (at most 20 named)."""
    held = {position for position, _ in log}
    ranges, start = [], None
    for position in range(1, up_to + 2):
        if position <= up_to and position not in held:
            start = position if start is None else start
        elif start is not None:
            ranges.append(f"{start}" if start == position - 1 else f"{start}-{position - 1}")
            start = None
    named = ", ".join(ranges[:20]) + (f" and {len(ranges) - 20} more" if len(ranges) > 20 else "")
    return named


def party(path):
    """The party a heads file is: its real path (symbolic links resolved), as tongban takes it
    (std::fs::canonicalize). A pipe (/dev/stdin, /dev/fd/63 of <(curl …)) has none (its link names
    pipe:[…], no file): it is its path made absolute as tongban makes it (std::path::absolute),
    the working directory before a relative path, "." and repeated slashes dropped, ".." kept."""
    real = os.path.realpath(path)
    if os.path.exists(real):
        return real
    full = path if path.startswith("/") else os.getcwd() + "/" + path
    return "/" + "/".join(part for part in full.split("/") if part not in ("", "."))


def parties(heads_paths):
    """Each heads file is one party (see party): its party -> the path as first given. One file
    given twice (or as ./x and x, or through a symbolic link) is one party, read once: its heads
    are neither counted twice nor compared with themselves, as `tongban heads` and `tongban
    verify --heads` take their files."""
    by_real_path = {}
    for path in heads_paths:
        by_real_path.setdefault(party(path), path)
    return by_real_path


def trusted_heads(heads_paths, key):
    """The heads of every file given, split: those whose signature verifies under the key, each
    with where it was read, and one BROKEN line for each of the others."""
    lines = []
    trusted = []
    for heads_path in heads_paths:
        for head, where in load_heads(heads_path):
            statement = f"{HEAD_DOMAIN}\n{head['position']}\n{head['hash']}\n{head['at']}"
            try:
                signed = signed_by(key, head["sig"], statement.encode("ascii"))
            except UnicodeEncodeError:
                signed = False  # no head the gateway signs holds other than ASCII
            if signed:
                trusted.append((head, where))
            else:
                lines.append(
                    f"BROKEN saved head at log position {head['position']} (signed at {head['at']}, "
                    f"{where}): its signature does not verify under the given key: not signed by "
                    "the gateway (changed since it was saved, or signed with another key); not "
                    "trusted, so not compared"
                )
    return trusted, lines


def forks(trusted):
    """Trusted heads compared among themselves: one FORKED line per other hash found at a position
    (after the first head read there), and how many positions two heads or more name, and how
    many one head alone."""
    by_position = {}
    for head, where in trusted:
        by_position.setdefault(head["position"], []).append((head, where))
    lines, shared, alone = [], 0, 0
    for position, heads in sorted(by_position.items()):
        if len(heads) == 1:
            alone += 1
            continue
        shared += 1
        (first, first_where), seen = heads[0], {heads[0][0]["hash"]}
        for head, where in heads[1:]:
            if head["hash"] in seen:
                continue
            seen.add(head["hash"])
            lines.append(
                f"FORKED log position {position}: two heads signed by the gateway hold different "
                f"running hashes there: {first['hash']} (signed at {first['at']}, {first_where}) "
                f"and {head['hash']} (signed at {head['at']}, {where}): the gateway, or whoever "
                "holds its key, signed two histories of the log up to that position; keep both "
                "heads as they are, they are the proof"
            )
    return lines, shared, alone


# The largest integer a records page may hold (u64, as the gateway and `tongban heads` read it).
U64_MAX = 2**64 - 1

PAGE_MEMBERS = ("after", "to", "records", "next", "at", "kid", "sig")

# What a records page's signature is over starts with this (see page_statement).
RECORDS_DOMAIN = "tongban-log-records-v1"

RECORD_MEMBERS = ("position", "hash")


def is_u64(value):
    """A JSON integer from 0 to 2^64-1 (true and false are not integers)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= U64_MAX


def strange_members(value, allowed, named):
    """Refuses an object with members other than those allowed, naming the first such."""
    for name in value:
        if name not in allowed:
            raise Unusable(
                f"{named} has a member {json.dumps(name, ensure_ascii=False)}; expected only "
                + ", ".join(allowed)
            )


def records_page(value, where):
    """A records page as GET /v1/log/records answers it: the range it covers, (after, end], and its
    records, [(position, hash)] in position order (its signature is checked by the caller, see
    page_statement). Anything else is refused, naming the member that
    is wrong, as `tongban heads` refuses it: a page read loosely (a range taken wider than it is, a
    record out of it, a member not understood) would join heads over positions no record was
    given for, and "not of one log" would rest on it."""
    if not isinstance(value, dict):
        raise Unusable(f"{where}: {describe(value)}, not a records page of GET /v1/log/records")
    refuse_problem(value, where, "records")
    for name in PAGE_MEMBERS:
        if name not in value:
            raise Unusable(
                f"{where}: not a records page of GET /v1/log/records: no \"{name}\" (a page has "
                "after, to, records, next, at, kid and sig)"
            )
    strange_members(value, PAGE_MEMBERS, f"{where}: the page")
    after, to, next_position, records = value["after"], value["to"], value["next"], value["records"]
    if not is_u64(after):
        raise Unusable(f"{where}: \"after\" is {describe(after)}; expected a whole number from 0 to {U64_MAX}")
    if not is_u64(to) or to < after:
        raise Unusable(
            f"{where}: \"to\" is {describe(to)}; expected a whole number from \"after\" ({after}) "
            f"to {U64_MAX}"
        )
    if next_position is not None and (not is_u64(next_position) or not after < next_position <= to):
        raise Unusable(
            f"{where}: \"next\" is {describe(next_position)}; expected null (the last page) or a "
            f"whole number after \"after\" ({after}) and at most \"to\" ({to})"
        )
    end = to if next_position is None else next_position
    for name in ("at", "kid", "sig"):
        if not isinstance(value[name], str):
            raise Unusable(f"{where}: \"{name}\" is {describe(value[name])}, not a string")
    refuse_not_text(value, ("at", "kid", "sig"), where, "a records page of GET /v1/log/records")
    if not isinstance(records, list):
        raise Unusable(f"{where}: \"records\" is {describe(records)}, not a list")
    found, last = [], after
    for i, record in enumerate(records):
        named = f"{where}: records[{i}]"
        if not isinstance(record, dict):
            raise Unusable(f"{named} is {describe(record)}, not a record {{\"position\", \"hash\"}}")
        for name in RECORD_MEMBERS:
            if name not in record:
                raise Unusable(f"{named}: no \"{name}\" (a record has position and hash)")
        strange_members(record, RECORD_MEMBERS, named)
        position, record_hash = record["position"], record["hash"]
        if not is_u64(position):
            raise Unusable(f"{named}.position is {describe(position)}; expected a whole number from 0 to {U64_MAX}")
        if not last < position <= end:
            raise Unusable(
                f"{named}.position is {position}; expected after {last} (after \"after\" and the "
                f"record before, in ascending order) and at most {end} (where the page ends: "
                f"{'its next' if next_position is not None else 'its to'})"
            )
        if not isinstance(record_hash, str):
            # Any string: opaque, taken in as given (a damaged event stored with a malformed hash
            # is what the log holds there, and what the gateway's heads took in).
            raise Unusable(f"{named}.hash is {describe(record_hash)}; expected a string")
        refuse_not_text(record, ("hash",), named, "a record of GET /v1/log/records")
        found.append((position, record_hash))
        last = position
    return (after, end), found


def page_statement(after, end, records, at):
    """The bytes a records page's signature is over: the ASCII of
    "tongban-log-records-v1\n{after}\n{end}\n{digest}\n{at}", where end is where the page stops
    (next, or to on the last) and digest the lowercase hex SHA-256 of, per record in the page's
    order, "{position} {n} " (ASCII), the hash's UTF-8 bytes and "\n", n the byte length of the
    hash's UTF-8 (decimal): each hash is read by its length, so no hash, whatever it holds, makes
    one page's list read as another's. at not ASCII is on no page the gateway signed:
    UnicodeEncodeError then, which the caller takes as a signature that does not verify (a hash
    not Unicode text, a lone surrogate, is refused before: see records_page)."""
    digest = hashlib.sha256()
    for position, record_hash in records:
        raw = record_hash.encode("utf-8")
        digest.update(f"{position} {len(raw)} ".encode("ascii") + raw + b"\n")
    return f"{RECORDS_DOMAIN}\n{after}\n{end}\n{digest.hexdigest()}\n{at}".encode("ascii")


def page_signed(value, covered, records, key):
    """Whether a records page's sig verifies under the key over its statement (a sig that is not
    128 lowercase hex digits does not)."""
    try:
        return signed_by(key, value["sig"], page_statement(*covered, records, value["at"]))
    except UnicodeEncodeError:
        return False


def disagreements(signed):
    """One BROKEN line per position some signed page lists where the signed pages covering it do
    not all say one thing: each lists it with one hash, or (a page covering it without listing it)
    says it holds nothing: None, not a hash (a record whose hash is the string "nothing" still
    disagrees with it), printed as the words no record listed, every hash as a JSON string
    (quoted: a hash is any string the page gives, so only quoting keeps one from reading as the
    missing case), as `tongban heads` writes them. A gateway keeps one log, so two pages it
    signed that disagree are two histories it signed, or its log changed between the signatures. signed: (where, at, (after,
    end), {position: hash}) of each signed page, in reading order; each value the line names with
    the first page that gives it, in that order."""
    listed = sorted({position for _, _, _, records in signed for position in records})
    said = {}  # position -> [(value, where, at)], each value once, first-seen order
    for where, at, (after, end), records in signed:
        low = bisect.bisect_right(listed, after)
        high = bisect.bisect_right(listed, end)
        for position in listed[low:high]:
            value = records.get(position)  # None: covered, not listed
            values = said.setdefault(position, [])
            if all(value != known for known, _, _ in values):
                values.append((value, where, at))
    return [
        f"BROKEN log position {position}: the records pages given, each signed by the gateway, "
        "disagree there ("
        + ", ".join(
            f"{'no record listed' if value is None else json.dumps(value, ensure_ascii=False)} "
            f"in {where} signed at {json.dumps(at, ensure_ascii=False)}"
            for value, where, at in values
        )
        + "): the gateway signed two histories, or its log changed between the signatures (a "
        "record damaged or removed since: `tongban verify --heads` on the log names it); keep the "
        "pages, they are the proof"
        for position, values in sorted(said.items())
        if len(values) > 1
    ]


def kid(key):
    """The key's id as the gateway names it (kid): the first 8 bytes of the SHA-256 of the raw
    public key, lowercase hex."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_records(paths, key):
    """The records of every records page given whose signature verifies under the key: position ->
    hash (the first page's that lists it, where pages disagree), the ranges those pages cover,
    joined where they meet or overlap; one BROKEN line per page whose signature does not verify
    (neither its records nor its range are used), then one per position the signed pages disagree
    at (see disagreements)."""
    found, signed, ranges, unsigned = {}, [], [], []
    for path in paths:
        pages = []
        for value, where in documents(path, numbered=True):
            # A JSON array of pages, as one document, or pages one after another (JSON Lines).
            if isinstance(value, list):
                pages.extend((item, f"{where}: [{i}]") for i, item in enumerate(value))
            else:
                pages.append((value, where))
        if not pages:
            raise Unusable(f"{path}: holds no records pages")
        for value, where in pages:
            covered, records = records_page(value, where)
            if not page_signed(value, covered, records, key):
                after, end = covered
                between = f"positions after {after}" if after == end else f"positions {after + 1}-{end}"
                # at and kid are the page's word, not the gateway's: printed as JSON strings, as
                # `tongban heads` prints them.
                names = (
                    f" (the page names key {json.dumps(value['kid'], ensure_ascii=False)})"
                    if value["kid"] != kid(key)
                    else ""
                )
                unsigned.append(
                    f"BROKEN records page {where} ({between}, signed at "
                    f"{json.dumps(value['at'], ensure_ascii=False)}): its signature does not "
                    f"verify under the given key{names}: not signed by the gateway (changed since "
                    "it was saved, or signed with another key); not used"
                )
                continue
            ranges.append(covered)
            signed.append((where, value["at"], covered, dict(records)))
            for position, record_hash in records:
                found.setdefault(position, record_hash)
    lines = unsigned + disagreements(signed)
    joined = []
    for after, end in sorted(ranges):
        if after == end:
            continue  # covers no position
        if joined and after <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([after, end])
    return found, joined, lines


def covers(ranges, starts, first, last):
    """Whether the joined ranges (see load_records; starts: where each begins, their `after`)
    cover every position first..last: a position the records given do not cover may hold a
    record no page listed, which the running hash cannot pass over."""
    i = bisect.bisect_right(starts, first - 1) - 1
    return i >= 0 and last <= ranges[i][1]


# The log's start, as a head: position 0, running hash "" (H_0), signed by no one.
LOG_START = ({"position": 0, "hash": "", "at": None}, None)


def head_named(head, where):
    """A head as an INCONSISTENT line names it."""
    if where is None:
        return "the log's start (position 0)"
    return f"the head at {head['position']} ({head['hash']}, signed at {head['at']}, {where})"


def shown(running):
    """A running hash as a line shows it: the log's start's, "", written so, not as nothing."""
    return running if running else '""'


def at_start(trusted):
    """One INCONSISTENT line per trusted head at position 0 whose hash is not "": the running hash
    there is the log's start's, "" (no record comes before position 1), in every log, so such a
    head is of none. A head at 0 with "" says nothing, and joins nothing: the log's start is there
    already."""
    return [
        f"INCONSISTENT log position 0: the head at 0 ({head['hash']}, signed at {head['at']}, "
        f"{where}) carries a running hash where the log's start carries \"\" (no record before "
        "position 1): it is not a head of any log"
        for head, where in trusted
        if head["position"] == 0 and head["hash"] != ""
    ]


def joins(trusted, records, ranges):
    """The trusted heads, and the log's start, joined over the records given: for each two
    consecutive positions heads name whose positions between the records cover, the running hash
    carried from the first head at the earlier (from the log's start at 0) over those records
    must be every hash signed at the later. Heads at different positions are compared so, which a
    gateway showing each party its own history cannot avoid by signing them at different
    positions. One INCONSISTENT line per hash not reached; the positions heads name (0 first);
    the pairs joined, (earlier, later); the pairs not joined."""
    by_position = {0: [LOG_START]}
    for head, where in trusted:
        if head["position"] > 0:  # at 0, the log's start (see at_start)
            by_position.setdefault(head["position"], []).append((head, where))
    positions = sorted(by_position)
    listed = sorted(records.items())
    listed_positions = [position for position, _ in listed]
    starts = [after for after, _ in ranges]
    lines, joined, apart = [], [], []
    for earlier, later in zip(positions, positions[1:]):
        if not covers(ranges, starts, earlier + 1, later):
            apart.append((earlier, later))
            continue
        joined.append((earlier, later))
        first, first_where = by_position[earlier][0]
        running = first["hash"]
        low = bisect.bisect_right(listed_positions, earlier)
        high = bisect.bisect_right(listed_positions, later)
        for position, record_hash in listed[low:high]:
            running = head_step(running, position, record_hash)
        seen = {running}
        for head, where in by_position[later]:
            if head["hash"] in seen:
                continue
            seen.add(head["hash"])
            between = f"position {later}" if later == earlier + 1 else f"positions {earlier + 1}-{later}"
            lines.append(
                f"INCONSISTENT log positions {earlier}-{later}: {head_named(first, first_where)} and "
                f"{head_named(head, where)} are not of one log: the running hash carried from the "
                f"first over the records given for {between} is {shown(running)}, not the second's: "
                "the gateway signed two histories, or its log changed after it signed the earlier "
                "head (a record damaged or removed since: `tongban verify --heads` on the log names "
                "it); the heads and the records pages are all signed by the gateway: keep them, "
                "they are the proof"
            )
    return lines, positions, joined, apart


def uncompared(distinct, positions, joined):
    """The trusted heads (at positions after 0) compared with no other party's: the positions
    heads name (0 first) fall into stretches, consecutive positions joined by the records given
    being in one; a head is compared when its stretch holds, at its position or a later one, an
    own head (one file alone holds it) of a party that is not among its holders (the parties
    whose files hold it): a party whose heads stop at position 1 vouches for no other party's
    heads at 1000, and a head copied into several files vouches for no one, so exchanged copies
    compare nothing, whatever the order of the files. The log's start belongs to no party, and a head at 0 says nothing, so neither
    counts. distinct: (head, where first read, its holders) of each distinct trusted head.
    Returns how many heads are to be compared, and the (head, where) of those that are not."""
    stretch, s = {}, 0
    linked = set(joined)
    for i, position in enumerate(positions):
        if i and (positions[i - 1], position) not in linked:
            s += 1
        stretch[position] = s
    # stretch -> {party: the highest position of its own heads there}. Only a head one file
    # alone holds is a party's own: one in several files was copied from one to another, and
    # who fetched it no one can tell, so it vouches for no one.
    tops = {}
    for head, _, holders in distinct:
        position = head["position"]
        if position > 0 and len(holders) == 1:
            top = tops.setdefault(stretch[position], {})
            (party,) = holders
            top[party] = max(top.get(party, 0), position)
    counted, alone = 0, []
    for head, where, holders in distinct:
        position = head["position"]
        if position > 0:
            counted += 1
            others = tops.get(stretch[position], {}).items()
            if not any(party not in holders and top >= position for party, top in others):
                alone.append((head, where))
    return counted, alone


# Why a head was compared with no other party's, true of a head several files hold too (the
# copies are other files' heads, and vouch for nothing), as `tongban heads` says it.
NOT_VOUCHED = (
    "no file that does not hold it has a head of its own (one no other file holds) at its "
    "position or a later one, there or joined to it by the records given (copies of one head "
    "in several files vouch for nothing)"
)


def uncovered(ranges, after, end):
    """The stretches of positions after `after` up to `end` that the joined ranges (see
    load_records) do not cover, each as (after, end)."""
    gaps, at = [], after
    for start, stop in ranges:
        if at >= end or start >= end:
            break
        if stop <= at:
            continue
        if start > at:
            gaps.append((at, start))
        at = stop
    if at < end:
        gaps.append((at, end))
    return gaps


def to_fetch(apart, ranges):
    """The records to fetch to join the pairs not joined, in position order, stretches that meet
    (and are alike needed or optional) taken as one: each [after, to, optional], as `tongban
    heads` names them. The pair from the log's start (0) to the lowest head past 0 is optional:
    the log's start is no party's head, so it vouches for none, and the heads are compared with
    each other without it; it adds checking the lowest head against the log's start."""
    fetch = []
    for earlier, later in apart:
        optional = earlier == 0
        for after, to in uncovered(ranges, earlier, later):
            if fetch and fetch[-1][1] == after and fetch[-1][2] == optional:
                fetch[-1][1] = to
            else:
                fetch.append([after, to, optional])
    return fetch


# How many stretches of records to fetch are named one by one (then one request for them all).
FETCH_SHOWN = 5


def fetch_lines(fetch, shown=FETCH_SHOWN):
    """One line per stretch of records to fetch, the needed first, then the optional, each kind
    at most `shown`, then one for the rest of that kind with one request covering all, as
    `tongban heads` prints them."""
    lines = []
    for optional in (False, True):
        kind = [f for f in fetch if f[2] == optional]
        for after, to, _ in kind[:shown]:
            first = after + 1
            positions = f"log position {first}" if first == to else f"log positions {first}-{to}"
            if optional:
                lines.append(
                    f"fetch GET /v1/log/records?after={after}&to={to} (optional; every page, "
                    "following `next`; give the file with --records): the records given do not "
                    f"cover {positions}, from the log's start to the lowest head: not needed to "
                    "compare the heads with each other, it checks the lowest head against the "
                    "log's start (position 0, running hash \"\")"
                )
            else:
                lines.append(
                    f"fetch GET /v1/log/records?after={after}&to={to} (every page, following "
                    f"`next`; give the file with --records): the records given do not cover "
                    f"{positions}, between positions saved heads name"
                )
        if len(kind) > shown:
            more = " optional" if optional else ""
            lines.append(
                f"… and {len(kind) - shown} more{more} stretch(es) to fetch: GET /v1/log/records?"
                f"after={kind[0][0]}&to={kind[-1][1]} covers every one"
            )
    return lines


def compare_heads(heads_paths, key_hex, records_paths=()):
    """With no events given: the heads' signatures, the heads compared among themselves at the
    positions two or more name, and joined over the records given between the positions they
    name. A head proves something against a split view only compared with another party's (a
    gateway shows one party one history throughout): the verdict is OK only when every head is
    so compared: another party's head at its position or a later one, there or over the records
    joining it to it."""
    key = public_key(key_hex)
    by_real_path = parties(heads_paths)
    paths = list(by_real_path.values())
    lines, given, copies = [], 0, 0
    distinct = {}  # (position, hash, at, sig) -> (head, where first read, {its holders})
    for party in by_real_path:
        trusted, unsigned = trusted_heads([by_real_path[party]], key)
        given += len(trusted) + len(unsigned)
        lines.extend(unsigned)
        # A signed head found in several files (exchanged copies of one head) counts once, named
        # where first read; every party holding it is among its holders, and none of them vouches
        # for it (see uncompared): copies compare nothing, whatever the order of the files.
        for head, where in trusted:
            same = (head["position"], head["hash"], head["at"], head["sig"])
            if same in distinct:
                copies += 1
                distinct[same][2].add(party)
            else:
                distinct[same] = (head, where, {party})
    trusted = [(head, where) for head, where, _ in distinct.values()]
    records, ranges, conflicts = load_records(records_paths, key)
    # Heads at 0: INCONSISTENT where not "" (at_start), so FORKED there would say it again.
    forked, shared, _ = forks([(head, where) for head, where in trusted if head["position"] > 0])
    inconsistent, positions, joined, apart = joins(trusted, records, ranges)
    lines.extend(at_start(trusted) + forked + conflicts + inconsistent)
    counted, alone = uncompared(distinct.values(), positions, joined)
    compared = counted - len(alone)
    for line in lines:
        print(line)
    counts = (
        f"{plural(given, 'head')} from {plural(len(paths), 'file')}, {len(trusted) + copies} signed "
        "by the gateway"
        + (f" ({copies} of them a copy of a head read before, counted once)" if copies else "")
        + f"; {compared} of {plural(counted, 'head')} (after position 0) compared with "
        f"another party's (file's); {plural(shared, 'log position')} named by two heads or more; "
        f"{plural(len(joined), 'pair')} of consecutive positions heads name (from the log's start, "
        f"position 0) joined by the records given, {len(apart)} not joined"
    )
    # The records the pairs not joined want, exactly, printed last, as `tongban heads` does.
    fetch = fetch_lines(to_fetch(apart, ranges))
    if lines:
        print(f"BROKEN: {plural(len(lines), 'problem')}; {counts}")
        code = 1
    elif counted and not alone:
        print(
            "OK: every head signed by the gateway, each compared with another party's, one "
            f"running hash at each shared position, one log across each pair the records join; {counts}"
        )
        code = 0
    elif not compared:
        print(
            f"NOTHING COMPARED: {counts}: a head is compared only with another party's (another "
            "file's) at its position or a later one, there or joined to it over the records "
            "between, and none is, so "
            "a gateway showing each party its own history would pass unseen: give the other "
            "parties' heads too, and the records between the positions the heads name (GET "
            "/v1/log/records?after=N&to=M)"
        )
        code = 2
    else:
        named = ", ".join(f"{where} at position {head['position']}" for head, where in alone[:5])
        more = f" and {len(alone) - 5} more" if len(alone) > 5 else ""
        print(
            f"INCOMPLETE: {len(alone)} of {counted} heads compared with no other party's head "
            f"({named}{more}: for each, {NOT_VOUCHED}, so a gateway showing that party its own "
            "history would pass unseen there: give the other parties' heads, and the records "
            f"between (GET /v1/log/records?after=N&to=M)): {counts}"
        )
        code = 2
    for line in fetch:
        print(line)
    return code


def check_heads(heads_paths, entries, key, markers):
    """One BROKEN (or FORKED) line per saved head not signed by the gateway, not reproduced, or
    signed with another hash at a position another head names; the count of those reproduced.
    markers: the positions the pages gave markers for (see load)."""
    listed, lines = trusted_heads(list(parties(heads_paths).values()), key)
    forked, _, _ = forks(listed)
    lines.extend(forked)
    trusted = [head for head, _ in listed]
    found, conflicts = positioned(entries)
    lines.extend(conflicts)
    log = sorted(found.items())
    reproduced = 0
    for head in sorted(trusted, key=lambda h: h["position"]):
        running, last = "", 0
        for position, event_hash in log:
            if position > head["position"]:
                break
            running, last = head_step(running, position, event_hash), position
        named = f"saved head at log position {head['position']} (signed at {head['at']})"
        if not log or log[-1][0] < head["position"]:
            end = log[-1][0] if log else 0
            lines.append(
                f"BROKEN {named}: the feed pages given end at position {end}: the log lost its "
                f"end since (positions {end + 1}-{head['position']} held events when the gateway "
                "signed the head), or the pages stop short of it"
            )
        elif running != head["hash"]:
            missing = unfed(log, head["position"])
            marked = sorted({p for p, _ in markers if p <= head["position"]})
            lines.append(
                f"BROKEN {named}: the running hash over the feed items given is {running} there, "
                f"the head's {head['hash']}: the log up to position {head['position']} is not the "
                "log the gateway signed then (events removed, inserted, changed or reordered at or "
                "before it), or the pages given miss some of its events (give every region's "
                "feed from after=0)"
                + (
                    f"; no feed item given holds log position(s) {missing}: where the log holds "
                    "an event there, the head covers it, and it is either in no page given or "
                    "withheld from every feed by the gateway because it does not verify (its "
                    "application is held: GET /v1/projections/held); such a head is checked "
                    "with `tongban verify --heads` on the log itself"
                    if missing
                    else ""
                )
                + (
                    f"; the feed pages give position(s) {', '.join(str(p) for p in marked[:20])} "
                    "as markers (missing, held or repeated), not events, and the running hash cannot pass "
                    "them"
                    if marked
                    else ""
                )
            )
        else:
            reproduced += 1
    return lines, reproduced


def marker_lines(markers):
    """One line per position a feed page gave a marker for instead of an event, in position
    order: BROKEN for a missing one (the gateway says the log lost the event its feed lists),
    NOT GIVEN for a held one (the gateway withholds an event it will not vouch for), REPEATED for
    a repeated one (an event under a seq its application's history holds at an earlier position,
    which is not its history and fails nothing here); and how many of them are BROKEN."""
    lines, broken = [], 0
    for (position, kind), (says, where) in sorted(markers.items()):
        if kind == "missing":
            lines.append(
                f"BROKEN log position {position}: not given: the feed marks it missing ({where}): "
                "the log holds no event there, though the gateway's feed lists one: removed from "
                "the log; `tongban verify` on the log names every such position"
            )
            broken += 1
        elif kind == "repeated":
            lines.append(
                f"REPEATED log position {position}: the feed marks it repeated ({where}): the log "
                f"holds there an event of application {says.get('app')} under its seq "
                f"{says.get('seq')}, which its history holds at an earlier position (a copy, or "
                "another event under that seq, published on the stream by something other than a "
                "gateway): not its history, and not checked here: `tongban verify` on the log "
                "names what it is"
            )
        else:
            lines.append(
                f"NOT GIVEN log position {position}: the feed marks it held ({where}): the gateway "
                f"withholds the event there, which holds application {says.get('app')} "
                f"({says.get('reason')}); it is not checked here: `tongban verify` on the log "
                "names what is wrong with it"
            )
    return lines, broken


def not_history_lines(not_history, apps, only_app):
    """One line per log position an events answer names under `not_history`, by application and
    position: NOT HISTORY, which changes no verdict (the answer's events are checked as its
    chain, and the message is not among them), or BROKEN where it names a seq the answer's events
    do not hold (the answer contradicts itself: such a message is one stored after the history's
    own event under that seq); and how many are BROKEN. With --app, only that application's."""
    lines, broken = [], 0
    for (app, position), (seq, problem, where) in sorted(not_history.items()):
        if only_app is not None and app != only_app:
            continue
        held = app in apps and any(e["seq"] == seq for e in apps[app].events)
        if held:
            lines.append(
                f"NOT HISTORY {app} log position {position} (seq {seq}): the answer names it as "
                f"not the application's history ({where}: {problem}); it is not among the events "
                f"checked here; `tongban verify --app {app}` on the log names it as a break of the log"
            )
        else:
            lines.append(
                f"BROKEN {app} log position {position} (seq {seq}): the answer names it as not the "
                f"application's history ({where}), beside a history that holds no seq {seq}: the "
                "answer contradicts itself"
            )
            broken += 1
    return lines, broken


def check(path, key_hex, only_app=None, earlier=(), heads=None):
    key = public_key(key_hex)
    entries, feed_page, markers, not_history = load(path)
    marked, broken = marker_lines(markers)
    for line in marked:
        print(line)
    if not entries:
        if broken:
            print(f"BROKEN: {plural(broken, 'problem')}; the file holds no events to check")
            return 1
        kind = f" (a feed page: nothing after position {feed_page.get('after')})" if feed_page else ""
        if os.path.getsize(path) == 0:
            # `curl -f` saves nothing when the gateway answers an error (a 500 naming a corrupt
            # log among them): an empty file is a failed download, not an empty history.
            kind = " (the file is empty, 0 bytes: did the download fail? save the answer with curl -s --fail-with-body and read it)"
        print(f"EMPTY: {path} holds no events{kind}; nothing was checked")
        return 2
    apps = by_application(entries)
    if only_app is not None:
        # Only the application asked about is checked: feed pages and a stream dump hold the
        # others' events too, left aside (an events answer or bare events of another
        # application are BROKEN, below).
        apps = {app: chain for app, chain in apps.items() if app == only_app}
    count = 0
    unsigned = 0
    partial = 0
    for line in strangers(entries, only_app):
        print(line)
        broken += 1
    if only_app is not None and only_app not in apps:
        print(f"BROKEN {only_app}: no event of this application in {path} (--app)")
        broken += 1
    loose = 0
    for app, chain in apps.items():
        first = chain.events[0]["seq"]
        if first > 1 and not chain.whole and chain.start is not None:
            # On a region's feed pages from after=0, which hold every event of its applications
            # from seq 1: the events before this one are gone.
            print(
                f"BROKEN {app} seq {first}: its first event in this input, though it is in region "
                f"{chain.start.region}'s feed read from after=0 ({chain.start.where}), which holds "
                f"every event of the region's applications from seq 1: {span(1, first - 1)} missing"
            )
            broken += 1
            prev_seq, prev_hash = first - 1, None
        elif first > 1 and not chain.whole:
            # Only in feed items: a window of the log that starts after the chain does.
            print(
                f"PARTIAL {app}: starts at seq {first} in this input; its link to seq {first - 1} "
                f"is not checked ({window_advice(chain)})"
            )
            partial += 1
            prev_seq, prev_hash = first - 1, None
        else:
            prev_seq, prev_hash = 0, ""
        for e, position, first in chain.copies:
            print(
                f"BROKEN {app} seq {e['seq']}: a second copy of this event at log position "
                f"{position}, the one given first at log position {first}: the log stores it "
                "twice (published again on the stream, or written again), left out of the chain"
            )
            broken += 1
        hashes = {}  # seq -> hash of the event checked under it first
        for e in chain.events:
            count += 1
            # A second, different event under a seq already checked (identical copies count
            # once): said so, and checked against the event before that seq, not against its
            # twin, which it does not claim to follow.
            twin = e["seq"] in hashes
            if twin:
                before = "" if e["seq"] == 1 else hashes.get(e["seq"] - 1)
                found = [f"a second, different event under seq {e['seq']} (which one the gateway appended, the chain cannot tell; the other is checked above)"]
                found += [p for p in problems_of(e, e["seq"] - 1, before, key)]
            else:
                found = problems_of(e, prev_seq, prev_hash, key)
            for p in found:
                print(f"BROKEN {app} seq {e['seq']}: {p}")
                broken += 1
                unsigned += p.startswith("signature")
            at = inexact(e.get("data"), "/data")
            if at:
                print(
                    f"INEXACT {app} seq {e['seq']}: {at} holds an integer beyond +-(2^53 - 1); the "
                    "hash covers the nearest IEEE double, so any integer that rounds alike verifies "
                    "the same: the signature does not bind this value exactly"
                )
                loose += 1
            if not twin:
                hashes[e["seq"]] = e["hash"]
                prev_seq, prev_hash = e["seq"], e["hash"]
    beside, contradicted = not_history_lines(not_history, apps, only_app)
    for line in beside:
        print(line)
    broken += contradicted
    reproduced = None
    if heads is not None:
        lines, reproduced = check_heads(heads, entries, key, markers)
        for line in lines:
            print(line)
        broken += len(lines)
    kept = []
    for earlier_path in earlier:
        lines, n, unseen = since(earlier_path, apps, only_app)
        for line in lines:
            print(line)
        broken += len(lines)
        not_looked_for = (
            f" ({unseen} not looked for: before where a PARTIAL chain starts)" if unseen else ""
        )
        kept.append(f"{plural(n, 'event')} of {earlier_path}{not_looked_for}")
    if broken:
        print(
            f"BROKEN: {plural(broken, 'problem')} in {plural(count, 'event')} "
            f"of {plural(len(apps), 'application')}"
        )
        if unsigned == count > 1:
            print(
                f"No event's signature verifies under the key {key_hex.strip()}: "
                "is it the gateway's key as recorded from GET /v1/keys?"
            )
        return 1
    if loose:
        # Said before the verdict, which stands: the chains hold.
        print(f"({plural(loose, 'event')} holding an integer the signature does not bind exactly: INEXACT above)")
    still = f"; still there, unchanged: {', '.join(kept)}" if kept else ""
    if reproduced is not None:
        still += f"; {plural(reproduced, 'saved log head')} reproduced"
    if marked:
        still += f"; {plural(len(marked), 'log position')} given as a held or repeated marker, not checked (NOT GIVEN or REPEATED above)"
    if beside:
        still += (
            f"; {plural(len(beside), 'log position')} the answer names as not the application's "
            "history, not checked as events (NOT HISTORY above)"
        )
    if partial:
        print(
            f"OK: {plural(count, 'event')} of {plural(len(apps), 'application')}, every link given "
            f"intact; {partial} of them {'starts' if partial == 1 else 'start'} after seq 1, "
            f"the link before not checked (PARTIAL above){still}"
        )
        return 0
    # The suite (tests/e2e_operators.rs) reads this line as it is.
    print(f"OK: {plural(count, 'event')} of {plural(len(apps), 'application')}, every chain intact{still}")
    if not earlier:
        # What the chains alone cannot show, said where it is easy to miss.
        print(
            "(An application's latest events removed leave a shorter chain that is intact: "
            "give --earlier FILE, events or answers kept before, to find them.)"
        )
    return 0


class Once(argparse.Action):
    """An option that takes one value: given twice, refused (exit 2), as tongban refuses it,
    never the last one taken."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, self.dest) is not None:
            parser.error(f"{option_string} is given more than once: give it once")
        setattr(namespace, self.dest, values)


def main():
    # No abbreviations (--hea for --heads): an option is named whole, as tongban takes it.
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    parser.add_argument(
        "--key", required=True, action=Once, help="gateway public key, hex (public_key_hex, as recorded)"
    )
    parser.add_argument(
        "--app",
        action=Once,
        help="the application asked about: its chain must be in EVENTS_FILE, and no other",
    )
    parser.add_argument(
        "--earlier",
        action="append",
        default=[],
        metavar="FILE",
        help="events kept before (an events answer, feed pages, action answers): each must still be "
        "in EVENTS_FILE, unchanged; may be given more than once",
    )
    parser.add_argument(
        "--heads",
        action="append",
        metavar="FILE",
        help="log heads saved from GET /v1/log/head (JSON Lines): each must be reproduced by the "
        "running hash over the feed items given (every region's feed from after=0), and heads at "
        "one position must agree; may be given more than once (each party's file); without "
        "EVENTS_FILE, the heads are compared among themselves, and joined by --records: every "
        "head must be compared with another file's",
    )
    parser.add_argument(
        "--records",
        action="append",
        metavar="FILE",
        help="without EVENTS_FILE only: records pages saved from GET /v1/log/records?after=N&to=M "
        "(each record's hash, which the running hash takes in at its position), each signed by "
        "the gateway (a page whose signature does not verify under --key is BROKEN and not used): "
        "the running hash carried from a head over them must reach the heads at the next position "
        "heads name; may be given more than once",
    )
    parser.add_argument("events", nargs="?", metavar="EVENTS_FILE")
    args = parser.parse_args()
    if args.events is not None and args.records:
        parser.error(
            "--records goes with --heads alone, without EVENTS_FILE: with EVENTS_FILE the heads "
            "are reproduced from the feed pages' events themselves; join heads over records in a "
            "run of its own (--heads FILE [--heads FILE]... [--records FILE]...)"
        )
    if args.events is None:
        if not args.heads or args.app is not None or args.earlier:
            parser.error(
                "EVENTS_FILE is required, but with --heads alone (the heads compared among "
                "themselves, and joined by --records, without events)"
            )
        try:
            return compare_heads(args.heads, args.key, args.records or ())
        except Unusable as e:
            print(f"verify_chain.py: {e}", file=sys.stderr)
            return 2
    try:
        return check(args.events, args.key, args.app, args.earlier, args.heads)
    except Unusable as e:
        print(f"verify_chain.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Its output piped into `head`, which stopped reading: not a failure of the check. The
        # exit code is the pipe's (as any filter's), and no traceback hides the lines shown.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    sys.exit(code)
