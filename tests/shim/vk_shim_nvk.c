/* SPDX-License-Identifier: MIT */
/*
 * NVK under Mesa's nouveau drm-shim, with the shim's VM_INIT and SVM
 * ioctls forwarded to vsvm (NOUVEAU_SHIM_SVM_DEVICE):
 * VK_EXT_external_memory_host comes from a real VM_INIT with an SVM
 * window, and an import of malloc memory is checked from the kernel's
 * side (the process's pagemap and vsvm's device counters).
 *
 * usage: vk-shim-nvk ext-on|ext-off|import [VSVM-NODE]
 *   ext-on   VK_EXT_external_memory_host is listed with
 *            minImportedHostPointerAlignment 4096, and a VkDevice is
 *            created with it and bufferDeviceAddress enabled
 *   ext-off  it is not listed, and a VkDevice is still created
 *   import   what an import of host memory does: malloc memory is
 *            imported at its own address (GPU VA = CPU VA), into the
 *            device-local type it migrates to vsvm's memory, into the
 *            system-memory type it stays; ranges the range rules refuse
 *            are refused with VK_ERROR_INVALID_EXTERNAL_HANDLE and the
 *            rule named on stderr
 * VSVM-NODE: a path to vsvm's render node that the shim does not fake
 * (the counters are read through it). The ICD is dlopened directly, no
 * Vulkan loader: NVSVM_SHIM_VK_ICD, else libvulkan_nouveau.so from the
 * library path. Prints piglit result lines and "N passed, N failed, N
 * skipped". Nothing is submitted: shaders do not run under the noop shim.
 */
#include <vulkan/vulkan.h>

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pagemap.h"
#include "piglit.h"
#include "shim_view.h"
#include "vsvm_drm.h"

#define SHIM_PAGES 16u
#define SHIM_PAGE 4096u
#define SHIM_LEN (SHIM_PAGES * SHIM_PAGE)
/* Every wait ends: a hung call fails the run instead of the VM. */
#define SHIM_ALARM_S 90u
#define SHIM_EXT VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME

#define HOST_ALLOC VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT
#define HOST_VC (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |                      \
                 VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)

struct shim {
   void *icd;
   PFN_vkGetInstanceProcAddr gipa;
   VkInstance inst;
   VkPhysicalDevice pdev;
   VkDevice dev;
   VkPhysicalDeviceMemoryProperties mem;
   bool ext_listed;
   VkDeviceSize import_align;
   /* The types a malloc pointer may be imported into, and two of them:
    * system memory (HOST_CACHED, not DEVICE_LOCAL) and device-local. */
   uint32_t host_bits;
   uint32_t sysmem_type;
   uint32_t devlocal_type;

   PFN_vkDestroyInstance DestroyInstance;
   PFN_vkDestroyDevice DestroyDevice;
   PFN_vkGetMemoryHostPointerPropertiesEXT GetMemoryHostPointerProperties;
   PFN_vkAllocateMemory AllocateMemory;
   PFN_vkFreeMemory FreeMemory;
   PFN_vkMapMemory MapMemory;
   PFN_vkUnmapMemory UnmapMemory;
   PFN_vkCreateBuffer CreateBuffer;
   PFN_vkDestroyBuffer DestroyBuffer;
   PFN_vkGetBufferMemoryRequirements GetBufferMemoryRequirements;
   PFN_vkBindBufferMemory BindBufferMemory;
   PFN_vkGetBufferDeviceAddress GetBufferDeviceAddress;

   const char *vsvm_node;
   const char *mode;
};

static const char *
vk_result_str(VkResult r)
{
   switch (r) {
   case VK_SUCCESS: return "VK_SUCCESS";
   case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
   case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
   case VK_ERROR_INITIALIZATION_FAILED:
      return "VK_ERROR_INITIALIZATION_FAILED";
   case VK_ERROR_EXTENSION_NOT_PRESENT:
      return "VK_ERROR_EXTENSION_NOT_PRESENT";
   case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
   case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
   case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
   case VK_ERROR_INVALID_EXTERNAL_HANDLE:
      return "VK_ERROR_INVALID_EXTERNAL_HANDLE";
   default: return "another VkResult";
   }
}

/* stderr of a call, captured through a temporary file on fd 2. */
struct capture {
   FILE *file;
   int saved;
   char text[8192];
};

static void
capture_begin(struct capture *c)
{
   fflush(stderr);
   c->text[0] = 0;
   c->saved = -1;
   c->file = tmpfile();
   if (!c->file)
      return;
   c->saved = dup(STDERR_FILENO);
   if (c->saved < 0 || dup2(fileno(c->file), STDERR_FILENO) < 0) {
      if (c->saved >= 0)
         close(c->saved);
      c->saved = -1;
   }
}

