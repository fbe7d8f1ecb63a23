"""Several OS processes execute commands on one PostgreSQL log through the C ABI (ctypes).

Usage: python3 test_processes.py <path to libokr_ffi.so> <postgres URL> <organisation>
       <processes> <commands per process>

The parent sets up a running cycle with one team, lead and key result per process, starts
the processes, each of which opens its own engine on the same organisation and executes its
check-ins; then it checks that every command was applied exactly once (positions gapless,
command ids unique, each process's check-ins in its order), that each process's final state
equals the parent's, and that both equal a replay of the exported log in a fresh engine. A
process of another organisation in the same database sees none of it.
"""

import ctypes
import json
import subprocess
import sys
import time

from test_cycle import Okr, OkrError, uid

INVALID_ARGUMENT = 16


def command(n, actor, at, body):
    return {"version": 1,
            "envelope": {"command_id": f"00000000-0000-0000-{n >> 48:04x}-{n & 0xFFFFFFFFFFFF:012x}",
                         "actor": actor, "at": at},
            "body": body}


MASTER, ROOT, CYCLE = uid(1), uid(100), uid(200)


def team(p):
    return {"unit": uid(1000 + p), "lead": uid(2000 + p), "objective": uid(3000 + p),
            "kr": uid(4000 + p)}


def setup(processes):
    t0 = "2025-03-17T09:00:00Z"
    out = [
        (MASTER, t0, {"type": "define_unit", "unit": ROOT, "name": "Root", "kind": "organisation"}),
        (MASTER, t0, {"type": "register_person", "person": MASTER, "name": "Master"}),
        (MASTER, t0, {"type": "grant_membership", "unit": ROOT, "person": MASTER, "role": "okr_master"}),
        (MASTER, t0, {"type": "plan_cycle", "cycle": CYCLE, "name": "2025-Q2", "kind": "regular",
                      "start": "2025-04-01", "end": "2025-06-30", "check_in_weekday": "Tue"}),
    ]
    for p in range(processes):
        t = team(p)
        out += [
            (MASTER, t0, {"type": "define_unit", "unit": t["unit"], "name": f"Team {p}", "kind": "team",
                          "parent": ROOT}),
            (MASTER, t0, {"type": "register_person", "person": t["lead"], "name": f"Lead {p}"}),
            (MASTER, t0, {"type": "grant_membership", "unit": t["unit"], "person": t["lead"], "role": "lead"}),
            (t["lead"], t0, {"type": "draft_objective", "cycle": CYCLE, "objective": t["objective"],
                             "unit": t["unit"], "title": "Residents get answers the same day",
                             "beneficiary": "residents", "kind": "committed"}),
            (t["lead"], t0, {"type": "add_key_result", "objective": t["objective"], "key_result": t["kr"],
                             "title": "Requests answered the same day", "owner": t["lead"],
                             "kind": {"type": "increase", "baseline": 0, "target": 100, "unit": "%"}}),
            (t["lead"], t0, {"type": "commit_objective", "objective": t["objective"]}),
        ]
    out.append((MASTER, "2025-04-01T08:00:00Z", {"type": "start_cycle", "cycle": CYCLE}))
    return [command(0x5E7 << 48 | i, *c) for i, c in enumerate(out)]


def check_ins(p, count):
    t = team(p)
    return [command((0xC0 + p) << 48 | i, t["lead"], f"2025-04-01T{9 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
                    {"type": "check_in", "key_result": t["kr"], "value": i % 100 + 0.5,
                     "confidence": i % 11})
            for i in range(count)]


def export(okr, engine):
    out, err = ctypes.c_void_p(), ctypes.c_void_p()
    okr.check(okr.lib.okr_engine_export(engine, ctypes.byref(out), ctypes.byref(err)), err)
    return okr.take_bytes(out)


def import_log(okr, engine, log):
    err = ctypes.c_void_p()
    okr.check(okr.lib.okr_engine_import(engine, log, len(log), ctypes.byref(err)), err)


def open_engine(okr, url, organisation):
    return okr.open(url, json.dumps({"version": 1, "organisation": organisation,
                                     "snapshot_every": 500}).encode())


def worker(lib, url, organisation, p, count, total, out):
    okr = Okr(lib)
    engine = open_engine(okr, url, organisation)
    for c in check_ins(p, count):
        outcome = okr.execute(engine, c)
        assert outcome["duplicate"] is False and len(outcome["positions"]) == 1, outcome
    while okr.query(engine, {"query": "position"})["position"] != total - 1:
        time.sleep(0.05)
    state = okr.query(engine, {"query": "state"})
    with open(out, "w") as f:
        json.dump(state["state"], f, sort_keys=True)
    print(f"worker {p}: ok")


def main():
    if sys.argv[1] == "worker":
        lib, url, organisation, p, count, total, out = sys.argv[2:]
        return worker(lib, url, organisation, int(p), int(count), int(total), out)
    lib, url, organisation, processes, count = sys.argv[1:]
    processes, count = int(processes), int(count)
    okr = Okr(lib)
    # The organisation must be named: by the URL or the options.
    try:
        okr.open(url)
        raise AssertionError("a URL without an organisation opened")
    except OkrError as e:
        assert e.code == INVALID_ARGUMENT and "no organisation" in e.message, e.message
    engine = open_engine(okr, url, organisation)
    prepared = setup(processes)
    for c in prepared:
        okr.execute(engine, c)
    total = len(prepared) + processes * count
    outs = [f"{sys.argv[0]}.{organisation}.{p}.json" for p in range(processes)]
    children = [subprocess.Popen([sys.executable, __file__, "worker", lib, url, organisation, str(p),
                                  str(count), str(total), outs[p]]) for p in range(processes)]
    for child in children:
        assert child.wait() == 0, "a worker failed"
    assert okr.query(engine, {"query": "position"})["position"] == total - 1
    log = export(okr, engine)
    events = [json.loads(line) for line in log.splitlines()]
    assert [e["global_position"] for e in events] == list(range(total))
    ids = [e["command_id"] for e in events]
    assert len(set(ids)) == total, "every command once"
    for p in range(processes):
        mine = [c["envelope"]["command_id"] for c in check_ins(p, count)]
        assert [i for i in ids if i in set(mine)] == mine, f"process {p}'s commands in its order"
    state = okr.query(engine, {"query": "state"})["state"]
    replay = okr.open(":memory:")
    import_log(okr, replay, log)
    assert okr.query(replay, {"query": "state"})["state"] == state, "the state is a replay of the log"
    for path in outs:
        with open(path) as f:
            assert json.load(f) == json.loads(json.dumps(state, sort_keys=True)), path
    # Another organisation of the same database holds nothing of it.
    other = open_engine(okr, url, organisation + "-other")
    assert okr.query(other, {"query": "position"})["position"] is None
    assert export(okr, other) == b""
    print("test_processes.py: ok")


if __name__ == "__main__":
    main()
