/* SPDX-License-Identifier: MIT */
/* Names and one-line reasons for every value libnvsvm returns. */

#include <errno.h>
#include <string.h>

#include "nvsvm_priv.h"

struct nvsvm_err_entry {
   int code;
   const char *name;
   const char *reason;
};

static const struct nvsvm_err_entry nvsvm_own_errors[] = {
   { NVSVM_E_BIND_EMPTY, "NVSVM_E_BIND_EMPTY",
     "SVM_BIND range is empty (va_start >= va_end)" },
   { NVSVM_E_BIND_UNALIGNED, "NVSVM_E_BIND_UNALIGNED",
     "SVM_BIND range is not 4 KiB aligned" },
   { NVSVM_E_BIND_COMMAND, "NVSVM_E_BIND_COMMAND",
     "SVM_BIND command unknown or not valid here (MIGRATE, or "
     "ATOMIC_FAULT through nvsvm_atomic_range_fault)" },
   { NVSVM_E_BIND_TARGET, "NVSVM_E_BIND_TARGET",
     "SVM_BIND target unknown (only GPU_VRAM exists; to-host is a CPU "
     "fault, not a bind)" },
   { NVSVM_E_BIND_PRIORITY, "NVSVM_E_BIND_PRIORITY",
     "SVM_BIND priority does not fit 8 bits" },
   { NVSVM_E_BIND_STRIDE, "NVSVM_E_BIND_STRIDE",
     "SVM_BIND stride must be 0" },
   { NVSVM_E_NO_SVM, "NVSVM_E_NO_SVM",
     "SVM_INIT has not succeeded on this device" },
   { NVSVM_E_WINDOW_SIZE, "NVSVM_E_WINDOW_SIZE",
     "unmanaged window size is not a power of two within limits, or "
     "NVSVM_WINDOW_SIZE is malformed" },
   { NVSVM_E_WINDOW_NO_SLOT, "NVSVM_E_WINDOW_NO_SLOT",
     "no free aligned slot for the unmanaged window in the CPU address "
     "space" },
   { NVSVM_E_NOT_SUPPORTED, "NVSVM_E_NOT_SUPPORTED",
     "operation not offered by this backend" },
   { NVSVM_E_KERNEL_UNKNOWN, "NVSVM_E_KERNEL_UNKNOWN",
     "kernel version has no pinned numbers for this private uAPI" },
   { NVSVM_E_RANGE, "NVSVM_E_RANGE",
     "range cannot take GPU atomics (see the range report)" },
   { NVSVM_E_PARSE, "NVSVM_E_PARSE", "malformed /proc input" },
   { NVSVM_E_TIMEOUT, "NVSVM_E_TIMEOUT", "a bounded wait ran out" },
   { NVSVM_E_UNALIGNED, "NVSVM_E_UNALIGNED",
     "address or length is not 4 KiB aligned" },
   { NVSVM_E_ATOMIC_FAULT_UNSUPPORTED, "NVSVM_E_ATOMIC_FAULT_UNSUPPORTED",
     "kernel does not support SVM_BIND command ATOMIC_FAULT (atomic range "
     "fault): first-touch device faults only" },
   { NVSVM_E_ATOMIC_FAULT_STOPPED, "NVSVM_E_ATOMIC_FAULT_STOPPED",
     "atomic range fault stopped at a page it could not convert (see the "
     "report's fault_addr and fault_errno)" },
   { NVSVM_E_IN_WINDOW, "NVSVM_E_IN_WINDOW",
     "range overlaps the SVM unmanaged window" },
   { NVSVM_E_VM_INIT_UNCONFIRMED, "NVSVM_E_VM_INIT_UNCONFIRMED",
     "kernel does not confirm VM_INIT with the SVM window (GETPARAM "
     "VM_INIT_SVM); an older kernel would ignore the flag, so VM_INIT was "
     "not issued" },
};

static const struct nvsvm_err_entry *
nvsvm_own_error(int err)
{
   for (unsigned i = 0; i < sizeof(nvsvm_own_errors) /
                            sizeof(nvsvm_own_errors[0]); i++) {
      /* err == code negated, without negating INT_MIN. */
      if (err < 0 && nvsvm_own_errors[i].code == -(long long)err)
         return &nvsvm_own_errors[i];
   }
   return NULL;
}

NVSVM_EXPORT const char *
nvsvm_error_name(int err)
{
   const struct nvsvm_err_entry *e;

   if (err == 0)
      return "OK";
   e = nvsvm_own_error(err);
   if (e)
      return e->name;
   if (err < 0 && err > -NVSVM_E_BASE) {
      const char *n = strerrorname_np(-err);
      if (n)
         return n;
   }
   return "UNKNOWN";
}

NVSVM_EXPORT const char *
nvsvm_strerror(int err)
{
   const struct nvsvm_err_entry *e;

   if (err == 0)
      return "success";
   e = nvsvm_own_error(err);
   if (e)
      return e->reason;
   if (err < 0 && err > -NVSVM_E_BASE)
      return strerror(-err);
   return "unknown error";
}

NVSVM_EXPORT const char *
nvsvm_svm_init_strerror(int err)
{
   switch (err) {
   case 0:
      return "SVM initialised";
   case -ENOSYS:
      return "kernel without CONFIG_DRM_NOUVEAU_SVM, or GPU family newer "
             "than Pascal (upstream disables SVM there)";
   case -EBUSY:
      return "SVM already initialised on this file";
   case -EINVAL:
      return "unmanaged window outside the GPU VA space";
   case -ENOMEM:
      return "kernel out of memory setting up SVM";
   case -EACCES:
   case -EPERM:
      return "not allowed to use this DRM node";
   case -ENOTTY:
      return "driver has no SVM_INIT ioctl (not nouveau or too old)";
   case -ENODEV:
      return "device gone";
   default:
      return nvsvm_strerror(err);
   }
}