/* Restores fd 2, keeps what was written and repeats it as "# " lines. */
static void
capture_end(struct capture *c, const char *what)
{
   ssize_t n = 0;

   fflush(stderr);
   if (c->saved >= 0) {
      dup2(c->saved, STDERR_FILENO);
      close(c->saved);
      if (lseek(fileno(c->file), 0, SEEK_SET) == 0)
         n = read(fileno(c->file), c->text, sizeof(c->text) - 1);
   } else {
      piglit_note("%s: stderr could not be captured", what);
   }
   if (c->file)
      fclose(c->file);
   c->text[n > 0 ? n : 0] = 0;
   for (char *l = c->text, *e; *l; l = e) {
      e = strchr(l, '\n');
      e = e ? e + 1 : l + strlen(l);
      piglit_note("%s: stderr: %.*s", what,
                  (int)(e - l) - (e[-1] == '\n'), l);
   }
}

/* A line of NVK's ("nvk:") naming reason as a word of its own, so that
 * SHARED does not match MAP_SHARED nor NOT_MAPPED match MAPPED. */
static bool
nvk_named(const char *text, const char *reason)
{
   size_t n = strlen(reason);

   for (const char *l = text; *l;) {
      const char *e = strchr(l, '\n');
      size_t len = e ? (size_t)(e - l) : strlen(l);
      char line[1024];

      snprintf(line, sizeof(line), "%.*s", (int)len, l);
      if (strstr(line, "nvk:")) {
         for (const char *p = strstr(line, reason); p;
              p = strstr(p + 1, reason)) {
            bool left = p == line || !(isupper((unsigned char)p[-1]) ||
                                       p[-1] == '_');
            bool right = !(isupper((unsigned char)p[n]) || p[n] == '_');
            if (left && right)
               return true;
         }
      }
      l += len + (e != NULL);
   }
   return false;
}

static void
fill(uint32_t *p, size_t len, uint32_t seed)
{
   for (size_t i = 0; i < len / 4; i++)
      p[i] = seed ^ (uint32_t)i;
}

static unsigned
differ(const uint32_t *p, size_t len, uint32_t seed)
{
   unsigned bad = 0;

   for (size_t i = 0; i < len / 4; i++)
      bad += p[i] != (seed ^ (uint32_t)i);
   return bad;
}

/* A fresh mapping of len bytes at a page-aligned address; NULL on error. */
static void *
map_kind(size_t len, int prot, int flags, int fd)
{
   void *p = mmap(NULL, len, prot, flags, fd, 0);

   return p == MAP_FAILED ? NULL : p;
}

static VkResult
host_ptr_props(const struct shim *s, VkExternalMemoryHandleTypeFlagBits ht,
               const void *p, uint32_t *bits)
{
   VkMemoryHostPointerPropertiesEXT hp = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
   };
   VkResult r = s->GetMemoryHostPointerProperties(s->dev, ht, p, &hp);

   *bits = r == VK_SUCCESS ? hp.memoryTypeBits : 0;
   return r;
}

/* Import [p, p + size) into type; NVK's stderr lands in cap. */
static VkResult
import_range(const struct shim *s, void *p, VkDeviceSize size, uint32_t type,
             VkDeviceMemory *mem, struct capture *cap, const char *what)
{
   VkMemoryAllocateFlagsInfo flags = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
      .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT,
   };
   VkImportMemoryHostPointerInfoEXT imp = {
      .sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
      .pNext = &flags,
      .handleType = HOST_ALLOC,
      .pHostPointer = p,
   };
   VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .pNext = &imp,
      .allocationSize = size,
      .memoryTypeIndex = type,
   };
   VkResult r;

   *mem = VK_NULL_HANDLE;
   capture_begin(cap);
   r = s->AllocateMemory(s->dev, &mai, NULL, mem);
   capture_end(cap, what);
   piglit_note("%s: import of %p + 0x%" PRIx64 " into type %u: %s", what,
               p, (uint64_t)size, type, vk_result_str(r));
   return r;
}

/* The flags of every type in bits, for the notes. */
static void
note_types(const struct shim *s, const char *what, uint32_t bits)
{
   for (uint32_t i = 0; i < s->mem.memoryTypeCount; i++) {
      VkMemoryPropertyFlags f = s->mem.memoryTypes[i].propertyFlags;

      if (!(bits & (1u << i)))
         continue;
      piglit_note("%s: type %u:%s%s%s%s", what, i,
                  f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT ? " DEVICE_LOCAL"
                                                          : "",
                  f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT ? " HOST_VISIBLE"
                                                          : "",
                  f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT ? " HOST_COHERENT"
                                                           : "",
                  f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT ? " HOST_CACHED"
                                                         : "");
   }
}

