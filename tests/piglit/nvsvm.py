# SPDX-License-Identifier: MIT
"""nvsvm piglit profiles: the OpenCL SVM-atomics tests (group nvsvm@cl),
the Vulkan host-memory atomics tests (group nvsvm@vk) and the kernel-path
tests run in the VM (groups nvsvm@vm-<kernel>).

Piglit imports profiles as tests.<name>: run them with tests/piglit/nvsvm-piglit
(Debian's piglit with this directory added to that package), or copy/link
nvsvm*.py into a piglit checkout's tests/. Profiles:
  nvsvm_cl  the OpenCL tests only (what `make check` runs: no VM boots)
  nvsvm_vm  the kernel-path tests, each in its own VM boot
  nvsvm_vk  the Vulkan tests only (tests/suites/42-vk.sh)
  nvsvm     all three

Where things are (environment): NVSVM_ROOT (default: this checkout),
NVSVM_BUILD_CL (default ROOT/build-cl), NVSVM_BUILD_VM (default
ROOT/build-vm), NVSVM_VM_KERNELS (default "6.12 6.1"; LABEL=PATH for a
kernel tree or bzImage of your own), NVSVM_BUILD_VK (default
ROOT/build-vk). The CL tests choose their device from NVSVM_CL_PLATFORM /
NVSVM_CL_DEVICE, the Vulkan tests from NVSVM_VK_DEVICE and the loader's
VK_ICD_FILENAMES / VK_DRIVER_FILES, which piglit passes on.

Run as a script it lists the commands instead: nvsvm.py --list cl|vm|vk.
"""
import glob
import os
import sys

try:
    from framework.profile import TestProfile
    from framework.test.piglit_test import PiglitBaseTest, PiglitCLTest
except ImportError:  # outside piglit: only the listing below works
    TestProfile = None

ROOT = os.environ.get('NVSVM_ROOT') or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.realpath(__file__))))

# name -> binary under <build>/tests/cl and its arguments. Each binary
# reports one piglit subtest per scenario.
CL_TESTS = [
    ('svm-atomics@fine-grain-buffer',
     ['cl-svm-atomics', '--memory', 'buffer']),
    ('svm-atomics@fine-grain-system',
     ['cl-svm-atomics', '--memory', 'system']),
    ('svm-negative', ['cl-svm-negative']),
]

# name -> binary under <build>/tests/vk and its arguments.
VK_TESTS = [
    ('host-atomics@malloc', ['vk-host-atomics', '--memory', 'malloc']),
    ('host-atomics@mmap', ['vk-host-atomics', '--memory', 'mmap']),
    ('host-import-rules', ['vk-host-import-rules']),
]

# Spinning kernels and latency figures: one at a time, bounded in time.
CL_TIMEOUT = 300
VK_TIMEOUT = 300
# One VM boot under TCG plus the test itself.
VM_TIMEOUT = 900


def build_cl():
    return os.environ.get('NVSVM_BUILD_CL') or os.path.join(ROOT, 'build-cl')


def build_vk():
    return os.environ.get('NVSVM_BUILD_VK') or os.path.join(ROOT, 'build-vk')


def vk_commands():
    """(piglit name, argv) of every Vulkan test."""
    bindir = os.path.join(build_vk(), 'tests', 'vk')
    for name, argv in VK_TESTS:
        yield ('nvsvm@vk@' + name,
               [os.path.join(bindir, argv[0])] + argv[1:])


def build_vm():
    return os.environ.get('NVSVM_BUILD_VM') or os.path.join(ROOT, 'build-vm')


def vm_kernels():
    """(label, --kernel value): "6.12", or "LABEL=TREE-OR-BZIMAGE" for a
    kernel of your own."""
    for entry in os.environ.get('NVSVM_VM_KERNELS', '6.12 6.1').split():
        label, _, kernel = entry.partition('=')
        yield label, kernel or label


