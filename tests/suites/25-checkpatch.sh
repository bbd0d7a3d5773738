#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Kernel code stays checkpatch-clean: run the kernel's own checkpatch.pl
# (from Debian's linux-source-6.12 tarball) over kernel/.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$tarball" ]; then
  echo "# checkpatch: $tarball missing (make deps installs linux-source-6.12)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
# checkpatch reads its word lists beside itself; take the three files.
tar -C "$tmp" -xJf "$tarball" --strip-components=1 \
  linux-source-6.12/scripts/checkpatch.pl \
  linux-source-6.12/scripts/spelling.txt \
  linux-source-6.12/scripts/const_structs.checkpatch ||
  { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

pass=0 fail=0
while IFS= read -r f; do
  if out=$(perl "$tmp/scripts/checkpatch.pl" --no-tree -q -f \
             "$root/$f" 2>&1) && [ -z "$out" ]; then
    echo "ok $f"
    pass=$((pass + 1))
  else
    echo "not ok $f"
    echo "$out" | sed 's/^/#   /'
    fail=$((fail + 1))
  fi
done < <(cd "$root" && git ls-files 'kernel/*.c' 'kernel/*.h')
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
