#!/usr/bin/env python3
"""Mutation check of the runtime (issue 12): seeds one bug at a time (mutants.py) in a temporary
copy of the repository, runs the test suites there and reports which tests catch it.

    python3 tools/mutation/run.py                      # every mutant, unit tests
    python3 tools/mutation/run.py --suites unit,coyote # also the Coyote campaigns
    python3 tools/mutation/run.py --only sort-by-id,stale-holds

Nothing under src/ of the checkout is touched: the copy lives in --work (default
/tmp/ol-mutation). The unmutated copy is run first and must pass, otherwise nothing is reported.
A mutant is 'caught' when at least one test fails or the run hangs past the limit; 'survived'
when every test passes; 'does not apply' when its text is not found; 'does not build' when the
mutated code does not compile (fix the mutant). Exit code 1 unless every mutant is caught."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mutants import MUTANTS  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SUITES = {
    "unit": "tests/OrderedLocks.Tests/OrderedLocks.Tests.csproj",
    "coyote": "tests/OrderedLocks.Coyote.Tests/OrderedLocks.Coyote.Tests.csproj",
}


def copy_tree(work, fresh):
    # Without --fresh an existing copy is updated in place and keeps its bin/obj, so only what
    # changed is rebuilt (a first build of the solution's projects takes minutes).
    if fresh and os.path.exists(work):
        shutil.rmtree(work)
    ignore = shutil.ignore_patterns(".git", "bin", "obj", "TestResults", "artifacts", "*.trace")
    shutil.copytree(ROOT, work, ignore=ignore, dirs_exist_ok=True)


def edits(mutant):
    yield mutant["file"], mutant["old"], mutant["new"]
    for extra in mutant.get("also", []):
        yield (extra[2] if len(extra) > 2 else mutant["file"]), extra[0], extra[1]


def run_suite(work, suite, results, limit):
    if os.path.exists(results):
        shutil.rmtree(results)
    os.makedirs(results)
    cmd = ["dotnet", "test", os.path.join(work, SUITES[suite]), "-c", "Release",
           "--logger", "trx", "--results-directory", results, "--blame-hang-timeout", "120s"]
    started = time.time()
    try:
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=limit)
        output, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        output, code = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), -1
    elapsed = time.time() - started
    failed = []
    for name in os.listdir(results):
        if name.endswith(".trx"):
            tree = ET.parse(os.path.join(results, name))
            for r in tree.iter():
                if r.tag.endswith("UnitTestResult") and r.get("outcome") not in ("Passed", "NotExecuted"):
                    failed.append(r.get("testName"))
    built = not re.search(r"error CS\d+", output)
    return dict(code=code, failed=sorted(set(failed)), built=built, elapsed=elapsed, output=output)


def short(name):
    # OrderedLocks.Tests.Class.Method(args) -> Class.Method
    name = re.sub(r"\(.*", "", name)
    parts = name.split(".")
    return ".".join(parts[-2:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/ol-mutation")
    ap.add_argument("--suites", default="unit")
    ap.add_argument("--only", default="")
    ap.add_argument("--limit", type=int, default=900, help="seconds per suite run")
    ap.add_argument("--fresh", action="store_true", help="delete the copy first (full rebuild)")
    args = ap.parse_args()
    suites = [s for s in args.suites.split(",") if s]
    only = {s for s in args.only.split(",") if s}
    mutants = [m for m in MUTANTS if not only or m["id"] in only]

    work = os.path.join(args.work, "repo")
    copy_tree(work, args.fresh)
    pristine = {}
    t0 = time.time()
    print(f"copy of {ROOT} in {work}; suites {suites}", flush=True)
    for suite in suites:
        base = run_suite(work, suite, os.path.join(args.work, "results", "baseline", suite), args.limit)
        print(f"baseline {suite}: exit {base['code']}, {len(base['failed'])} failed, {base['elapsed']:.0f} s", flush=True)
        if base["code"] != 0 or base["failed"]:
            print(base["output"][-4000:])
            print("The unmutated copy does not pass: fix that first.")
            return 2

    rows = []
    for m in mutants:
        applied = True
        for rel, old, new in edits(m):
            path = os.path.join(work, rel)
            text = pristine.setdefault(rel, open(path, encoding="utf-8").read())
            current = open(path, encoding="utf-8").read()
            if current.count(old) != 1:
                applied = False
                break
            open(path, "w", encoding="utf-8").write(current.replace(old, new))
        outcome, caught_by, secs = "does not apply", [], 0.0
        if applied:
            outcome = "survived"
            for suite in suites:
                r = run_suite(work, suite, os.path.join(args.work, "results", m["id"], suite), args.limit)
                secs += r["elapsed"]
                if not r["built"]:
                    outcome = "does not build"
                    print(r["output"][-2000:])
                    break
                if r["code"] == -1 and not r["failed"]:
                    caught_by.append(f"{suite}: run hung past {args.limit} s")
                caught_by += [f"{suite}: {short(n)}" for n in r["failed"]]
            if outcome == "survived" and caught_by:
                outcome = "caught"
        for rel, text in pristine.items():
            open(os.path.join(work, rel), "w", encoding="utf-8").write(text)
        uniq = sorted(set(caught_by))
        rows.append((m, outcome, uniq, secs))
        print(f"{m['id']}: {outcome} ({secs:.0f} s) {len(caught_by)} failing: {'; '.join(uniq[:6])}", flush=True)

    print()
    print("| mutant | seeded bug | outcome | caught by (failing tests) |")
    print("|---|---|---|---|")
    for m, outcome, uniq, _ in rows:
        shown = "; ".join(uniq[:5]) + (f"; +{len(uniq) - 5} more" if len(uniq) > 5 else "")
        print(f"| `{m['id']}` | {m['what']} | {outcome} | {shown} |")
    print(f"\ntotal {time.time() - t0:.0f} s")
    return 0 if all(o == "caught" for _, o, _, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
