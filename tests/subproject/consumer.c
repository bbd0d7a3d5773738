/* SPDX-License-Identifier: MIT */
/* Links libnvsvm and the nvc0 hooks as a subproject and calls both. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "nvc0_svm.h"
#include "nvsvm/nvsvm.h"

int
main(void)
{
   struct nvc0_svm svm;
   struct nvc0_svm_screen_params p = { 0 };
   int fd = open("/dev/null", O_RDWR);
   int ret;

   /* Policy from the library: 6 GiB of VRAM -> an 8 GiB window. */
   if (nvsvm_window_size_for_vram(6ull << 30) != 8ull << 30) {
      printf("window policy wrong\n");
      return 1;
   }
   ret = nvc0_svm_screen_init(&svm, fd, &p);
   close(fd);
   /* No SVM device here: the hook must say off, with a reason. */
   if (ret == 0 || svm.caps.atomics || !svm.reason[0]) {
      printf("hook reported SVM on a non-device\n");
      return 1;
   }
   printf("consumer ok: %s\n", svm.reason);
   nvc0_svm_screen_fini(&svm);
   return 0;
}
