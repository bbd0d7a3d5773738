#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count piglit results in test output (files or stdin): each subtest
counts once; a test without subtests counts by its overall result. Prints
the closing "N passed, N failed, N skipped" line; exit 1 on any failure
or when a test that enumerated subtests did not report them all."""
import json
import sys


def count(lines):
    passed = failed = skipped = 0
    enumerated = []
    reported = set()
    overall_seen = False

    def close_test(overall):
        nonlocal passed, failed, skipped, enumerated, reported
        if enumerated:
            for name in enumerated:
                if name not in reported:
                    print(f"missing subtest result: {name}")
                    failed += 1
        elif overall is not None:
            if overall in ("pass", "warn"):
                passed += 1
            elif overall == "skip":
                skipped += 1
            else:
                failed += 1
        enumerated, reported = [], set()

    for line in lines:
        if not line.startswith("PIGLIT: "):
            continue
        try:
            obj = json.loads(line[len("PIGLIT: "):])
        except json.JSONDecodeError:
            print(f"malformed piglit line: {line.rstrip()}")
            failed += 1
            continue
        if "enumerate subtests" in obj:
            enumerated = list(obj["enumerate subtests"])
        elif "subtest" in obj:
            for name, res in obj["subtest"].items():
                reported.add(name)
                if res in ("pass", "warn"):
                    passed += 1
                elif res == "skip":
                    skipped += 1
                else:
                    failed += 1
        elif "result" in obj:
            overall_seen = True
            close_test(obj["result"])
    if enumerated:
        close_test(None)
    return passed, failed, skipped, overall_seen


def main():
    lines = []
    if len(sys.argv) > 1:
        for path in sys.argv[1:]:
            with open(path, errors="replace") as f:
                lines.extend(f)
    else:
        lines = sys.stdin.readlines()
    p, f, s, _ = count(lines)
    print(f"{p} passed, {f} failed, {s} skipped")
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main())