static enum piglit_result
malloc_range_imports_at_its_own_address(void *ctx)
{
   const struct shim *s = ctx;
   const VkDeviceSize off_want = 2 * SHIM_PAGE;
   VkExternalMemoryBufferCreateInfo ebi = {
      .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
      .handleTypes = HOST_ALLOC,
   };
   VkBufferCreateInfo bci = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .pNext = &ebi,
      .size = SHIM_LEN / 2,
      .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
               VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
      .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
   };
   VkBufferDeviceAddressInfo bda = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
   };
   enum piglit_result res = PIGLIT_PASS;
   VkDeviceMemory mem = VK_NULL_HANDLE;
   VkBuffer buffer = VK_NULL_HANDLE;
   VkMemoryRequirements req;
   VkDeviceSize off;
   VkDeviceAddress addr;
   struct capture cap;
   uint32_t *buf = NULL, bits = 0, want_bits = 0;
   void *map = NULL;
   VkResult r;

   if (posix_memalign((void **)&buf, SHIM_PAGE, SHIM_LEN) != 0)
      return PIGLIT_FAIL;
   fill(buf, SHIM_LEN, 0x3c000000u);

   /* Every host-visible, host-coherent type, and only those. */
   for (uint32_t i = 0; i < s->mem.memoryTypeCount; i++) {
      if ((s->mem.memoryTypes[i].propertyFlags & HOST_VC) == HOST_VC)
         want_bits |= 1u << i;
   }
   r = host_ptr_props(s, HOST_ALLOC, buf, &bits);
   piglit_note("vkGetMemoryHostPointerPropertiesEXT(%p): %s, "
               "memoryTypeBits 0x%x (host-visible+coherent types 0x%x)",
               (void *)buf, vk_result_str(r), bits, want_bits);
   note_types(s, "host pointer", bits);
   CHECK(r == VK_SUCCESS && bits != 0 && bits == want_bits,
         "the type bits are not the host-visible+coherent types");
   CHECK(s->sysmem_type != UINT32_MAX, "no system-memory type to use");

   r = import_range(s, buf, SHIM_LEN, s->sysmem_type, &mem, &cap, "malloc");
   CHECK(r == VK_SUCCESS, "malloc memory was not imported");

   /* The mapping is the host pointer, at any offset. */
   r = s->MapMemory(s->dev, mem, 0, VK_WHOLE_SIZE, 0, &map);
   piglit_note("vkMapMemory(0): %s, %p (host pointer %p)", vk_result_str(r),
               map, (void *)buf);
   CHECK(r == VK_SUCCESS && map == (void *)buf,
         "the mapping is not the host pointer");
   s->UnmapMemory(s->dev, mem);
   r = s->MapMemory(s->dev, mem, 3 * SHIM_PAGE, VK_WHOLE_SIZE, 0, &map);
   piglit_note("vkMapMemory(0x%x): %s, %p (want %p)", 3 * SHIM_PAGE,
               vk_result_str(r), map, (void *)((char *)buf + 3 * SHIM_PAGE));
   CHECK(r == VK_SUCCESS && map == (char *)buf + 3 * SHIM_PAGE,
         "the mapping at an offset is not the host pointer + offset");
   s->UnmapMemory(s->dev, mem);

   /* A buffer bound at an offset: its device address is the CPU's. */
   r = s->CreateBuffer(s->dev, &bci, NULL, &buffer);
   CHECK(r == VK_SUCCESS, "vkCreateBuffer: %s", vk_result_str(r));
   s->GetBufferMemoryRequirements(s->dev, buffer, &req);
   off = (off_want + req.alignment - 1) / req.alignment * req.alignment;
   piglit_note("buffer: alignment 0x%" PRIx64 ", memoryTypeBits 0x%x, "
               "bound at offset 0x%" PRIx64, (uint64_t)req.alignment,
               req.memoryTypeBits, (uint64_t)off);
   CHECK(req.memoryTypeBits & (1u << s->sysmem_type) &&
         off + bci.size <= SHIM_LEN,
         "the buffer cannot be bound to the imported memory");
   r = s->BindBufferMemory(s->dev, buffer, mem, off);
   CHECK(r == VK_SUCCESS, "vkBindBufferMemory: %s", vk_result_str(r));
   bda.buffer = buffer;
   addr = s->GetBufferDeviceAddress(s->dev, &bda);
   piglit_note("buffer device address 0x%" PRIx64 ", host pointer + "
               "offset 0x%" PRIx64, (uint64_t)addr,
               (uint64_t)((uintptr_t)buf + off));
   CHECK(addr == (uintptr_t)buf + off,
         "the device address is not the host pointer + offset");

   /* Writes through the mapping are in the malloc memory ... */
   r = s->MapMemory(s->dev, mem, 0, VK_WHOLE_SIZE, 0, &map);
   CHECK(r == VK_SUCCESS, "vkMapMemory: %s", vk_result_str(r));
   fill(map, SHIM_LEN, 0xc3000000u);
   s->UnmapMemory(s->dev, mem);
   CHECK(differ(buf, SHIM_LEN, 0xc3000000u) == 0,
         "what was written through the mapping is not in the malloc "
         "memory");
   s->DestroyBuffer(s->dev, buffer, NULL);
   buffer = VK_NULL_HANDLE;

   /* ... and stay there, mapped and writable, after vkFreeMemory. */
   s->FreeMemory(s->dev, mem, NULL);
   mem = VK_NULL_HANDLE;
   piglit_note("after vkFreeMemory: %u of %u pages present, %u words "
               "differ", count_pages(buf, SHIM_PAGES, PAGE_PRESENT),
               SHIM_PAGES, differ(buf, SHIM_LEN, 0xc3000000u));
   CHECK(count_pages(buf, SHIM_PAGES, PAGE_PRESENT) == SHIM_PAGES &&
         differ(buf, SHIM_LEN, 0xc3000000u) == 0,
         "vkFreeMemory did not leave the application's memory intact");
   fill(buf, SHIM_LEN, 0x11000000u);
   CHECK(differ(buf, SHIM_LEN, 0x11000000u) == 0,
         "the memory is not writable after vkFreeMemory");
