#!/bin/sh
# SPDX-License-Identifier: MIT
# In the VM (tools/vm/run, vsvm.ko loaded): the patched rusticl and NVK on
# nouveau under Mesa's nouveau drm-shim, its SVM ioctls (and VM_INIT)
# forwarded to vsvm. The trixie userland that Mesa was built for sits at
# $NVSVM_SHIM_ROOT; every OpenCL and Vulkan program runs chrooted there.
#
# env: NVSVM_SHIM_ROOT (the trixie tree), NVSVM_SHIM_LIB (Mesa's library
#      dir inside it), NVSVM_SHIM_BIN (cl-shim-svm inside it),
#      NVSVM_SHIM_VK_BIN (vk-shim-nvk inside it; empty without NVK),
#      NVSVM_SHIM_NVK_MISSING (why there is no NVK: its results fail so),
#      NVSVM_SHIM_VSVM_KO (vsvm.ko in the guest, reloaded with va_bits=32)
# Prints piglit result lines and "N passed, N failed, N skipped".
set -u
R=${NVSVM_SHIM_ROOT:?}
L=${NVSVM_SHIM_LIB:?}
BIN=${NVSVM_SHIM_BIN:?}
KO=${NVSVM_SHIM_VSVM_KO:?}
VKBIN=${NVSVM_SHIM_VK_BIN:-}
NVK_MISSING=${NVSVM_SHIM_NVK_MISSING:-}
[ -n "$VKBIN" ] || NVK_MISSING=${NVK_MISSING:-no vk-shim-nvk program}
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

# One Vulkan run, chrooted, under the shim; stdout+stderr in $out.
# $1: NOUVEAU_SHIM_SVM_DEVICE, $2: NOUVEAU_SVM ('' leaves either unset),
# then the arguments. NVK calls Pascal non-conformant: it needs the
# variable to create a device there.
vk()
{
   dev=$1 svm=$2
   shift 2
   env -i PATH=/usr/bin:/bin HOME=/tmp \
      ${dev:+NOUVEAU_SHIM_SVM_DEVICE=$dev} ${svm:+NOUVEAU_SVM=$svm} \
      LD_LIBRARY_PATH="$L" LD_PRELOAD="$L/libnouveau_noop_drm_shim.so" \
      NOUVEAU_CHIPSET=134 NVK_I_WANT_A_BROKEN_VULKAN_DRIVER=1 \
      NOUVEAU_SVM_DEBUG=1 MESA_SHADER_CACHE_DISABLE=true ${extra_env:-} \
      timeout 120 chroot "$R" "$VKBIN" "$@" >"$out" 2>&1
   rc=$?
   sed 's/^/  | /' "$out"
   return $rc
}
nvk_off() { grep -m1 'nvk: SVM off:' "$out"; }

# The import subtests of vk-shim-nvk, each a result shim-nvk-<name>.
nvk_imports="malloc-range-imports-at-its-own-address
   device-local-import-migrates-pages-to-vsvm-and-back
   sysmem-import-moves-no-pages shared-range-is-refused
   file-backed-range-is-refused read-only-range-is-refused
   prot-none-range-is-refused range-with-a-hole-is-refused
   misaligned-pointer-is-refused misaligned-size-is-refused
   foreign-memory-handle-type-is-refused"

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

# 5. NVK. Without it in the build every NVK result fails by name.
if [ -n "$NVK_MISSING" ]; then
   for t in external-memory-host-comes-from-vm-init-on-vsvm $nvk_imports \
            no-extension-without-svm-device \
            no-extension-with-forced-edb-buffer-views \
            no-extension-without-opt-in; do
      result "shim-nvk-$t" fail "$NVK_MISSING"
   done
