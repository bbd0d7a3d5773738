/* SPDX-License-Identifier: MIT */
/*
 * The machine probe behind `nvsvm probe`: DRM nodes and drivers, the
 * nouveau SVM_INIT outcome per node, kernel, THP mode, test devices.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "nvsvm_priv.h"

/* "always [madvise] never": the bracketed word is the mode. */
static void
probe_thp(struct nvsvm_probe_result *out)
{
   char buf[128], *a, *b;
   ssize_t n;
   int fd;

   fd = open("/sys/kernel/mm/transparent_hugepage/enabled",
             O_RDONLY | O_CLOEXEC);
   if (fd < 0)
      return;
   n = read(fd, buf, sizeof(buf) - 1);
   close(fd);
   if (n <= 0)
      return;
   buf[n] = '\0';
   a = strchr(buf, '[');
   b = a ? strchr(a, ']') : NULL;
   if (!a || !b)
      return;
   *b = '\0';
   nvsvm_strlcpy(out->thp_mode, a + 1, sizeof(out->thp_mode));
}

static void
probe_hmm(struct nvsvm_probe_result *out)
{
   struct dirent *de;
   DIR *dir = opendir("/dev");

   while (dir && (de = readdir(dir))) {
      char path[32];
      struct stat st;

      if (strncmp(de->d_name, "hmm_dmirror", 11) != 0)
         continue;
      snprintf(path, sizeof(path), "/dev/%.20s", de->d_name);
      if (stat(path, &st) != 0 || !S_ISCHR(st.st_mode))
         continue;
      if (out->hmm_count < NVSVM_PROBE_MAX_HMM)
         nvsvm_strlcpy(out->hmm_paths[out->hmm_count], path,
                       sizeof(out->hmm_paths[0]));
      out->hmm_count++;
   }
   if (dir)
      closedir(dir);
}

/* Open a node we drive and try SVM_INIT on that fresh fd. */
static void
probe_node(struct nvsvm_probe_node *pn)
{
   struct nvsvm_device *dev;
   int ret;

   ret = nvsvm_device_open(pn->node.path, &dev);
   pn->open_err = ret;
   if (ret)
      return;
   pn->backend = dev->info.backend;
   pn->chipset = dev->info.chipset;
   pn->vram_size = dev->info.vram_size;
   pn->svm_tried = true;
   pn->svm_init_err = nvsvm_svm_init(dev, NULL);
   nvsvm_device_close(dev);
}

NVSVM_EXPORT int
nvsvm_probe_machine(struct nvsvm_probe_result *out)
{
   struct nvsvm_drm_node nodes[NVSVM_PROBE_MAX_NODES];
   struct nvsvm_probe_node *first_nouveau = NULL;
   struct utsname u;
   int ret;

   if (!out)
      return -EINVAL;
   memset(out, 0, sizeof(*out));
   if (uname(&u) == 0)
      nvsvm_strlcpy(out->kernel_release, u.release,
                    sizeof(out->kernel_release));
   probe_thp(out);
   probe_hmm(out);

   ret = nvsvm_drm_enumerate(nodes, NVSVM_PROBE_MAX_NODES,
                             &out->node_count);
   if (ret)
      return ret;
   out->node_listed = out->node_count < NVSVM_PROBE_MAX_NODES ?
                      out->node_count : NVSVM_PROBE_MAX_NODES;
   for (unsigned i = 0; i < out->node_listed; i++) {
      struct nvsvm_probe_node *pn = &out->nodes[i];
      bool nouveau = strcmp(nodes[i].driver, "nouveau") == 0;

      pn->node = nodes[i];
      if (strcmp(nodes[i].driver, "vsvm") == 0)
         out->vsvm_present = true;
      else if (!nouveau)
         continue;
      probe_node(pn);
      if (!nouveau)
         continue;
      if (!first_nouveau)
         first_nouveau = pn;
      if (pn->open_err == 0)
         out->nouveau_available = true;
      if (pn->svm_tried && pn->svm_init_err == 0)
         out->nouveau_svm = true;
   }

   if (!first_nouveau) {
      snprintf(out->nouveau_reason, sizeof(out->nouveau_reason),
               "no nouveau DRM device");
   } else if (!out->nouveau_available) {
      snprintf(out->nouveau_reason, sizeof(out->nouveau_reason),
               "cannot open %.60s: %s", first_nouveau->node.path,
               nvsvm_strerror(first_nouveau->open_err));
   } else if (!out->nouveau_svm) {
      for (unsigned i = 0; i < out->node_listed; i++) {
         struct nvsvm_probe_node *pn = &out->nodes[i];

         if (pn->backend == NVSVM_BACKEND_NOUVEAU && pn->svm_tried) {
            snprintf(out->nouveau_reason, sizeof(out->nouveau_reason),
                     "SVM_INIT %s: %s",
                     nvsvm_error_name(pn->svm_init_err),
                     nvsvm_svm_init_strerror(pn->svm_init_err));
            break;
         }
      }
   }
   return 0;
}