out:
   if (buffer != VK_NULL_HANDLE)
      s->DestroyBuffer(s->dev, buffer, NULL);
   if (mem != VK_NULL_HANDLE)
      s->FreeMemory(s->dev, mem, NULL);
   free(buf);
   return res;
}

static enum piglit_result
device_local_import_migrates_pages_to_vsvm_and_back(void *ctx)
{
   const struct shim *s = ctx;
   struct drm_vsvm_counters c0, c1, c2;
   enum piglit_result res = PIGLIT_PASS;
   VkDeviceMemory mem = VK_NULL_HANDLE;
   struct capture cap;
   uint32_t *buf = NULL;
   void *map = NULL;
   unsigned n, bad;
   VkResult r;

   CHECK(s->devlocal_type != UINT32_MAX,
         "no DEVICE_LOCAL type in the host pointer's memoryTypeBits 0x%x",
         s->host_bits);
   if (posix_memalign((void **)&buf, SHIM_PAGE, SHIM_LEN) != 0)
      return PIGLIT_FAIL;
   fill(buf, SHIM_LEN, 0x5a000000u);
   CHECK(vsvm_counters(s->vsvm_node, &c0) == 0, "vsvm STATS on %s failed",
         s->vsvm_node ? s->vsvm_node : "(no node)");

   /* At import: every page leaves system memory. */
   r = import_range(s, buf, SHIM_LEN, s->devlocal_type, &mem, &cap,
                    "device-local");
   CHECK(r == VK_SUCCESS, "malloc memory was not imported");
   CHECK(vsvm_counters(s->vsvm_node, &c1) == 0, "vsvm STATS failed");
   n = count_pages(buf, SHIM_PAGES, PAGE_SWAPPED);
   piglit_note("to device: %u of %u pages in device memory (pagemap), "
               "vsvm migrate_to_dev +%" PRIu64, n, SHIM_PAGES,
               (uint64_t)(c1.migrate_to_dev - c0.migrate_to_dev));
   CHECK(n == SHIM_PAGES &&
         c1.migrate_to_dev - c0.migrate_to_dev == SHIM_PAGES,
         "the import did not move the pages to vsvm's memory");

   /* A CPU read through the mapping brings them back, content intact. */
   r = s->MapMemory(s->dev, mem, 0, VK_WHOLE_SIZE, 0, &map);
   CHECK(r == VK_SUCCESS && map == (void *)buf,
         "vkMapMemory: %s, %p", vk_result_str(r), map);
   bad = differ(map, SHIM_LEN, 0x5a000000u);
   s->UnmapMemory(s->dev, mem);
   CHECK(vsvm_counters(s->vsvm_node, &c2) == 0, "vsvm STATS failed");
   n = count_pages(buf, SHIM_PAGES, PAGE_PRESENT);
   piglit_note("CPU read: %u of %u pages present, vsvm migrate_to_ram +%"
               PRIu64 ", %u words differ", n, SHIM_PAGES,
               (uint64_t)(c2.migrate_to_ram - c1.migrate_to_ram), bad);
   CHECK(n == SHIM_PAGES && bad == 0 &&
         c2.migrate_to_ram - c1.migrate_to_ram == SHIM_PAGES,
         "the pages did not come back intact");

   s->FreeMemory(s->dev, mem, NULL);
   mem = VK_NULL_HANDLE;
   CHECK(differ(buf, SHIM_LEN, 0x5a000000u) == 0,
         "vkFreeMemory did not leave the content intact");
out:
   if (mem != VK_NULL_HANDLE)
      s->FreeMemory(s->dev, mem, NULL);
   free(buf);
   return res;
}