else
   # 5a. GETPARAM VM_INIT_SVM and VM_INIT with the window forwarded to
   #     vsvm: the extension is listed, nothing is off.
   vk /dev/vsvm-svm 1 ext-on
   on=$(grep -m1 'nvk: SVM on: window' "$out")
   if [ "$(verdict)" = pass ] && [ -n "$on" ] && ! nvk_off >/dev/null; then
      result shim-nvk-external-memory-host-comes-from-vm-init-on-vsvm \
         pass "$on"
   else
      result shim-nvk-external-memory-host-comes-from-vm-init-on-vsvm \
         fail "$(grep -m1 'VK_EXT_external_memory_host' "$out") $(nvk_off)"
   fi

   # 5b. Imports of host memory: at their own address, migrated into
   #     the device-local type, refused by rule.
   vk /dev/vsvm-svm 1 import /dev/vsvm-svm
   for t in $nvk_imports; do
      v=$(sed -n "s/^PIGLIT: {\"subtest\": {\"$t\": \"\([a-z]*\)\"}}$/\1/p" \
             "$out")
      # The subtest's last note: what failed, or what it saw.
      why=$(awk -v t="\"$t\": " '
               /^# / && !/: stderr: / { last = substr($0, 3) }
               index($0, t) && /"subtest"/ { print last; exit }' "$out")
      [ -n "$v" ] || why="no result line for $t"
      result "shim-nvk-$t" "${v:-fail}" "$why"
   done

   # 5c. No SVM device: GETPARAM VM_INIT_SVM fails as on a kernel without
   #     the extension, libnvsvm issues no VM_INIT, NVK names why and
   #     works on without the extension.
   vk '' 1 ext-off
   why=$(nvk_off)
   if [ "$(verdict)" = pass ] &&
      echo "$why" | grep -q NVSVM_E_VM_INIT_UNCONFIRMED; then
      result shim-nvk-no-extension-without-svm-device pass "$why"
   else
      result shim-nvk-no-extension-without-svm-device fail \
         "${why:-no 'nvk: SVM off' line naming NVSVM_E_VM_INIT_UNCONFIRMED}"
   fi

   # 5d. SVM on, but NVK_DEBUG=edb_bview: those texel buffer views are
   #     carved out of NVK's own VA and cannot reach a host pointer, so
   #     the extension stays off, and NVK says why.
   extra_env=NVK_DEBUG=edb_bview
   vk /dev/vsvm-svm 1 ext-off
   extra_env=
   why=$(grep -m1 'VK_EXT_external_memory_host off: NVK_DEBUG=edb_bview' "$out")
   if [ "$(verdict)" = pass ] && [ -n "$why" ]; then
      result shim-nvk-no-extension-with-forced-edb-buffer-views pass "$why"
   else
      result shim-nvk-no-extension-with-forced-edb-buffer-views fail \
         "${why:-the extension is listed, or no warning naming edb_bview}"
   fi

   # 5e. SVM device but no NOUVEAU_SVM: upstream's path, not a word.
   vk /dev/vsvm-svm '' ext-off
   why=$(grep -m1 'nvk: SVM' "$out")
   if [ "$(verdict)" = pass ] && [ -z "$why" ]; then
      result shim-nvk-no-extension-without-opt-in pass \
         "no extension, no 'nvk: SVM' line"
   else
      result shim-nvk-no-extension-without-opt-in fail \
         "${why:-the extension is listed or no device}"
   fi
fi

# 6. vsvm with a 32-bit GPU VA: the window libnvsvm reserved is beyond it,
#    vsvm refuses SVM_INIT (and NVK's VM_INIT with the window), SVM goes
#    off with the kernel's errno named. NVK's plain VM_INIT that follows
#    is refused too (its kernel-managed region is above 4 GiB, as on any
#    kernel with a 32-bit GPU VA), so NVK has no device there: only the
#    named refusal is checked.
if rmmod vsvm && insmod "$KO" va_bits=32 && vsvm_node; then
   cl /dev/vsvm-svm caps-off
   why=$(reason)
   if [ "$(verdict)" = pass ] && [ -n "$why" ]; then
      result shim-svm-off-named-when-vsvm-refuses-the-window pass "$why"
   else
      result shim-svm-off-named-when-vsvm-refuses-the-window fail \
         "${why:-no named reason}"
   fi
   if [ -n "$NVK_MISSING" ]; then
      result shim-nvk-window-refusal-named-when-vsvm-refuses-it fail \
         "$NVK_MISSING"
   else
      vk /dev/vsvm-svm 1 ext-off
      why=$(nvk_off)
      if echo "$why" | grep -q 'VM_INIT with an SVM window: EINVAL'; then
         result shim-nvk-window-refusal-named-when-vsvm-refuses-it pass \
            "$why"
      else
         result shim-nvk-window-refusal-named-when-vsvm-refuses-it fail \
            "${why:-no 'nvk: SVM off' line naming EINVAL}"
      fi
   fi
else
   result shim-svm-off-named-when-vsvm-refuses-the-window fail \
      "could not reload vsvm with va_bits=32"
   result shim-nvk-window-refusal-named-when-vsvm-refuses-it fail \
      "could not reload vsvm with va_bits=32"
fi

# 7. vsvm as a kernel from before the extension (vm_init_svm=0): GETPARAM
#    VM_INIT_SVM is unknown to it, libnvsvm issues no VM_INIT with the
#    window, NVK names why and goes on with the plain VM_INIT, which that
#    kernel accepts: a device without the extension.
if [ -n "$NVK_MISSING" ]; then
   result shim-nvk-no-extension-on-a-kernel-without-vm-init-svm fail \
      "$NVK_MISSING"
elif rmmod vsvm && insmod "$KO" vm_init_svm=0 && vsvm_node; then
   vk /dev/vsvm-svm 1 ext-off
   why=$(nvk_off)
   if [ "$(verdict)" = pass ] &&
      echo "$why" | grep -q NVSVM_E_VM_INIT_UNCONFIRMED; then
      result shim-nvk-no-extension-on-a-kernel-without-vm-init-svm pass \
         "$why"
   else
      result shim-nvk-no-extension-on-a-kernel-without-vm-init-svm fail \
         "${why:-no 'nvk: SVM off' line naming NVSVM_E_VM_INIT_UNCONFIRMED}"
   fi
else
   result shim-nvk-no-extension-on-a-kernel-without-vm-init-svm fail \
      "could not reload vsvm with vm_init_svm=0"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
