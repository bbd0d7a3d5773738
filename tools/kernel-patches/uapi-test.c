/* SPDX-License-Identifier: MIT */
/*
 * The patched nouveau uAPI header as userspace sees it: it compiles alone,
 * struct drm_nouveau_svm_bind keeps its size and layout, the new output
 * names alias the reserved fields, and the new command number is there.
 * Prints the layout it checked; exits 1 on a mismatch.
 */
#include <stddef.h>
#include <stdio.h>

#include <drm/nouveau_drm.h>

int
main(void)
{
   struct drm_nouveau_svm_bind b = { 0 };
   int bad = 0;

   b.reserved0 = 0x1000;
   b.reserved1 = 7;
   if (sizeof(b) != 64)
      bad = 1;
   if (offsetof(struct drm_nouveau_svm_bind, fault_addr) != 48 ||
       offsetof(struct drm_nouveau_svm_bind, reserved0) != 48 ||
       offsetof(struct drm_nouveau_svm_bind, fault_errno) != 56 ||
       offsetof(struct drm_nouveau_svm_bind, reserved1) != 56)
      bad = 1;
   if (b.fault_addr != 0x1000 || b.fault_errno != 7)
      bad = 1;
   if (NOUVEAU_SVM_BIND_COMMAND__ATOMIC_FAULT != 1 ||
       NOUVEAU_SVM_BIND_COMMAND__MIGRATE != 0)
      bad = 1;
   if (bad) {
      printf("drm_nouveau_svm_bind layout mismatch (size %u)\n",
             (unsigned)sizeof(b));
      return 1;
   }
   printf("svm_bind 64 bytes, fault_addr@48, fault_errno@56, ATOMIC_FAULT=1");
   return 0;
}
