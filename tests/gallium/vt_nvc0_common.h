/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the nvc0 hook scenarios against vsvm in the VM
 * (tests/gallium/vt-nvc0-*.c, on the shared harness,
 * tests/common/harness.h). Header-only: each family is one binary.
 *
 * The fixture, written once here:
 * - nvc0: the vsvm render node found (self->node; skips naming vsvm.ko
 *   when none is loaded) and the hook's log captured (self->errors,
 *   self->last). A scenario brings a screen up with its own
 *   parameters through nvc0_vt_screen_up(); the teardown takes down
 *   every screen still up, whatever ended the scenario.
 */
#ifndef VT_NVC0_COMMON_H
#define VT_NVC0_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "harness_nvsvm.h"
#include "nvc0_svm.h"
#include "nvsvm/nvsvm.h"

/* One screen: the hook's state on its own fd. */
struct nvc0_vt_screen {
   struct nvc0_svm svm;
   int fd;
   bool up;   /* taken down by the teardown unless the scenario did */
};

FIXTURE(nvc0)
{
   char node[64];
   unsigned errors;    /* error lines the hook logged */
   char last[256];     /* the last line it logged */
   struct nvc0_vt_screen screen[2];
};

static void
nvc0_vt_log(void *data, enum nvc0_svm_log_level level, const char *msg)
{
   FIXTURE_DATA(nvc0) *self = data;

   if (level == NVC0_SVM_LOG_ERROR)
      self->errors++;
   snprintf(self->last, sizeof(self->last), "%s", msg);
   TH_LOG("hook log: %s", msg);
}

FIXTURE_SETUP(nvc0)
{
   struct nvsvm_drm_node nodes[16];
   unsigned n = 0;

   if (nvsvm_drm_enumerate(nodes, 16, &n) == 0) {
      for (unsigned i = 0; i < n && i < 16; i++) {
         if (!strcmp(nodes[i].driver, "vsvm")) {
            snprintf(self->node, sizeof(self->node), "%s", nodes[i].path);
            break;
         }
      }
   }
   if (!self->node[0])
      SKIP("no vsvm render node: load kernel/vsvm/vsvm.ko");
   TH_LOG("vsvm node %s", self->node);
}

/* Take a screen down: fini (safe after any failure), close, opt out. */
static inline void
nvc0_vt_screen_down(struct nvc0_vt_screen *s)
{
   if (!s->up)
      return;
   nvc0_svm_screen_fini(&s->svm);
   if (s->fd >= 0)
      close(s->fd);
   unsetenv("NOUVEAU_SVM");
   s->up = false;
}

FIXTURE_TEARDOWN(nvc0)
{
   nvc0_vt_screen_down(&self->screen[1]);
   nvc0_vt_screen_down(&self->screen[0]);
}

/*
 * A screen on a fresh fd of the vsvm node, as nvc0 creates one: SVM
 * opted in (NOUVEAU_SVM=1), the log captured into the fixture. The
 * result of nvc0_svm_screen_init(), or a negative errno from open().
 */
static inline int
nvc0_vt_screen_up(FIXTURE_DATA(nvc0) *self, struct nvc0_vt_screen *s,
                  struct nvc0_svm_screen_params p)
{
   p.log = nvc0_vt_log;
   p.log_data = self;
   memset(&s->svm, 0, sizeof(s->svm));   /* fini is safe after a failure */
   s->fd = open(self->node, O_RDWR | O_CLOEXEC);
   s->up = true;
   if (s->fd < 0)
      return -errno;
   setenv("NOUVEAU_SVM", "1", 1);
   return nvc0_svm_screen_init(&s->svm, s->fd, &p);
}

#endif /* VT_NVC0_COMMON_H */
