"""A ctypes client of libokr_ffi running an OKR cycle and asserting the results.

Usage: python3 test_cycle.py <path to libokr_ffi.so>
"""

import ctypes
import json
import sys

OK, NULL_ARGUMENT, INVALID_UTF8, MALFORMED_JSON, INVALID_COMMAND, REJECTED = range(6)
NOT_FOUND, CLOSED = 8, 9
INVALID_QUERY, INVALID_ARGUMENT, TOO_LARGE = 14, 16, 19


class Okr:
    """Thin wrapper: JSON in, JSON out, errors as exceptions carrying the code."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        c_p = ctypes.c_void_p
        lib.okr_version.restype = ctypes.c_char_p
        lib.okr_abi_version.restype = ctypes.c_uint32
        lib.okr_result_str.restype = ctypes.c_char_p
        lib.okr_result_str.argtypes = [ctypes.c_uint32]
        lib.okr_engine_open.restype = ctypes.c_uint32
        lib.okr_engine_open.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                        ctypes.c_size_t, ctypes.POINTER(c_p), ctypes.POINTER(c_p)]
        for name in ("okr_engine_execute", "okr_engine_query", "okr_engine_execute_batch",
                     "okr_engine_validate"):
            f = getattr(lib, name)
            f.restype = ctypes.c_uint32
            f.argtypes = [c_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(c_p),
                          ctypes.POINTER(c_p)]
        lib.okr_engine_export.restype = ctypes.c_uint32
        lib.okr_engine_export.argtypes = [c_p, ctypes.POINTER(c_p), ctypes.POINTER(c_p)]
        lib.okr_engine_import.restype = ctypes.c_uint32
        lib.okr_engine_import.argtypes = [c_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(c_p)]
        lib.okr_engine_events_since.restype = ctypes.c_uint32
        lib.okr_engine_events_since.argtypes = [c_p, ctypes.c_uint64, ctypes.c_size_t,
                                                ctypes.POINTER(c_p), ctypes.POINTER(c_p)]
        lib.okr_engine_flush.restype = ctypes.c_uint32
        lib.okr_engine_flush.argtypes = [c_p, ctypes.POINTER(c_p)]
        lib.okr_engine_subscribe.restype = ctypes.c_uint32
        lib.okr_engine_subscribe.argtypes = [c_p, ctypes.c_uint64, ctypes.POINTER(c_p),
                                             ctypes.POINTER(c_p)]
        lib.okr_subscription_next.restype = ctypes.c_uint32
        lib.okr_subscription_next.argtypes = [c_p, ctypes.c_size_t, ctypes.c_uint64,
                                              ctypes.POINTER(c_p), ctypes.POINTER(c_p)]
        lib.okr_subscription_free.argtypes = [c_p]
        lib.okr_engine_shutdown.restype = ctypes.c_uint32
        lib.okr_engine_shutdown.argtypes = [c_p, ctypes.POINTER(c_p)]
        lib.okr_engine_close.argtypes = [c_p]
        lib.okr_bytes_data.restype = ctypes.POINTER(ctypes.c_char)
        lib.okr_bytes_data.argtypes = [c_p]
        lib.okr_bytes_len.restype = ctypes.c_size_t
        lib.okr_bytes_len.argtypes = [c_p]
        lib.okr_bytes_free.argtypes = [c_p]
        lib.okr_error_code.restype = ctypes.c_uint32
        lib.okr_error_code.argtypes = [c_p]
        lib.okr_error_message.restype = ctypes.c_char_p
        lib.okr_error_message.argtypes = [c_p]
        lib.okr_error_free.argtypes = [c_p]
        self.lib = lib

    def take_bytes(self, out):
        try:
            return ctypes.string_at(self.lib.okr_bytes_data(out), self.lib.okr_bytes_len(out))
        finally:
            self.lib.okr_bytes_free(out)

    def check(self, rc, err):
        if rc != OK:
            message = self.lib.okr_error_message(err).decode()
            code = self.lib.okr_error_code(err)
            self.lib.okr_error_free(err)
            assert code == rc, (code, rc)
            raise OkrError(rc, message)

    def open(self, path=":memory:", options=b""):
        engine, err = ctypes.c_void_p(), ctypes.c_void_p()
        p = path.encode()
        rc = self.lib.okr_engine_open(p, len(p), options, len(options), ctypes.byref(engine),
                                      ctypes.byref(err))
        self.check(rc, err)
        return engine

    def call(self, fn, engine, message):
        data = message if isinstance(message, bytes) else json.dumps(message).encode()
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        rc = fn(engine, data, len(data), ctypes.byref(out), ctypes.byref(err))
        self.check(rc, err)
        return json.loads(self.take_bytes(out))

    def execute(self, engine, command):
        return self.call(self.lib.okr_engine_execute, engine, command)

    def query(self, engine, q):
        return self.call(self.lib.okr_engine_query, engine, q)


class OkrError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def uid(n):
    return f"00000000-0000-0000-0000-{n:012d}"


MASTER, LEAD, MEMBER = uid(1), uid(2), uid(3)
ROOT, TEAM, CYCLE, OBJECTIVE, KR1, KR2 = uid(100), uid(101), uid(200), uid(300), uid(400), uid(401)


def commander(okr, engine, series):
    """A function that executes a command on `engine` with the next command id of `series`."""
    n = [0]

    def run(actor, at, body):
        n[0] += 1
        return okr.execute(engine, {
            "version": 1,
            "envelope": {"command_id": f"00000000-0000-0000-{series:04d}-{n[0]:012d}",
                         "actor": actor, "at": at},
            "body": body,
        })

    return run


def organise(run, t0):
    """The federation with its OKR master, the team Permits with its lead, and the cycle
    2025-Q1 in planning."""
    run(MASTER, t0, {"type": "define_unit", "unit": ROOT, "name": "Federation", "kind": "organisation"})
    run(MASTER, t0, {"type": "register_person", "person": MASTER, "name": "Alex"})
    run(MASTER, t0, {"type": "grant_membership", "unit": ROOT, "person": MASTER, "role": "okr_master"})
    run(MASTER, t0, {"type": "define_unit", "unit": TEAM, "name": "Permits", "kind": "team", "parent": ROOT})
    run(MASTER, t0, {"type": "register_person", "person": LEAD, "name": "Lee"})
    run(MASTER, t0, {"type": "grant_membership", "unit": TEAM, "person": LEAD, "role": "lead"})


def board_case(okr):
    """The board query on its own engine: three initiatives of a running cycle, ranked by
    impact over effort in their columns, the TOP-3 without the done one, a unit scope."""
    engine = okr.open()
    run = commander(okr, engine, 2)
    t0 = "2025-01-02T09:00:00Z"
    organise(run, t0)
    run(MASTER, t0, {"type": "plan_cycle", "cycle": CYCLE, "name": "2025-Q1", "kind": "regular",
                     "start": "2025-01-06", "end": "2025-03-28", "check_in_weekday": "Mon"})
    run(LEAD, t0, {"type": "draft_objective", "cycle": CYCLE, "objective": OBJECTIVE, "unit": TEAM,
                   "title": "Citizens get building permits faster", "beneficiary": "citizens",
                   "kind": "committed"})
    run(LEAD, t0, {"type": "add_key_result", "objective": OBJECTIVE, "key_result": KR1,
                   "title": "Share of permits decided online",
                   "kind": {"type": "increase", "baseline": 10, "target": 50, "unit": "%"}})
    run(LEAD, t0, {"type": "commit_objective", "objective": OBJECTIVE})
    run(MASTER, "2025-01-06T08:00:00Z", {"type": "start_cycle", "cycle": CYCLE})
    for i, (title, effort, impact) in enumerate([("Form online", 2, 4), ("Chatbot", 5, 5),
                                                 ("FAQ page", 1, 3), ("Print flyers", 1, 1)]):
        run(LEAD, "2025-01-13T09:00:00Z", {"type": "add_initiative", "key_result": KR1,
                                           "initiative": uid(600 + i), "title": title,
                                           "effort": effort, "impact": impact})
    run(LEAD, "2025-01-20T09:00:00Z", {"type": "move_initiative", "initiative": uid(602), "status": "done"})
    run(LEAD, "2025-01-20T09:00:00Z", {"type": "move_initiative", "initiative": uid(600), "status": "doing"})
    answer = okr.query(engine, {"version": 1, "query": "board", "cycle": CYCLE})
    assert answer["version"] == 1 and answer["query"] == "board", answer
    board = answer["board"]
    assert board["scope"] == "cycle" and board["cycle_name"] == "2025-Q1", board
    # FAQ page (3/1) is done; Form online (4/2 = 2.0), Chatbot (5/5 = 1.0), Print flyers (1/1 = 1.0,
    # less impact than the chatbot).
    assert [c["title"] for c in board["top3"]] == ["Form online", "Chatbot", "Print flyers"], board["top3"]
    assert [c["title"] for c in board["columns"]["todo"]] == ["Chatbot", "Print flyers"], board["columns"]
    assert [c["priority"] for c in board["columns"]["todo"]] == [1000, 1000]
    assert [c["title"] for c in board["columns"]["done"]] == ["FAQ page"]
    lane = board["units"][0]["objectives"][0]["key_results"][0]
    assert lane["key_result"] == KR1 and [c["title"] for c in lane["columns"]["doing"]] == ["Form online"]
    by_unit = okr.query(engine, {"query": "board", "unit": TEAM})["board"]
    assert by_unit["scope"] == {"unit": TEAM} and by_unit["columns"] == board["columns"], by_unit
    try:
        okr.query(engine, {"query": "board", "unit": TEAM, "objective": OBJECTIVE})
        raise AssertionError("accepted two scopes")
    except OkrError as e:
        assert e.code == INVALID_QUERY and "at most one" in e.message, e.message
    try:
        okr.query(engine, {"query": "board", "key_result": uid(999)})
        raise AssertionError("accepted an unknown key result")
    except OkrError as e:
        assert e.code == NOT_FOUND and uid(999) in e.message, e.message
    okr.lib.okr_engine_close(engine)


def main():
    okr = Okr(sys.argv[1])
    board_case(okr)
    assert okr.lib.okr_abi_version() == 1
    assert okr.lib.okr_version().decode().count(".") == 2
    assert okr.lib.okr_result_str(REJECTED) == b"the command was rejected by the OKR rules"
    engine = okr.open(options=b'{"version":1,"snapshot_every":4}')
    run = commander(okr, engine, 1)
    t0 = "2025-01-02T09:00:00Z"
    organise(run, t0)
    run(MASTER, t0, {"type": "register_person", "person": MEMBER, "name": "Mo"})
    run(MASTER, t0, {"type": "grant_membership", "unit": TEAM, "person": MEMBER, "role": "member"})
    run(MASTER, "2025-01-03T09:00:00Z", {
        "type": "plan_cycle", "cycle": CYCLE, "name": "2025-Q1", "kind": "regular",
        "start": "2025-01-06", "end": "2025-03-28", "check_in_weekday": "Mon"})
    run(LEAD, "2025-01-03T10:00:00Z", {
        "type": "draft_objective", "cycle": CYCLE, "objective": OBJECTIVE, "unit": TEAM,
        "title": "Citizens get building permits faster", "beneficiary": "citizens",
        "kind": "committed"})
    outcome = run(LEAD, "2025-01-03T10:05:00Z", {
        "type": "add_key_result", "objective": OBJECTIVE, "key_result": KR1,
        "title": "Share of permits decided online", "weight": 2, "owner": MEMBER,
        "kind": {"type": "increase", "baseline": 10, "target": 50, "unit": "%"}})
    assert outcome["version"] == 1 and outcome["duplicate"] is False
    assert outcome["events"][0]["body"]["type"] == "key_result_added", outcome
    run(LEAD, "2025-01-03T10:06:00Z", {
        "type": "add_key_result", "objective": OBJECTIVE, "key_result": KR2,
        "title": "Days to a decision",
        "kind": {"type": "decrease", "baseline": 30, "target": 10, "unit": "days"}})
    run(LEAD, "2025-01-03T11:00:00Z", {"type": "commit_objective", "objective": OBJECTIVE})
    run(MASTER, "2025-01-06T08:00:00Z", {"type": "start_cycle", "cycle": CYCLE})
    first = run(MEMBER, "2025-01-13T09:00:00Z",
                {"type": "check_in", "key_result": KR1, "value": 30, "confidence": 7})["positions"][-1]
    run(MEMBER, "2025-01-20T09:00:00Z", {"type": "check_in", "key_result": KR2, "value": 20, "confidence": 6})
    run(MEMBER, "2025-03-24T09:00:00Z", {"type": "check_in", "key_result": KR1, "value": 50, "confidence": 9})
    run(MASTER, "2025-03-29T09:00:00Z", {"type": "begin_review", "cycle": CYCLE})
    run(MASTER, "2025-04-01T09:00:00Z", {"type": "begin_retrospective", "cycle": CYCLE})
    run(LEAD, "2025-04-01T10:00:00Z", {"type": "add_retro_item", "cycle": CYCLE, "item": uid(500),
                                       "kind": "improve", "text": "baseline earlier"})
    run(MASTER, "2025-04-02T09:00:00Z", {"type": "close_cycle", "cycle": CYCLE})

    rollup = okr.query(engine, {"version": 1, "query": "rollup", "cycle": CYCLE})
    assert rollup["version"] == 1 and rollup["query"] == "rollup"
    assert rollup["rollup"]["cycle"] == 833333, rollup
    assert rollup["rollup"]["key_results"][KR1]["progress_ppm"] == 1000000
    assert rollup["rollup"]["key_results"][KR2]["progress_ppm"] == 500000
    past = okr.query(engine, {"version": 1, "query": "as_of", "position": first, "cycle": CYCLE})
    assert past["cycle"]["phase"] == "running" and past["rollup"]["cycle"] == 333333, past
    scores = okr.query(engine, {"query": "rescore", "cycle": CYCLE, "policy": "equal"})
    assert scores["scores"]["cycle"] == 750000, scores

    # Refusals: wrong phase (the message is the rejection as JSON), malformed JSON.
    try:
        run(MEMBER, "2025-04-03T09:00:00Z", {"type": "check_in", "key_result": KR1, "value": 1, "confidence": 1})
        raise AssertionError("accepted after close")
    except OkrError as e:
        assert e.code == REJECTED
        rejection = json.loads(e.message)
        assert rejection["rejection"] == "wrong_phase" and rejection["phase"] == "closed", rejection
    try:
        okr.query(engine, b'{"query": ')
        raise AssertionError("accepted malformed JSON")
    except OkrError as e:
        assert e.code == MALFORMED_JSON and "line 1" in e.message, e.message

    # Polling and export/import.
    out = ctypes.c_void_p()
    rc = okr.lib.okr_engine_events_since(engine, 0, 1000, ctypes.byref(out), None)
    assert rc == OK
    page = json.loads(okr.take_bytes(out))
    assert len(page["events"]) == 21 and page["next_position"] == 21
    rc = okr.lib.okr_engine_export(engine, ctypes.byref(out), None)
    assert rc == OK
    log = okr.take_bytes(out)
    copy = okr.open()
    okr.check(okr.lib.okr_engine_import(copy, log, len(log), None), None)
    assert okr.query(copy, {"query": "rollup", "cycle": CYCLE})["rollup"] == rollup["rollup"]
    okr.lib.okr_engine_close(copy)

    # The ends of the log: 21 is the next position (empty page), 22 is beyond; max 0 is refused.
    rc = okr.lib.okr_engine_events_since(engine, 21, 10, ctypes.byref(out), None)
    assert rc == OK and json.loads(okr.take_bytes(out)) == {"version": 1, "events": [], "next_position": 21}
    assert okr.lib.okr_engine_events_since(engine, 22, 10, ctypes.byref(out), None) == NOT_FOUND
    assert okr.lib.okr_engine_events_since(engine, 0, 0, ctypes.byref(out), None) == INVALID_ARGUMENT

    # Report, stats and cycles; version 1.0 is version 1 (as PHP's json_encode writes it).
    report = okr.query(engine, {"version": 1.0, "query": "report"})["report"]
    assert report["cycle"]["phase"] == "closed" and report["units"], report
    stats = okr.query(engine, {"query": "stats"})["stats"]
    assert len(stats["cycles"]) == 1, stats
    assert okr.query(engine, {"query": "cycles"})["cycles"][0]["id"] == CYCLE

    # Validate decides without writing; a repeated key and an over-long text are refused.
    dry = okr.call(okr.lib.okr_engine_validate, engine, {
        "envelope": {"command_id": uid(0x10000), "actor": MASTER, "at": "2025-04-03T09:00:00Z"},
        "body": {"type": "rename_unit", "unit": ROOT, "name": "Verbund"}})
    assert dry["duplicate"] is False and dry["events"][0]["body"]["type"] == "unit_renamed", dry
    assert okr.query(engine, {"query": "position"})["position"] == 20
    try:
        okr.query(engine, b'{"query":"position","query":"state"}')
        raise AssertionError("accepted a repeated key")
    except OkrError as e:
        assert e.code == INVALID_QUERY and "`query`" in e.message, e.message
    try:
        run(MASTER, "2025-04-03T09:00:00Z", {"type": "rename_unit", "unit": ROOT, "name": "x" * 10001})
        raise AssertionError("accepted an over-long name")
    except OkrError as e:
        assert e.code == TOO_LARGE and "`body.name`" in e.message, e.message
    assert okr.lib.okr_engine_flush(engine, None) == OK

    # A subscription: the last event, then a live one.
    sub = ctypes.c_void_p()
    assert okr.lib.okr_engine_subscribe(engine, 20, ctypes.byref(sub), None) == OK
    assert okr.lib.okr_subscription_next(sub, 10, 0, ctypes.byref(out), None) == OK
    page = json.loads(okr.take_bytes(out))
    assert [e["position"] for e in page["events"]] == [20] and page["next_position"] == 21, page
    run(MASTER, "2025-04-03T09:00:00Z", {"type": "rename_unit", "unit": ROOT, "name": "Verbund"})
    assert okr.lib.okr_subscription_next(sub, 10, 1000, ctypes.byref(out), None) == OK
    page = json.loads(okr.take_bytes(out))
    assert page["events"][0]["event_type"] == "unit_renamed", page
    okr.lib.okr_subscription_free(sub)

    # A path with a NUL byte is an invalid argument.
    try:
        okr.open("okr\0.db")
        raise AssertionError("opened a path with NUL")
    except OkrError as e:
        assert e.code == INVALID_ARGUMENT, e

    # Frees accept NULL; a shut-down handle answers CLOSED.
    okr.lib.okr_bytes_free(None)
    okr.lib.okr_error_free(None)
    okr.lib.okr_engine_close(None)
    assert okr.lib.okr_engine_shutdown(engine, None) == OK
    try:
        okr.query(engine, {"query": "position"})
        raise AssertionError("a closed handle answered")
    except OkrError as e:
        assert e.code == CLOSED, e
    okr.lib.okr_engine_close(engine)
    print("test_cycle.py: ok")


if __name__ == "__main__":
    main()
