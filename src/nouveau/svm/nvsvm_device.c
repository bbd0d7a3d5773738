/* SPDX-License-Identifier: MIT */
/*
 * Device discovery and the device handle: enumerate DRM render nodes,
 * open one (or wrap the caller's fd), and the public device-side calls
 * that dispatch to the backend.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xf86drm.h>

#include "nvsvm_priv.h"

/* More GPUs than any machine has; the rest are counted, not listed. */
#define NVSVM_ENUM_MAX 64

/* The driver name of a DRM node: DRM_IOCTL_VERSION, else sysfs. */
static void
drm_node_driver(struct nvsvm_drm_node *node)
{
   char link[PATH_MAX], target[PATH_MAX];
   const char *base;
   drmVersionPtr ver;
   ssize_t n;
   int fd;

   fd = open(node->path, O_RDWR | O_CLOEXEC);
   if (fd >= 0) {
      ver = drmGetVersion(fd);
      if (ver && ver->name) {
         nvsvm_strlcpy(node->driver, ver->name, sizeof(node->driver));
         drmFreeVersion(ver);
         close(fd);
         return;
      }
      if (ver)
         drmFreeVersion(ver);
      close(fd);
   }
   /* No permission to open: the kernel module name still tells. */
   base = strrchr(node->path, '/');
   base = base ? base + 1 : node->path;
   snprintf(link, sizeof(link), "/sys/class/drm/%s/device/driver", base);
   n = readlink(link, target, sizeof(target) - 1);
   if (n <= 0) {
      snprintf(node->driver, sizeof(node->driver), "unknown");
      return;
   }
   target[n] = '\0';
   base = strrchr(target, '/');
   nvsvm_strlcpy(node->driver, base ? base + 1 : target,
                 sizeof(node->driver));
}

static bool
node_listed(const struct nvsvm_drm_node *list, unsigned n, const char *path)
{
   for (unsigned i = 0; i < n; i++) {
      if (strcmp(list[i].path, path) == 0)
         return true;
   }
   return false;
}

static int
node_cmp(const void *a, const void *b)
{
   const struct nvsvm_drm_node *x = a, *y = b;

   return strcmp(x->path, y->path);
}

NVSVM_EXPORT int
nvsvm_drm_enumerate(struct nvsvm_drm_node *nodes, unsigned max,
                    unsigned *count)
{
   drmDevicePtr devs[NVSVM_ENUM_MAX];
   struct nvsvm_drm_node *found;
   unsigned n = 0, total = 0;
   struct dirent *de;
   DIR *dir;
   int ndev;

   if (!count || (max && !nodes))
      return -EINVAL;
   *count = 0;
   found = calloc(NVSVM_ENUM_MAX, sizeof(*found));
   if (!found)
      return -ENOMEM;

   ndev = drmGetDevices2(0, devs, NVSVM_ENUM_MAX);
   if (ndev < 0) {
      nvsvm_debug("drmGetDevices2: %s", nvsvm_error_name(ndev));
      ndev = 0;
   }
   for (int i = 0; i < ndev; i++) {
      drmDevicePtr d = devs[i];
      int type = (d->available_nodes & (1 << DRM_NODE_RENDER)) ?
                 DRM_NODE_RENDER : DRM_NODE_PRIMARY;

      if (!(d->available_nodes & (1 << type)))
         continue;
      total++;
      if (n == NVSVM_ENUM_MAX)
         continue;
      nvsvm_strlcpy(found[n].path, d->nodes[type], sizeof(found[n].path));
      if (d->bustype == DRM_BUS_PCI && d->deviceinfo.pci) {
         found[n].vendor_id = d->deviceinfo.pci->vendor_id;
         found[n].device_id = d->deviceinfo.pci->device_id;
      }
      n++;
   }
   if (ndev > 0)
      drmFreeDevices(devs, ndev);

   /*
    * libdrm skips devices on buses it does not know (virtual drivers such
    * as vgem or vsvm): list their render nodes from /dev/dri as well.
    */
   dir = opendir("/dev/dri");
   while (dir && (de = readdir(dir))) {
      char path[64];

      if (strncmp(de->d_name, "renderD", 7) != 0)
         continue;
      snprintf(path, sizeof(path), "/dev/dri/%.50s", de->d_name);
      if (node_listed(found, n, path))
         continue;
      total++;
      if (n == NVSVM_ENUM_MAX)
         continue;
      nvsvm_strlcpy(found[n].path, path, sizeof(found[n].path));
      n++;
   }
   if (dir)
      closedir(dir);

   qsort(found, n, sizeof(*found), node_cmp);
   for (unsigned i = 0; i < n && i < max; i++) {
      nodes[i] = found[i];
      drm_node_driver(&nodes[i]);
   }
   free(found);
   *count = total;
   return 0;
}

void
nvsvm_device_fill_path(struct nvsvm_device *dev)
{
   char link[64];
   ssize_t n;

   snprintf(link, sizeof(link), "/proc/self/fd/%d", dev->fd);
   n = readlink(link, dev->info.path, sizeof(dev->info.path) - 1);
   if (n < 0)
      n = 0;
   dev->info.path[n] = '\0';
}

static int
device_create(int fd, bool owns_fd, const char *path,
              struct nvsvm_device **out)
{
   struct nvsvm_device *dev;
   int ret;

