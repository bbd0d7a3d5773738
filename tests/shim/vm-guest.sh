#!/bin/sh
# SPDX-License-Identifier: MIT
# In the VM (tools/vm/run, vsvm.ko loaded): the patched rusticl on nouveau
# under Mesa's nouveau drm-shim, its SVM ioctls forwarded to vsvm. The
# trixie userland that Mesa was built for sits at $NVSVM_SHIM_ROOT; every
# OpenCL program runs chrooted there.
#
# env: NVSVM_SHIM_ROOT (the trixie tree), NVSVM_SHIM_LIB (Mesa's library
#      dir inside it), NVSVM_SHIM_BIN (cl-shim-svm inside it),
#      NVSVM_SHIM_VSVM_KO (vsvm.ko in the guest, reloaded with va_bits=32)
# Prints piglit result lines and "N passed, N failed, N skipped".
set -u
R=${NVSVM_SHIM_ROOT:?}
L=${NVSVM_SHIM_LIB:?}
BIN=${NVSVM_SHIM_BIN:?}
KO=${NVSVM_SHIM_VSVM_KO:?}
. "$(dirname "$0")/../common/piglit.sh"
pass=0 fail=0 skip=0
out=/tmp/shim-out

result()
{
   res=$2
   piglit_result "$@"
   case $res in
   pass) pass=$((pass + 1)) ;;
   skip) skip=$((skip + 1)) ;;
   *) fail=$((fail + 1)) ;;
   esac
}

for d in dev proc sys tmp; do mkdir -p "$R/$d"; done
mount --bind /dev "$R/dev" && mount -t proc proc "$R/proc" &&
   mount -t sysfs sysfs "$R/sys" || {
   result shim-vm-setup fail "bind mounts into $R failed"
   echo "$pass passed, $fail failed, $skip skipped"
   exit 1
}
chmod 1777 "$R/tmp"

# vsvm's render node, under a name the shim does not fake (it owns
# /dev/dri/renderD128 in the process it is preloaded into).
vsvm_node()
{
   rm -f /dev/vsvm-svm
   for n in /sys/class/drm/renderD*; do
      [ "$(basename "$(readlink -f "$n/device")")" = vsvm ] || continue
      mknod /dev/vsvm-svm c "$(cut -d: -f1 "$n/dev")" \
         "$(cut -d: -f2 "$n/dev")" && return 0
   done
   return 1
}

# One OpenCL run, chrooted, under the shim; stdout+stderr in $out.
# $1: NOUVEAU_SHIM_SVM_DEVICE ('' leaves it unset), then the arguments.
cl()
{
   dev=$1
   shift
   env -i PATH=/usr/bin:/bin HOME=/tmp \
      ${dev:+NOUVEAU_SHIM_SVM_DEVICE=$dev} \
      OCL_ICD_VENDORS="${L%/lib/*}/etc/OpenCL/vendors" \
      LD_LIBRARY_PATH="$L" LD_PRELOAD="$L/libnouveau_noop_drm_shim.so" \
      NOUVEAU_CHIPSET=134 RUSTICL_ENABLE=nouveau NOUVEAU_SVM=1 \
      NOUVEAU_SVM_DEBUG=1 ${extra_env:-} \
      timeout 120 chroot "$R" "$BIN" "$@" >"$out" 2>&1
   rc=$?
   sed 's/^/  | /' "$out"
   return $rc
}
# The piglit verdict of the last run ("pass"/"fail"), or "fail".
verdict()
{
   v=$(sed -n 's/^PIGLIT: {"result": "\([a-z]*\)"}$/\1/p' "$out" | tail -n 1)
   echo "${v:-fail}"
}
reason() { grep -m1 'nouveau: svm: SVM off:' "$out"; }

if ! vsvm_node; then
   result shim-vm-vsvm-node fail "no vsvm render node in /sys/class/drm"
   echo "$pass passed, $fail failed, $skip skipped"
   exit 1
fi

# 1. SVM_INIT forwarded to vsvm succeeds: the caps say so, nothing is off.
cl /dev/vsvm-svm caps-on
if [ "$(verdict)" = pass ] && ! reason >/dev/null; then
   result shim-svm-caps-come-from-svm-init-on-vsvm pass \
      "fine-grain system SVM and atomics after a real SVM_INIT"
else
   result shim-svm-caps-come-from-svm-init-on-vsvm fail \
      "$(grep -m1 'SVM_CAPABILITIES' "$out") $(reason)"
fi

# 2. The pages of a malloc buffer move to vsvm's memory and back.
cl /dev/vsvm-svm migrate /dev/vsvm-svm
result shim-svm-migrate-moves-malloc-pages-to-vsvm-and-back "$(verdict)" \
   "$(grep -m1 '^# to device' "$out")"

# 3. SVM kernel arguments reach nvc0 before the launch (range rules on):
#    an atomics allocation is converted ahead of it, MAP_SHARED memory
#    fails the command with the rule named, malloc memory is left alone.
extra_env=NOUVEAU_SVM_CHECK=1
cl /dev/vsvm-svm launch /dev/vsvm-svm
extra_env=
for t in svm_atomics_allocation_is_device_exclusive_before_launch:'^# launch status' \
         launch_on_shared_memory_fails_before_it_runs:'will kill the channel: MAP_SHARED' \
         launch_on_plain_malloc_memory_runs_untouched:'^# launch on malloc memory'; do
   pat=${t#*:} t=${t%%:*}
   v=$(sed -n "s/^PIGLIT: {\"subtest\": {\"$t\": \"\([a-z]*\)\"}}$/\1/p" "$out")
   # The driver's own message must be there too, not only the status.
   why=$(grep -m1 "$pat" "$out") || v=fail
   result "shim-$(echo "$t" | tr _ -)" "${v:-fail}" "${why:-no \"$pat\" line}"
done

# 4. A node that is not an SVM device: SVM off, the reason named.
cl /dev/null caps-off
why=$(reason)
if [ "$(verdict)" = pass ] && [ -n "$why" ]; then
   result shim-svm-off-named-when-the-node-is-not-svm pass "$why"
else
   result shim-svm-off-named-when-the-node-is-not-svm fail \
      "${why:-no named reason}"
fi

# 5. vsvm with a 32-bit GPU VA: the window libnvsvm reserved is beyond it,
#    vsvm refuses SVM_INIT, SVM goes off with the kernel's errno named.
if rmmod vsvm && insmod "$KO" va_bits=32 && vsvm_node; then
   cl /dev/vsvm-svm caps-off
   why=$(reason)
   if [ "$(verdict)" = pass ] && [ -n "$why" ]; then
      result shim-svm-off-named-when-vsvm-refuses-the-window pass "$why"
   else
      result shim-svm-off-named-when-vsvm-refuses-the-window fail \
         "${why:-no named reason}"
   fi
else
   result shim-svm-off-named-when-vsvm-refuses-the-window fail \
      "could not reload vsvm with va_bits=32"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
