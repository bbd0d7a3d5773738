#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: MIT
# /init of the nvsvm test VM: mount the pseudo filesystems, load the given
# modules, run the one command in /nvsvm/cmd and report its exit status.
#
# The host (tools/vm/run) looks for the NVSVM-VM-EXIT line. The guest then
# reboots: qemu -no-reboot turns that into a clean exit for any kernel,
# while power-off only halts a kernel built without ACPI.

/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/hugepages
# No tmpfs over /tmp: a build dir under /tmp on the host is in the
# initramfs at that same path. The initramfs root is writable already.
chmod 1777 /tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

finish()
{
   echo "NVSVM-VM-EXIT: $1"
   sync
   reboot -f
   # Not reached unless reboot failed; the host timeout ends the VM.
   sleep 3600
}

# A few huge pages for the hugetlb scenarios, and a zram swap device so that
# MADV_PAGEOUT can really swap anonymous pages out.
[ -w /proc/sys/vm/nr_hugepages ] && echo 8 >/proc/sys/vm/nr_hugepages
if [ -w /sys/block/zram0/disksize ]; then
   echo 64M >/sys/block/zram0/disksize &&
      mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
fi

for m in /nvsvm/modules/*.ko; do
   [ -f "$m" ] || continue
   if ! insmod "$m"; then
      echo "nvsvm-vm: insmod $m failed"
      finish 125
   fi
done

[ -f /nvsvm/env ] && . /nvsvm/env
if [ -z "$NVSVM_KERNEL" ]; then
   NVSVM_KERNEL=$(uname -r)
   export NVSVM_KERNEL
fi
cd "${NVSVM_VM_CWD:-/}" || finish 125

echo "nvsvm-vm: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo)" \
   "cpu(s); running: $(cat /nvsvm/cmd.txt 2>/dev/null)"
sh /nvsvm/cmd </dev/null
finish $?
