#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn an OpenCL C file into a C string constant, pasting in the local
headers it includes, so the test binaries carry their kernels with them."""
import os
import re
import sys


def expand(path, seen):
    out = []
    here = os.path.dirname(path)
    with open(path) as f:
        for line in f:
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if m:
                inc = os.path.join(here, m.group(1))
                if inc not in seen:
                    seen.add(inc)
                    out.extend(expand(inc, seen))
                continue
            out.append(line)
    return out


def main():
    src, name, dst = sys.argv[1], sys.argv[2], sys.argv[3]
    lines = expand(src, set())
    with open(dst, "w") as f:
        f.write("/* Generated from %s by embed.py: do not edit. */\n"
                % os.path.basename(src))
        f.write("static const char %s[] =\n" % name)
        for line in lines:
            esc = line.rstrip("\n").replace("\\", "\\\\").replace('"', '\\"')
            f.write('   "%s\\n"\n' % esc)
        f.write("   ;\n")


if __name__ == "__main__":
    main()
