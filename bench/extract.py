#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Pull `nvsvm bench` results out of a VM console log (bench/guest-bench.sh
# marks every line) or read a --json file, and write the gnuplot data.
#
# usage: extract.py (--console LOG | --json FILE) OUTDIR
# writes OUTDIR/bench.json, bench.txt (console only), latency.dat,
# conversions.dat, plot.env (block counts for the .gp scripts); prints
# "rc N" (the guest's exit status) for a console log.

import json
import os
import sys

TXT = "NVSVM-BENCH-TXT "
JSN = "NVSVM-BENCH-JSON "
DONE = "NVSVM-BENCH-DONE "


def fail(msg):
    print("extract: " + msg, file=sys.stderr)
    sys.exit(1)


def from_console(path):
    txt, js, rc = [], [], None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith(TXT):
                txt.append(line[len(TXT):])
            elif line == TXT.rstrip():
                txt.append("")
            elif line.startswith(JSN):
                js.append(line[len(JSN):])
            elif line.startswith(DONE):
                rc = int(line[len(DONE):].strip() or "1")
    if rc is None:
        fail(f"{path}: no {DONE.strip()} line: the guest did not finish")
    if not js:
        fail(f"{path}: no JSON lines: nvsvm bench wrote none (exit {rc})")
    try:
        data = json.loads("\n".join(js))
    except json.JSONDecodeError as e:
        fail(f"{path}: the JSON came back damaged: {e}")
    return data, "\n".join(txt) + "\n", rc


def write_latency(data, out):
    """One block per series: percentile and round trip in us."""
    blocks = 0
    with open(os.path.join(out, "latency.dat"), "w") as f:
        for be in data.get("backends", []):
            rt = be.get("roundtrip") or {}
            for side in ("library", "raw"):
                s = rt.get(side) or {}
                cdf = s.get("cdf_us") or []
                if len(cdf) != 101:
                    continue
                if blocks:
                    f.write("\n\n")
                # The curve's own median (pooled); the ratio is per pair.
                label = f"{be['backend']} {side} (median {cdf[50]:.1f} us"
                if side == "raw":
                    label += f"; lib/raw per pair {rt['library_over_raw']:.3f}"
                label += ")"
                f.write(f'"{label}"\n')
                for k, v in enumerate(cdf):
                    f.write(f"{k} {v}\n")
                blocks += 1
    return blocks


def write_conversions(data, out):
    """One block per backend: per_page, conversions/1000 steps, rates."""
    blocks = 0
    with open(os.path.join(out, "conversions.dat"), "w") as f:
        for be in data.get("backends", []):
            rows = [c for c in be.get("counters", [])
                    if "error" not in c and not c.get("shared")
                    and c.get("device_steps")]
            if not rows:
                continue
            if blocks:
                f.write("\n\n")
            ratio = be.get("packed_over_placed_conversions")
            label = be["backend"]
            if ratio is not None:
                label += f" (packed/placed {ratio:.0f}x)"
            f.write(f'"{label}"\n')
            f.write("# per_page conversions_per_1000_steps conversions "
                    "device_steps device_steps_per_s cpu_increments_per_s "
                    "exact\n")
            for c in sorted(rows, key=lambda c: c["per_page"]):
                per1000 = 1000.0 * c["conversions"] / c["device_steps"]
                f.write(f"{c['per_page']} {per1000} {c['conversions']} "
                        f"{c['device_steps']} {c['device_steps_per_s']} "
                        f"{c['cpu_increments_per_s']} "
                        f"{1 if c['exact'] else 0}\n")
            blocks += 1
    return blocks


def main(argv):
    if len(argv) != 4 or argv[1] not in ("--console", "--json"):
        fail("usage: extract.py (--console LOG | --json FILE) OUTDIR")
    out = argv[3]
    os.makedirs(out, exist_ok=True)
    rc = None
    if argv[1] == "--console":
        data, txt, rc = from_console(argv[2])
        with open(os.path.join(out, "bench.txt"), "w") as f:
            f.write(txt)
        with open(os.path.join(out, "bench.json"), "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    else:
        with open(argv[2]) as f:
            data = json.load(f)
    nlat = write_latency(data, out)
    nconv = write_conversions(data, out)
    with open(os.path.join(out, "plot.env"), "w") as f:
        f.write(f"nlat={nlat}\nnconv={nconv}\n")
    if rc is not None:
        print(f"rc {rc}")


if __name__ == "__main__":
    main(sys.argv)
