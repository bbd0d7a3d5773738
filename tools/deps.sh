#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian packages nvsvm needs, only those missing. As root it
# runs apt-get; otherwise it prints the apt-get line to run.
set -euo pipefail

pkgs=(
  # build
  build-essential git meson ninja-build pkg-config libdrm-dev python3
  clang llvm lld libclang-rt-14-dev
  # the VM: kernel sources, kernel build tools, qemu, initramfs
  linux-source-6.12 linux-source-6.1 bc flex bison libelf-dev libssl-dev
  dwarves kmod cpio xz-utils qemu-system-x86 busybox-static
  liburing-dev
  # OpenCL and piglit
  ocl-icd-opencl-dev ocl-icd-libopencl1 opencl-c-headers pocl-opencl-icd
  clinfo piglit
  mesa-opencl-icd   # rusticl: where the CL tests must skip by name
  # Vulkan tests: loader, lavapipe, GLSL -> SPIR-V, vulkaninfo
  libvulkan-dev mesa-vulkan-drivers glslang-tools vulkan-tools
  # Mesa series (tests/suites/50-mesa.sh): the trixie build chroot
  debootstrap
  # benchmarks and plots
  gnuplot-nox jq
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
       grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages; run as root:"
  echo "  apt-get update && $line"
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
$line
