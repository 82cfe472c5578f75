#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Queries vigil's JSON Lines event log (stderr with --log-format json).

  evq.py check FILE            every non-empty line is a JSON object with ts (RFC 3339, UTC,
                               milliseconds), level and event; prints the offending lines
  evq.py count FILE SEL        number of events matching SEL
  evq.py get FILE SEL N FIELD  FIELD of the Nth (1-based) event matching SEL: strings as they
                               are, anything else as JSON; '<none>' without such an event,
                               '<missing>' without such a field
  evq.py ms FILE SEL N         the Nth matching event's ts as Unix milliseconds ('<none>')
  evq.py obj TEXT              TEXT is exactly one line holding one JSON object

SEL is EVENT or EVENT,KEY=VALUE,... (VALUE compared with the field as printed by get).
"""
import datetime
import json
import re
import sys

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def text_of(value):
    return value if isinstance(value, str) else json.dumps(value)


def load(path):
    events = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                events.append(obj)
    return events


def select(events, sel):
    name, *conds = sel.split(",")
    pairs = [c.split("=", 1) for c in conds]
    return [e for e in events
            if e.get("event") == name and all(k in e and text_of(e[k]) == v for k, v in pairs)]


def main(argv):
    cmd = argv[1]
    if cmd == "obj":
        lines = [l for l in argv[2].split("\n") if l.strip()]
        try:
            ok = len(lines) == 1 and isinstance(json.loads(lines[0]), dict)
        except ValueError:
            ok = False
        return 0 if ok else 1
    path = argv[2]
    if cmd == "check":
        bad = 0
        seen = 0
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    continue
                seen += 1
                try:
                    obj = json.loads(line)
                    good = (isinstance(obj, dict) and isinstance(obj.get("ts"), str)
                            and TS.match(obj["ts"]) is not None
                            and isinstance(obj.get("level"), str)
                            and isinstance(obj.get("event"), str))
                except ValueError:
                    good = False
                if not good:
                    bad += 1
                    print("not an event: " + line.rstrip("\n"))
        return 0 if bad == 0 and seen > 0 else 1
    found = select(load(path), argv[3])
    if cmd == "count":
        print(len(found))
        return 0
    n = int(argv[4])
    if n > len(found):
        print("<none>")
        return 0
    event = found[n - 1]
    if cmd == "get":
        field = argv[5]
        print(text_of(event[field]) if field in event else "<missing>")
    elif cmd == "ms":
        ts = datetime.datetime.strptime(event["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
        ts = ts.replace(tzinfo=datetime.timezone.utc)
        print(int(round(ts.timestamp() * 1000)))
    else:
        print("evq.py: unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