static enum piglit_result
sysmem_import_moves_no_pages(void *ctx)
{
   const struct shim *s = ctx;
   struct drm_vsvm_counters c0, c1;
   enum piglit_result res = PIGLIT_PASS;
   VkDeviceMemory mem = VK_NULL_HANDLE;
   struct capture cap;
   uint32_t *buf = NULL;
   unsigned n;
   VkResult r;

   CHECK(s->sysmem_type != UINT32_MAX, "no system-memory type to use");
   if (posix_memalign((void **)&buf, SHIM_PAGE, SHIM_LEN) != 0)
      return PIGLIT_FAIL;
   fill(buf, SHIM_LEN, 0x69000000u);
   CHECK(vsvm_counters(s->vsvm_node, &c0) == 0, "vsvm STATS on %s failed",
         s->vsvm_node ? s->vsvm_node : "(no node)");
   r = import_range(s, buf, SHIM_LEN, s->sysmem_type, &mem, &cap, "sysmem");
   CHECK(r == VK_SUCCESS, "malloc memory was not imported");
   CHECK(vsvm_counters(s->vsvm_node, &c1) == 0, "vsvm STATS failed");
   n = count_pages(buf, SHIM_PAGES, PAGE_PRESENT);
   piglit_note("sysmem import: %u of %u pages present, vsvm "
               "migrate_to_dev +%" PRIu64 ", conversions +%" PRIu64, n,
               SHIM_PAGES, (uint64_t)(c1.migrate_to_dev - c0.migrate_to_dev),
               (uint64_t)(c1.conversions - c0.conversions));
   CHECK(n == SHIM_PAGES && c1.migrate_to_dev == c0.migrate_to_dev &&
         c1.conversions == c0.conversions,
         "a system-memory import moved or converted pages");
   CHECK(differ(buf, SHIM_LEN, 0x69000000u) == 0, "the content changed");
out:
   if (mem != VK_NULL_HANDLE)
      s->FreeMemory(s->dev, mem, NULL);
   free(buf);
   return res;
}

/*
 * [p, p + len) must be refused: vkGetMemoryHostPointerPropertiesEXT on p
 * (when p's own page breaks the rule) and the import into every type the
 * host pointer may use, each with VK_ERROR_INVALID_EXTERNAL_HANDLE and,
 * for a range rule, NVK naming it on stderr.
 */
static enum piglit_result
expect_refused(const struct shim *s, void *p, VkDeviceSize len,
               bool first_page_bad, const char *reason, const char *what)
{
   enum piglit_result res = PIGLIT_PASS;
   uint32_t bits;
   VkResult r;

   if (s->host_bits == 0) {
      piglit_note("%s: no memory type to import into", what);
      return PIGLIT_FAIL;
   }
   if (first_page_bad) {
      r = host_ptr_props(s, HOST_ALLOC, p, &bits);
      piglit_note("%s: vkGetMemoryHostPointerPropertiesEXT(%p): %s, "
                  "memoryTypeBits 0x%x", what, p, vk_result_str(r), bits);
      if (r != VK_ERROR_INVALID_EXTERNAL_HANDLE)
         res = PIGLIT_FAIL;
   }
   for (uint32_t t = 0; t < s->mem.memoryTypeCount; t++) {
      VkDeviceMemory mem;
      struct capture cap;

      if (!(s->host_bits & (1u << t)))
         continue;
      r = import_range(s, p, len, t, &mem, &cap, what);
      if (r == VK_SUCCESS) {
         s->FreeMemory(s->dev, mem, NULL);
         res = PIGLIT_FAIL;
      } else if (r != VK_ERROR_INVALID_EXTERNAL_HANDLE) {
         res = PIGLIT_FAIL;
      } else if (reason && !nvk_named(cap.text, reason)) {
         piglit_note("%s: refused, but NVK did not name %s", what, reason);
         res = PIGLIT_FAIL;
      }
   }
   return res;
}

/* An anonymous mapping with prot and flags must be refused for reason;
 * its pages are touched first when it can be written. */
static enum piglit_result
anon_range_is_refused(void *ctx, int prot, int flags, const char *reason,
                      const char *what)
{
   void *p = map_kind(SHIM_LEN, prot, flags | MAP_ANONYMOUS, -1);
   enum piglit_result res;

   if (!p)
      return PIGLIT_FAIL;
   if (prot & PROT_WRITE)
      memset(p, 1, SHIM_LEN);
   res = expect_refused(ctx, p, SHIM_LEN, true, reason, what);
   munmap(p, SHIM_LEN);
   return res;
}

static enum piglit_result
shared_range_is_refused(void *ctx)
{
   return anon_range_is_refused(ctx, PROT_READ | PROT_WRITE, MAP_SHARED,
                                "SHARED", "MAP_SHARED|MAP_ANONYMOUS");
}

