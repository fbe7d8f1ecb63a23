"""A Python client of `okr serve` (standard library only): commands, a retry, a refusal,
queries, the event cursor and the live feed.

Usage: python3 test_http.py <base URL> <token>
"""

import json
import sys
import urllib.error
import urllib.request

BASE, TOKEN = sys.argv[1], sys.argv[2]
API = BASE + "/v1/orgs/kreis-a"
ALEX = "00000000-0000-0000-0000-000000000001"


def call(method, path, body=None, token=TOKEN):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(API + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def command(n, body):
    return {"version": 1.0,  # as PHP's json_encode writes it
            "envelope": {"command_id": "00000000-0000-0000-0002-%012d" % n, "actor": ALEX,
                         "at": "2025-01-06T09:00:00Z"},
            "body": body}


def main():
    status, e = call("POST", "/query", {"query": "position"}, token=None)
    assert status == 401 and e["name"] == "UNAUTHORIZED", (status, e)
    first = command(1, {"type": "register_person", "person": ALEX, "name": "Alex"})
    status, out = call("POST", "/commands", first)
    assert status == 200 and out["positions"] == [0], out
    status, out = call("POST", "/commands", first)
    assert status == 200 and out["duplicate"] is True, out
    status, e = call("POST", "/commands", command(2, {"type": "register_person", "person": ALEX, "name": "A"}))
    assert status == 422 and e["rejection"]["rejection"] == "already_exists", e
    status, e = call("POST", "/commands", command(3, {"type": "register_person", "person": ALEX, "name": 5}))
    assert status == 400 and "`body.name`" in e["message"], e
    status, e = call("POST", "/query", b'{"query":"position","query":"state"}')
    assert status == 400 and "more than once" in e["message"], e
    for n in range(4, 8):
        status, _ = call("POST", "/commands", command(n, {
            "type": "register_person", "person": "00000000-0000-0000-0000-%012d" % (100 + n), "name": "P%d" % n}))
        assert status == 200
    # Walk the log with the cursor, two at a time.
    seen, cursor = [], 0
    while True:
        status, page = call("GET", "/events?from=%d&limit=2" % cursor)
        assert status == 200, page
        if not page["events"]:
            break
        seen += [e["position"] for e in page["events"]]
        cursor = page["next_position"]
    assert seen == list(range(5)), seen
    # The live feed from position 4: one event, read as server-sent events.
    req = urllib.request.Request(API + "/events/stream?from=4")
    req.add_header("Authorization", "Bearer " + TOKEN)
    with urllib.request.urlopen(req, timeout=20) as r:
        assert r.headers["Content-Type"] == "text/event-stream"
        event_id = None
        for raw in r:
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = int(line[4:])
            if line.startswith("data: "):
                record = json.loads(line[6:])
                assert record["position"] == 4 == event_id, (record, event_id)
                break
    status, q = call("POST", "/query", {"query": "state"})
    assert status == 200 and len(q["state"]["people"]) == 5, q["state"].keys()
    print("test_http.py: ok")


if __name__ == "__main__":
    main()
