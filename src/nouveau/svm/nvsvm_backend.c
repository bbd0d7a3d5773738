/* SPDX-License-Identifier: MIT */
/*
 * The backend table: every backend libnvsvm knows, tried in order on an
 * open fd. Adding a backend is one line here plus its own file.
 */

#include <errno.h>

#include "nvsvm_priv.h"

static const struct nvsvm_backend_ops *const nvsvm_backends[] = {
   &nvsvm_backend_hmm,      /* no DRM ioctl reaches a dmirror */
   &nvsvm_backend_nouveau,
   &nvsvm_backend_vsvm,     /* nouveau's probe wants driver "nouveau" */
};

int
nvsvm_backend_probe(struct nvsvm_device *dev)
{
   for (unsigned i = 0; i < sizeof(nvsvm_backends) /
                            sizeof(nvsvm_backends[0]); i++) {
      const struct nvsvm_backend_ops *ops = nvsvm_backends[i];
      int ret;

      dev->ops = ops;
      ret = ops->probe(dev);
      if (ret == 0) {
         dev->info.backend = ops->kind;
         nvsvm_debug("%s: driven by the %s backend", dev->info.path,
                     ops->name);
         return 0;
      }
      /* Not ours is expected; anything else is a real failure. */
      if (ret != -NVSVM_E_NOT_SUPPORTED) {
         nvsvm_debug("%s: %s backend probe failed: %s", dev->info.path,
                     ops->name, nvsvm_error_name(ret));
         dev->ops = NULL;
         return ret;
      }
   }
   dev->ops = NULL;
   nvsvm_debug("%s: no backend drives this file", dev->info.path);
   return -NVSVM_E_NOT_SUPPORTED;
}

NVSVM_EXPORT const char *
nvsvm_backend_name(enum nvsvm_backend_kind kind)
{
   switch (kind) {
   case NVSVM_BACKEND_NONE:
      return "none";
   case NVSVM_BACKEND_NOUVEAU:
      return "nouveau";
   case NVSVM_BACKEND_VSVM:
      return "vsvm";
   case NVSVM_BACKEND_HMM:
      return "hmm";
   }
   return "unknown";
}