static enum piglit_result
file_backed_range_is_refused(void *ctx)
{
   char path[] = "/tmp/vk-shim-nvk-XXXXXX";
   enum piglit_result res;
   void *p;
   int fd = mkstemp(path);

   if (fd < 0 || ftruncate(fd, SHIM_LEN) != 0) {
      piglit_note("temporary file: %s", strerror(errno));
      if (fd >= 0)
         close(fd);
      return PIGLIT_FAIL;
   }
   unlink(path);
   /* Private and writable: still file-backed. */
   p = map_kind(SHIM_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
   close(fd);
   if (!p)
      return PIGLIT_FAIL;
   memset(p, 1, SHIM_LEN);
   res = expect_refused(ctx, p, SHIM_LEN, true, "FILE_BACKED",
                        "MAP_PRIVATE file");
   munmap(p, SHIM_LEN);
   return res;
}

static enum piglit_result
read_only_range_is_refused(void *ctx)
{
   return anon_range_is_refused(ctx, PROT_READ, MAP_PRIVATE, "NOT_WRITABLE",
                                "PROT_READ anonymous");
}

static enum piglit_result
prot_none_range_is_refused(void *ctx)
{
   return anon_range_is_refused(ctx, PROT_NONE, MAP_PRIVATE, "NO_ACCESS",
                                "PROT_NONE anonymous");
}

static enum piglit_result
range_with_a_hole_is_refused(void *ctx)
{
   char *p = map_kind(SHIM_LEN, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1);
   enum piglit_result res;

   if (!p)
      return PIGLIT_FAIL;
   memset(p, 1, SHIM_LEN);
   /* The first page is fine: only the import sees the hole. */
   munmap(p + SHIM_LEN / 2, SHIM_PAGE);
   res = expect_refused(ctx, p, SHIM_LEN, false, "NOT_MAPPED",
                        "a hole in the middle");
   munmap(p, SHIM_LEN);
   return res;
}

/* Private anonymous memory from the heap, only the alignment of the
 * pointer (skew bytes past a page) or of the size (extra bytes) wrong. */
static enum piglit_result
malloc_range_is_refused(void *ctx, size_t skew, size_t extra,
                        const char *what)
{
   enum piglit_result res;
   char *p = NULL;

   if (posix_memalign((void **)&p, SHIM_PAGE, SHIM_LEN + SHIM_PAGE) != 0)
      return PIGLIT_FAIL;
   memset(p, 1, SHIM_LEN + SHIM_PAGE);
   res = expect_refused(ctx, p + skew, SHIM_LEN + extra, skew != 0, NULL,
                        what);
   free(p);
   return res;
}

static enum piglit_result
misaligned_pointer_is_refused(void *ctx)
{
   return malloc_range_is_refused(ctx, 64, 0, "pointer 64 bytes past a page");
}

static enum piglit_result
misaligned_size_is_refused(void *ctx)
{
   return malloc_range_is_refused(ctx, 0, 64, "size 64 bytes past a page");
}

static enum piglit_result
foreign_memory_handle_type_is_refused(void *ctx)
{
   const struct shim *s = ctx;
   enum piglit_result res;
   uint32_t bits;
   char *p = NULL;
   VkResult r;

   if (posix_memalign((void **)&p, SHIM_PAGE, SHIM_LEN) != 0)
      return PIGLIT_FAIL;
   memset(p, 1, SHIM_LEN);
   r = host_ptr_props(
      s, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_MAPPED_FOREIGN_MEMORY_BIT_EXT,
      p, &bits);
   piglit_note("vkGetMemoryHostPointerPropertiesEXT(HOST_MAPPED_FOREIGN_"
               "MEMORY, %p): %s, memoryTypeBits 0x%x", (void *)p,
               vk_result_str(r), bits);
   res = r == VK_ERROR_INVALID_EXTERNAL_HANDLE ? PIGLIT_PASS : PIGLIT_FAIL;
   free(p);
   return res;
}

#define INSTANCE_FN(s, name)                                                 \
   ((PFN_vk##name)(s)->gipa((s)->inst, "vk" #name))

static int
shim_open_icd(struct shim *s)
{
   const char *path = getenv("NVSVM_SHIM_VK_ICD");

   if (!path || !*path)
      path = "libvulkan_nouveau.so";
   s->icd = dlopen(path, RTLD_NOW | RTLD_LOCAL);
   if (!s->icd) {
      piglit_note("dlopen %s: %s", path, dlerror());
      return -ENOENT;
   }
   s->gipa = (PFN_vkGetInstanceProcAddr)dlsym(s->icd,
                                              "vk_icdGetInstanceProcAddr");
   if (!s->gipa) {
      piglit_note("%s has no vk_icdGetInstanceProcAddr", path);
      return -ENOENT;
   }
   return 0;
}

static int
shim_open_instance(struct shim *s)
{
   const VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = "vk-shim-nvk",
      .apiVersion = VK_API_VERSION_1_3,
   };
   const VkInstanceCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pApplicationInfo = &app,
   };
   PFN_vkCreateInstance create_instance =
      (PFN_vkCreateInstance)s->gipa(NULL, "vkCreateInstance");
   PFN_vkEnumeratePhysicalDevices enum_pdevs;
   PFN_vkGetPhysicalDeviceProperties get_props;
   VkPhysicalDeviceProperties props;
   uint32_t n = 1;
   VkResult r;

   if (!create_instance) {
      piglit_note("the ICD has no vkCreateInstance");
      return -ENOENT;
   }
   r = create_instance(&ici, NULL, &s->inst);
   if (r != VK_SUCCESS) {
      piglit_note("vkCreateInstance: %s (%d)", vk_result_str(r), r);
      return -ENODEV;
   }
   s->DestroyInstance = INSTANCE_FN(s, DestroyInstance);
   enum_pdevs = INSTANCE_FN(s, EnumeratePhysicalDevices);
   r = enum_pdevs(s->inst, &n, &s->pdev);
   if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || n == 0) {
      piglit_note("no physical device: %s (%d), %u device(s)",
                  vk_result_str(r), r, n);
      return -ENODEV;
   }
   get_props = INSTANCE_FN(s, GetPhysicalDeviceProperties);
   get_props(s->pdev, &props);
   piglit_note("device: %s, Vulkan %u.%u", props.deviceName,
               VK_API_VERSION_MAJOR(props.apiVersion),
               VK_API_VERSION_MINOR(props.apiVersion));
   INSTANCE_FN(s, GetPhysicalDeviceMemoryProperties)(s->pdev, &s->mem);
   return 0;
}

