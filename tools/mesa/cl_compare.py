#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Side by side: the OpenCL suite on Debian's rusticl and on the patched one.

usage: cl_compare.py UNPATCHED.log PATCHED.log

Each log is the output of tests/suites/40-cl.sh. Prints one row per
subtest with both results, then checks, each as a piglit subtest line:
  - on unpatched rusticl every fine-grain buffer/system atomics subtest
    skips, naming the missing CL_DEVICE_SVM_ATOMICS capability;
  - on the patched rusticl those same subtests all pass;
  - the patched totals are exact: the unpatched ones with exactly those
    subtests moved from skipped to passed, and no failure on either side.
"""
import json
import re
import sys

SCENARIOS = ("nvsvm@cl@svm-atomics@fine-grain-buffer",
             "nvsvm@cl@svm-atomics@fine-grain-system")
NEEDED = "missing CL_DEVICE_SVM_ATOMICS"


def parse(path):
    """{(test, subtest): (result, skip-reason)}, (passed, failed, skipped)"""
    res, order, test, reason, totals = {}, [], None, "", None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^=== (\S+)", line)
            if m:
                test, reason = m.group(1), ""
                continue
            if line.startswith("# skip:"):
                reason = line[len("# skip:"):].strip()
                continue
            m = re.match(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", line)
            if m:
                totals = tuple(int(x) for x in m.groups())
                continue
            if not line.startswith("PIGLIT: "):
                continue
            try:
                obj = json.loads(line[len("PIGLIT: "):])
            except ValueError:
                continue
            sub = obj.get("subtest")
            if isinstance(sub, dict) and test:
                for name, r in sub.items():
                    key = (test, name)
                    if key not in res:
                        order.append(key)
                    res[key] = (r, reason if r == "skip" else "")
    return res, order, totals


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    old, old_order, old_tot = parse(sys.argv[1])
    new, new_order, new_tot = parse(sys.argv[2])
    keys = old_order + [k for k in new_order if k not in old]
    w = max([len(f"{t.split('@')[-1]}/{s}") for t, s in keys] + [20])
    print(f"# {'subtest':<{w}}  {'Debian rusticl':<14}  patched rusticl")
    for t, s in keys:
        a = old.get((t, s), ("-", ""))[0]
        b = new.get((t, s), ("-", ""))[0]
        print(f"# {t.split('@')[-1] + '/' + s:<{w}}  {a:<14}  {b}")
    print(f"# totals (passed, failed, skipped): Debian {old_tot}, "
          f"patched {new_tot}")

    target = [k for k in keys if k[0] in SCENARIOS]
    checks = []
    bad = [f"{t}/{s}: {old.get((t, s), ('-',))[0]}" for t, s in target
           if old.get((t, s), ("-", ""))[0] != "skip"
           or NEEDED not in old[(t, s)][1]]
    checks.append(("unpatched-rusticl-skips-svm-atomics-by-name",
                   bool(target) and not bad,
                   f"{len(target)} subtests skip naming CL_DEVICE_SVM_ATOMICS"
                   if target and not bad else "; ".join(bad) or "no subtests"))
    bad = [f"{t}/{s}: {new.get((t, s), ('-',))[0]}" for t, s in target
           if new.get((t, s), ("-",))[0] != "pass"]
    checks.append(("patched-rusticl-passes-svm-atomics",
                   bool(target) and not bad,
                   f"{len(target)} subtests pass" if target and not bad
                   else "; ".join(bad) or "no subtests"))
    # Exact: every subtest has the same result on both sides except those
    # that moved from skip to pass, which must include all the target
    # ones, and the closing totals differ by exactly that many.
    moved = [k for k in keys if old.get(k, ("-",))[0] == "skip"
             and new.get(k, ("-",))[0] == "pass"]
    other = [f"{t.split('@')[-1]}/{s}: {old.get((t, s), ('-',))[0]}->"
             f"{new.get((t, s), ('-',))[0]}" for t, s in keys
             if (t, s) not in moved
             and old.get((t, s), ("-",))[0] != new.get((t, s), ("-",))[0]]
    extra = [f"{t.split('@')[-1]}/{s}" for t, s in moved if (t, s) not in target]
    ok = (old_tot is not None and new_tot is not None and
          old_tot[1] == 0 and new_tot[1] == 0 and not other and
          all(k in moved for k in target) and
          new_tot[0] == old_tot[0] + len(moved) and
          new_tot[2] == old_tot[2] - len(moved))
    checks.append(("patched-totals-exact", ok,
                   f"Debian {old_tot} + {len(moved)} moved skip->pass "
                   f"({len(target)} scenarios"
                   + (f", and {', '.join(extra)}" if extra else "") + ") = "
                   f"patched {new_tot}"
                   + (f"; changed otherwise: {'; '.join(other)}"
                      if other else "")))
    names = [c[0] for c in checks]
    print("PIGLIT: " + json.dumps({"enumerate subtests": names}))
    for name, good, why in checks:
        print(f"# {name}: {why}")
        print("PIGLIT: " + json.dumps(
            {"subtest": {name: "pass" if good else "fail"}}))
    allok = all(c[1] for c in checks)
    print("PIGLIT: " + json.dumps({"result": "pass" if allok else "fail"}))
    return 0 if allok else 1


if __name__ == "__main__":
    sys.exit(main())