def cl_commands():
    """(piglit name, argv) of every CL test."""
    bindir = os.path.join(build_cl(), 'tests', 'cl')
    for name, argv in CL_TESTS:
        yield ('nvsvm@cl@' + name,
               [os.path.join(bindir, argv[0])] + argv[1:])


def _vsvm_module(kernel):
    """vsvm.ko built for this kernel by tools/vm/suite.sh, if any: it
    builds into vsvm-<basename of the kernel tree>."""
    pattern = ('vsvm-' + os.path.basename(kernel.rstrip('/'))
               if os.sep in kernel else 'vsvm-%s-*' % kernel)
    found = sorted(glob.glob(os.path.join(build_vm(), pattern, 'vsvm.ko')))
    plain = [k for k in found if '-debug-' not in k]
    return (plain or found or [None])[0]


def vm_commands():
    """(piglit name, argv) of every kernel-path test on every kernel."""
    run = os.path.join(ROOT, 'tools', 'vm', 'run')
    exes = []
    for family, pattern in (('kernel', 'kt-*'), ('vsvm', 'vt-*')):
        for exe in sorted(glob.glob(os.path.join(build_vm(), 'tests', family,
                                                 pattern))):
            if os.path.isfile(exe) and os.access(exe, os.X_OK):
                exes.append((family, exe))
    for label, kernel in vm_kernels():
        module = _vsvm_module(kernel)
        for family, exe in exes:
            argv = [run, '--kernel', kernel, '--build', build_vm(),
                    '--timeout', str(VM_TIMEOUT - 60),
                    '--env', 'NVSVM_HARNESS_FORMAT=piglit',
                    '--env', 'NVSVM_HARNESS_TIMEOUT_SCALE=2']
            if family == 'vsvm' and module:
                argv += ['--module', module]
            yield ('nvsvm@vm-%s@%s@%s' % (label, family,
                                          os.path.basename(exe)),
                   argv + ['--', exe])


def make_profile(cl=True, vm=False, vk=False):
    profile = TestProfile()
    if vk:
        for name, argv in vk_commands():
            if not os.access(argv[0], os.X_OK):
                print('nvsvm profile: %s is not built (meson setup %s '
                      '-Dvulkan=enabled && ninja -C %s)'
                      % (argv[0], build_vk(), build_vk()), file=sys.stderr)
            test = PiglitBaseTest(argv, run_concurrent=False)
            test.timeout = VK_TIMEOUT
            profile.test_list[name] = test
    if cl:
        for name, argv in cl_commands():
            if not os.access(argv[0], os.X_OK):
                print('nvsvm profile: %s is not built (meson setup %s '
                      '-Dopencl=enabled && ninja -C %s)'
                      % (argv[0], build_cl(), build_cl()), file=sys.stderr)
            test = PiglitCLTest(argv, run_concurrent=False)
            test.timeout = CL_TIMEOUT
            profile.test_list[name] = test
    if vm:
        count = 0
        for name, argv in vm_commands():
            test = PiglitBaseTest(argv, run_concurrent=False, cwd=ROOT)
            test.timeout = VM_TIMEOUT
            profile.test_list[name] = test
            count += 1
        if not count:
            print('nvsvm profile: no kernel-path tests in %s/tests/{kernel,'
                  'vsvm} (build them: tools/vm/suite.sh 6.12)' % build_vm(),
                  file=sys.stderr)
    return profile


def __getattr__(name):
    # Built on demand, so nvsvm_cl importing make_profile from here does not
    # also look for VM tests.
    if name == 'profile' and TestProfile is not None:
        return make_profile(cl=True, vm=True, vk=True)
    raise AttributeError(name)

if __name__ == '__main__':
    which = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == '--list' \
        else None
    if which not in ('cl', 'vm', 'vk'):
        sys.exit('usage: nvsvm.py --list cl|vm|vk')
    commands = {'cl': cl_commands, 'vm': vm_commands, 'vk': vk_commands}
    for name, argv in commands[which]():
        print('\t'.join([name] + argv))