/* Whether the extension is listed, and its alignment when it is. */
static int
shim_query_ext(struct shim *s)
{
   PFN_vkEnumerateDeviceExtensionProperties enum_exts =
      INSTANCE_FN(s, EnumerateDeviceExtensionProperties);
   VkExtensionProperties *exts;
   uint32_t n = 0;

   if (enum_exts(s->pdev, NULL, &n, NULL) != VK_SUCCESS)
      return -EIO;
   exts = calloc(n ? n : 1, sizeof(*exts));
   if (!exts || enum_exts(s->pdev, NULL, &n, exts) != VK_SUCCESS) {
      free(exts);
      return -EIO;
   }
   for (uint32_t i = 0; i < n; i++)
      s->ext_listed |= strcmp(exts[i].extensionName, SHIM_EXT) == 0;
   free(exts);
   piglit_note("%u device extensions, %s %s", n, SHIM_EXT,
               s->ext_listed ? "listed" : "not listed");
   if (s->ext_listed) {
      VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
         .sType =
            VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
      };
      VkPhysicalDeviceProperties2 p2 = {
         .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
         .pNext = &host,
      };

      INSTANCE_FN(s, GetPhysicalDeviceProperties2)(s->pdev, &p2);
      s->import_align = host.minImportedHostPointerAlignment;
      piglit_note("minImportedHostPointerAlignment %" PRIu64,
                  (uint64_t)s->import_align);
   }
   return 0;
}

/* A VkDevice with one queue; with the extension (and bufferDeviceAddress)
 * when it is listed. */
static int
shim_open_device(struct shim *s)
{
   VkPhysicalDeviceBufferDeviceAddressFeatures bda_feat = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES,
   };
   VkPhysicalDeviceFeatures2 f2 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
      .pNext = &bda_feat,
   };
   const float prio = 1.0f;
   const VkDeviceQueueCreateInfo qci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
      .queueFamilyIndex = 0,
      .queueCount = 1,
      .pQueuePriorities = &prio,
   };
   const char *ext = SHIM_EXT;
   VkDeviceCreateInfo dci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
      .queueCreateInfoCount = 1,
      .pQueueCreateInfos = &qci,
   };
   PFN_vkGetDeviceProcAddr gdpa;
   VkResult r;

   INSTANCE_FN(s, GetPhysicalDeviceFeatures2)(s->pdev, &f2);
   piglit_note("bufferDeviceAddress %s",
               bda_feat.bufferDeviceAddress ? "supported" : "not supported");
   if (s->ext_listed) {
      dci.enabledExtensionCount = 1;
      dci.ppEnabledExtensionNames = &ext;
      bda_feat = (VkPhysicalDeviceBufferDeviceAddressFeatures) {
         .sType =
            VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_BUFFER_DEVICE_ADDRESS_FEATURES,
         .bufferDeviceAddress = VK_TRUE,
      };
      dci.pNext = &bda_feat;
   }
   r = INSTANCE_FN(s, CreateDevice)(s->pdev, &dci, NULL, &s->dev);
   piglit_note("vkCreateDevice%s: %s", s->ext_listed ?
               " with " SHIM_EXT " and bufferDeviceAddress" : "",
               vk_result_str(r));
   if (r != VK_SUCCESS)
      return -ENODEV;

   gdpa = INSTANCE_FN(s, GetDeviceProcAddr);
#define DEVICE_FN(name) s->name = (PFN_vk##name)gdpa(s->dev, "vk" #name)
   DEVICE_FN(DestroyDevice);
   DEVICE_FN(AllocateMemory);
   DEVICE_FN(FreeMemory);
   DEVICE_FN(MapMemory);
   DEVICE_FN(UnmapMemory);
   DEVICE_FN(CreateBuffer);
   DEVICE_FN(DestroyBuffer);
   DEVICE_FN(GetBufferMemoryRequirements);
   DEVICE_FN(BindBufferMemory);
   DEVICE_FN(GetBufferDeviceAddress);