   dev = calloc(1, sizeof(*dev));
   if (!dev)
      return -ENOMEM;
   dev->fd = fd;
   dev->owns_fd = owns_fd;
   if (path)
      nvsvm_strlcpy(dev->info.path, path, sizeof(dev->info.path));
   else
      nvsvm_device_fill_path(dev);

   ret = nvsvm_backend_probe(dev);
   if (ret) {
      free(dev);
      return ret;
   }
   *out = dev;
   return 0;
}

/* The first nouveau or vsvm node, for a NULL path. */
static int
device_default_path(char *path, size_t size)
{
   struct nvsvm_drm_node nodes[16];
   unsigned count;
   int ret;

   ret = nvsvm_drm_enumerate(nodes, 16, &count);
   if (ret)
      return ret;
   for (unsigned i = 0; i < count && i < 16; i++) {
      if (strcmp(nodes[i].driver, "nouveau") == 0 ||
          strcmp(nodes[i].driver, "vsvm") == 0) {
         nvsvm_strlcpy(path, nodes[i].path, size);
         return 0;
      }
   }
   nvsvm_debug("no nouveau or vsvm DRM node among %u", count);
   return -ENODEV;
}

NVSVM_EXPORT int
nvsvm_device_open(const char *path, struct nvsvm_device **out)
{
   char def[64];
   int fd, ret;

   if (!out)
      return -EINVAL;
   *out = NULL;
   if (!path) {
      ret = device_default_path(def, sizeof(def));
      if (ret)
         return ret;
      path = def;
   }
   fd = open(path, O_RDWR | O_CLOEXEC);
   if (fd < 0) {
      ret = -errno;
      nvsvm_debug("open %s: %s", path, nvsvm_error_name(ret));
      return ret;
   }
   ret = device_create(fd, true, path, out);
   if (ret)
      close(fd);
   return ret;
}

NVSVM_EXPORT int
nvsvm_device_open_fd(int fd, struct nvsvm_device **out)
{
   if (!out)
      return -EINVAL;
   *out = NULL;
   if (fd < 0 || fcntl(fd, F_GETFD) < 0)
      return -EBADF;
   return device_create(fd, false, NULL, out);
}

NVSVM_EXPORT void
nvsvm_device_close(struct nvsvm_device *dev)
{
   if (!dev)
      return;
   if (dev->ops && dev->ops->destroy)
      dev->ops->destroy(dev);
   if (dev->owns_fd) {
      /* The GPU address space dies with the file: the window may go. */
      close(dev->fd);
      nvsvm_window_release(&dev->window);
   }
   /*
    * A borrowed fd keeps its SVM address space after we are gone, so its
    * window stays reserved: unmapping it would let malloc hand out
    * addresses the GPU does not mirror.
    */
   free(dev);
}

NVSVM_EXPORT int
nvsvm_device_get_info(const struct nvsvm_device *dev,
                      struct nvsvm_device_info *info)
{
   if (!dev || !info)
      return -EINVAL;
   *info = dev->info;
   return 0;
}

NVSVM_EXPORT int
nvsvm_device_fd(const struct nvsvm_device *dev)
{
   return dev ? dev->fd : -EINVAL;
}

/* Device-side ops take whole pages; check before the backend sees it. */
static int
check_pages(const void *ptr, size_t len, uint64_t *npages)
{
   uintptr_t a = (uintptr_t)ptr;

   if (!ptr || !len)
      return -EINVAL;
   if ((a | len) & (NVSVM_PAGE_SIZE - 1))
      return -NVSVM_E_UNALIGNED;
   if (a + len < a)
      return -EINVAL;
   *npages = len / NVSVM_PAGE_SIZE;
   return 0;
}

int
nvsvm_device_atomic_fault(struct nvsvm_device *dev, void *ptr, size_t len,
                          void *copy_out)
{
   uint64_t npages;
   int ret;

   if (!dev)
      return -EINVAL;
   ret = check_pages(ptr, len, &npages);
   if (ret)
      return ret;
   return nvsvm_backend_call(dev, atomic_fault, (uintptr_t)ptr, npages,
                             copy_out);
}

int
nvsvm_device_check_exclusive(struct nvsvm_device *dev, void *ptr,
                             size_t len)
{
   uint64_t npages;
   int ret;

   if (!dev)
      return -EINVAL;
   ret = check_pages(ptr, len, &npages);
   if (ret)
      return ret;
   return nvsvm_backend_call(dev, check_exclusive, (uintptr_t)ptr, npages);
}

int
nvsvm_device_read(struct nvsvm_device *dev, const void *ptr, size_t len,
                  void *out)
{
   uint64_t npages;
   int ret;

   if (!dev || !out)
      return -EINVAL;
   ret = check_pages(ptr, len, &npages);
   if (ret)
      return ret;
   return nvsvm_backend_call(dev, dev_read, (uintptr_t)ptr, npages, out);
}

int
nvsvm_device_write(struct nvsvm_device *dev, void *ptr, size_t len,
                   const void *in)
{
   uint64_t npages;
   int ret;

   if (!dev || !in)
      return -EINVAL;
   ret = check_pages(ptr, len, &npages);
   if (ret)
      return ret;
   return nvsvm_backend_call(dev, dev_write, (uintptr_t)ptr, npages, in);
}
