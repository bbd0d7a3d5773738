#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count TAP scenarios in a meson testlog.json; print each test's result
lines and the closing "N passed, N failed, N skipped" line."""
import json
import re
import sys

passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for raw in f:
        entry = json.loads(raw)
        lines = entry.get("stdout", "").splitlines()
        seen = 0
        for line in lines:
            m = re.match(r"^(not ok|ok)\s+\d+\s+(.*)$", line)
            if not m:
                continue
            seen += 1
            name = m.group(2)
            if m.group(1) == "not ok":
                failed += 1
            elif "# SKIP" in name:
                skipped += 1
            else:
                passed += 1
            print(f"{entry['name']}: {line}")
        if seen == 0 or entry.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL"):
            if entry.get("result") not in ("OK", "SKIP"):
                print(f"{entry['name']}: {entry.get('result')} "
                      f"(exit {entry.get('returncode')})")
                failed += 1 if seen == 0 or entry.get("result") != "FAIL" else 0
print(f"{passed} passed, {failed} failed, {skipped} skipped")