#undef DEVICE_FN
   s->GetMemoryHostPointerProperties =
      (PFN_vkGetMemoryHostPointerPropertiesEXT)gdpa(
         s->dev, "vkGetMemoryHostPointerPropertiesEXT");
   return 0;
}

static enum piglit_result
external_memory_host_as_svm_says(void *ctx)
{
   const struct shim *s = ctx;

   if (strcmp(s->mode, "ext-off") == 0)
      return s->ext_listed ? PIGLIT_FAIL : PIGLIT_PASS;
   if (!s->ext_listed || s->import_align != SHIM_PAGE) {
      piglit_note("want %s listed with minImportedHostPointerAlignment %u",
                  SHIM_EXT, SHIM_PAGE);
      return PIGLIT_FAIL;
   }
   if (!s->GetMemoryHostPointerProperties) {
      piglit_note("no vkGetMemoryHostPointerPropertiesEXT on the device");
      return PIGLIT_FAIL;
   }
   return PIGLIT_PASS;
}

/* The host pointer's types, and the two imports use: system memory and
 * device-local. UINT32_MAX where there is none. */
static void
shim_pick_types(struct shim *s)
{
   uint32_t *probe = NULL;
   VkResult r;

   s->host_bits = 0;
   s->sysmem_type = s->devlocal_type = UINT32_MAX;
   if (posix_memalign((void **)&probe, SHIM_PAGE, SHIM_PAGE) != 0)
      return;
   memset(probe, 0, SHIM_PAGE);
   r = host_ptr_props(s, HOST_ALLOC, probe, &s->host_bits);
   free(probe);
   piglit_note("a malloc pointer: %s, memoryTypeBits 0x%x",
               vk_result_str(r), s->host_bits);
   for (uint32_t i = 0; i < s->mem.memoryTypeCount; i++) {
      VkMemoryPropertyFlags f = s->mem.memoryTypes[i].propertyFlags;

      if (!(s->host_bits & (1u << i)))
         continue;
      if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) &&
          s->devlocal_type == UINT32_MAX)
         s->devlocal_type = i;
      if (!(f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) &&
          (f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) &&
          s->sysmem_type == UINT32_MAX)
         s->sysmem_type = i;
   }
   note_types(s, "memory", (1u << s->mem.memoryTypeCount) - 1);
}

static int
setup_failed(void)
{
   piglit_report_result(PIGLIT_FAIL);
   printf("0 passed, 1 failed, 0 skipped\n");
   return 1;
}

int
main(int argc, char **argv)
{
   static const struct piglit_subtest ext[] = {
      { "external-memory-host-as-svm-says",
        external_memory_host_as_svm_says },
   };
   static const struct piglit_subtest import[] = {
      { "malloc-range-imports-at-its-own-address",
        malloc_range_imports_at_its_own_address },
      { "device-local-import-migrates-pages-to-vsvm-and-back",
        device_local_import_migrates_pages_to_vsvm_and_back },
      { "sysmem-import-moves-no-pages", sysmem_import_moves_no_pages },
      { "shared-range-is-refused", shared_range_is_refused },
      { "file-backed-range-is-refused", file_backed_range_is_refused },
      { "read-only-range-is-refused", read_only_range_is_refused },
      { "prot-none-range-is-refused", prot_none_range_is_refused },
      { "range-with-a-hole-is-refused", range_with_a_hole_is_refused },
      { "misaligned-pointer-is-refused", misaligned_pointer_is_refused },
      { "misaligned-size-is-refused", misaligned_size_is_refused },
      { "foreign-memory-handle-type-is-refused",
        foreign_memory_handle_type_is_refused },
   };
   struct shim s = { 0 };
   int ret;

   if (argc < 2 || (strcmp(argv[1], "ext-on") != 0 &&
                    strcmp(argv[1], "ext-off") != 0 &&
                    strcmp(argv[1], "import") != 0)) {
      fprintf(stderr, "usage: %s ext-on|ext-off|import [VSVM-NODE]\n",
              argv[0]);
      return 2;
   }
   s.mode = argv[1];
   s.vsvm_node = argc > 2 ? argv[2] : NULL;
   shim_alarm_arm("vk-shim-nvk", SHIM_ALARM_S);

   if (shim_open_icd(&s) != 0 || shim_open_instance(&s) != 0 ||
       shim_query_ext(&s) != 0 || shim_open_device(&s) != 0)
      return setup_failed();

   if (strcmp(s.mode, "import") != 0) {
      ret = piglit_run_subtests(ext, 1, &s, 1, argv);
   } else if (!s.ext_listed || !s.GetMemoryHostPointerProperties) {
      piglit_note("%s is not there: nothing to import with", SHIM_EXT);
      ret = setup_failed();
   } else {
      shim_pick_types(&s);
      ret = piglit_run_subtests(import, sizeof(import) / sizeof(import[0]),
                                &s, 1, argv);
   }
   s.DestroyDevice(s.dev, NULL);
   s.DestroyInstance(s.inst, NULL);
   return ret;
}
