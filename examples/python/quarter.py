"""A quarter of OKR from Python through the C ABI of okr (ctypes, no other dependency).

    cargo build --release -p okr-ffi
    python3 examples/python/quarter.py [path/to/libokr_ffi.so]

Without an argument the library is taken from $OKR_LIB or target/release/ of this workspace.
"""

import ctypes
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIB = os.path.join(HERE, "..", "..", "target", "release", "libokr_ffi.so")


class OkrError(Exception):
    """A failed call: `code` is the okr_result number, `message` the error's text."""

    def __init__(self, code, message):
        super().__init__(f"okr error {code}: {message}")
        self.code, self.message = code, message


class Engine:
    """An okr engine: JSON-able dicts in, dicts out."""

    def __init__(self, lib_path, path=":memory:", options=None):
        lib = ctypes.CDLL(lib_path)
        p = ctypes.c_void_p
        lib.okr_version.restype = ctypes.c_char_p
        lib.okr_engine_open.restype = ctypes.c_uint32
        lib.okr_engine_open.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                        ctypes.c_size_t, ctypes.POINTER(p), ctypes.POINTER(p)]
        for f in (lib.okr_engine_execute, lib.okr_engine_query):
            f.restype = ctypes.c_uint32
            f.argtypes = [p, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(p), ctypes.POINTER(p)]
        lib.okr_engine_close.argtypes = [p]
        lib.okr_bytes_data.restype = p
        lib.okr_bytes_data.argtypes = [p]
        lib.okr_bytes_len.restype = ctypes.c_size_t
        lib.okr_bytes_len.argtypes = [p]
        lib.okr_bytes_free.argtypes = [p]
        lib.okr_error_message.restype = ctypes.c_char_p
        lib.okr_error_message.argtypes = [p]
        lib.okr_error_free.argtypes = [p]
        self.lib = lib
        self.handle = p()
        err = p()
        path_b = path.encode()
        opts = json.dumps(options).encode() if options else b""
        rc = lib.okr_engine_open(path_b, len(path_b), opts, len(opts), ctypes.byref(self.handle),
                                 ctypes.byref(err))
        self._check(rc, err)

    def _check(self, rc, err):
        if rc != 0:
            message = self.lib.okr_error_message(err).decode()
            self.lib.okr_error_free(err)
            raise OkrError(rc, message)

    def _call(self, fn, message):
        data = json.dumps(message).encode()
        out, err = ctypes.c_void_p(), ctypes.c_void_p()
        rc = fn(self.handle, data, len(data), ctypes.byref(out), ctypes.byref(err))
        self._check(rc, err)
        try:
            return json.loads(ctypes.string_at(self.lib.okr_bytes_data(out), self.lib.okr_bytes_len(out)))
        finally:
            self.lib.okr_bytes_free(out)

    def execute(self, command):
        return self._call(self.lib.okr_engine_execute, command)

    def query(self, query):
        return self._call(self.lib.okr_engine_query, query)

    def close(self):
        self.lib.okr_engine_close(self.handle)
        self.handle = None


def uid(n):
    return f"00000000-0000-0000-0000-{n:012d}"


def main():
    lib = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OKR_LIB", DEFAULT_LIB)
    engine = Engine(lib)
    print("okr", engine.lib.okr_version().decode())
    master, lead, member = uid(1), uid(2), uid(3)
    root, team, cycle, objective, kr_online, kr_days = uid(10), uid(11), uid(20), uid(30), uid(40), uid(41)
    counter = iter(range(1, 1000))

    def run(actor, at, **body):
        envelope = {"command_id": f"00000000-0000-0000-0001-{next(counter):012d}", "actor": actor, "at": at}
        return engine.execute({"version": 1, "envelope": envelope, "body": body})

    t0 = "2025-01-02T09:00:00Z"
    run(master, t0, type="define_unit", unit=root, name="Federation", kind="organisation")
    run(master, t0, type="register_person", person=master, name="Alex")
    run(master, t0, type="grant_membership", unit=root, person=master, role="okr_master")
    run(master, t0, type="define_unit", unit=team, name="Permits", kind="team", parent=root)
    for person, name, role in ((lead, "Lee", "lead"), (member, "Mo", "member")):
        run(master, t0, type="register_person", person=person, name=name)
        run(master, t0, type="grant_membership", unit=team, person=person, role=role)
    run(master, "2025-01-03T09:00:00Z", type="plan_cycle", cycle=cycle, name="2025-Q1", kind="regular",
        start="2025-01-06", end="2025-03-28", check_in_weekday="Mon")
    outcome = run(lead, "2025-01-03T10:00:00Z", type="draft_objective", cycle=cycle, objective=objective,
                  unit=team, title="Deliver the new permit portal", kind="committed")
    for lint in outcome["lints"]:
        print("lint:", lint["code"], "-", lint["message_en"])
    run(lead, "2025-01-03T10:01:00Z", type="revise_objective", objective=objective,
        patch={"title": "Citizens get building permits faster", "beneficiary": "citizens"})
    run(lead, "2025-01-03T10:05:00Z", type="add_key_result", objective=objective, key_result=kr_online,
        title="Share of permits decided online", weight=2,
        kind={"type": "increase", "baseline": 10, "target": 50, "unit": "%"})
    run(lead, "2025-01-03T10:06:00Z", type="add_key_result", objective=objective, key_result=kr_days,
        title="Days to a decision", kind={"type": "decrease", "baseline": 30, "target": 10, "unit": "days"})
    run(lead, "2025-01-03T11:00:00Z", type="commit_objective", objective=objective)
    run(master, "2025-01-06T08:00:00Z", type="start_cycle", cycle=cycle)
    run(member, "2025-01-13T09:00:00Z", type="check_in", key_result=kr_online, value=30, confidence=7)
    run(member, "2025-01-20T09:00:00Z", type="check_in", key_result=kr_days, value=20, confidence=6)
    try:
        run(member, "2025-01-21T09:00:00Z", type="begin_review", cycle=cycle)
    except OkrError as e:
        print("refused as expected:", json.loads(e.message)["message"])
    run(member, "2025-03-24T09:00:00Z", type="check_in", key_result=kr_online, value=50, confidence=9)
    run(master, "2025-03-29T09:00:00Z", type="begin_review", cycle=cycle)
    run(master, "2025-04-01T09:00:00Z", type="begin_retrospective", cycle=cycle)
    run(lead, "2025-04-01T10:00:00Z", type="add_retro_item", cycle=cycle, item=uid(50), kind="keep",
        text="weekly check-ins")
    run(master, "2025-04-02T09:00:00Z", type="close_cycle", cycle=cycle)

    rollup = engine.query({"version": 1, "query": "rollup", "cycle": cycle})["rollup"]
    print(f"cycle progress: {rollup['cycle'] / 1e6:.2f}")
    scores = engine.query({"version": 1, "query": "scores", "cycle": cycle})["scores"]
    print(f"objective score: {scores['objectives'][objective] / 1e6:.2f}")
    equal = engine.query({"version": 1, "query": "rescore", "cycle": cycle, "policy": "equal"})["scores"]
    print(f"with equal weights: {equal['cycle'] / 1e6:.2f}")
    history = engine.query({"version": 1, "query": "history", "cycle": cycle})["history"]
    print("burn-up:", " ".join(f"{(w['cycle_ppm'] or 0) / 1e6:.2f}" for w in history["weeks"]))
    engine.close()


if __name__ == "__main__":
    main()
