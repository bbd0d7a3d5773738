/* SPDX-License-Identifier: MIT */
/*
 * Host side of the Vulkan ping-pong tests: pick a device that can import
 * host memory (VK_EXT_external_memory_host) and run device-scope atomics
 * under the Vulkan memory model, import page-aligned malloc/mmap memory
 * after the range rules accepted it, and run one compute dispatch at a
 * time with every wait bounded.
 */
#ifndef NVSVM_VK_H
#define NVSVM_VK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_vk_shared.h"
#include "../common/piglit.h"

/* Where the shared memory comes from (--memory). */
enum nvsvm_vk_memory {
   NVSVM_VK_MEM_MALLOC, /* aligned_alloc(): the C heap */
   NVSVM_VK_MEM_MMAP,   /* mmap(MAP_PRIVATE | MAP_ANONYMOUS) */
};

struct nvsvm_vk_opts {
   const char *device;   /* device name substring; NULL: any */
   unsigned timeout_ms;  /* bound of each host-side wait */
   uint32_t spin_limit;  /* bound of each device wait (loop iterations) */
   enum nvsvm_vk_memory memory;
};

/* The two shader modules. */
enum nvsvm_vk_pipe {
   NVSVM_VK_PIPE_32,
   NVSVM_VK_PIPE_64, /* needs shaderBufferInt64Atomics */
   NVSVM_VK_PIPES
};

/* Push constants of both shaders (std430). */
struct nvsvm_vk_push {
   uint32_t op;
   uint32_t iters;
   uint32_t limit;
   uint32_t slots;
   uint32_t first;
   uint32_t pad[3];
   uint32_t idx[NVSVM_VK_DATA_BUFFERS];
};

struct nvsvm_vk {
   struct nvsvm_vk_opts opts;
   char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
   char driver[VK_MAX_DRIVER_INFO_SIZE + VK_MAX_DRIVER_NAME_SIZE + 4];
   uint32_t api;
   VkDeviceSize import_align;  /* minImportedHostPointerAlignment */
   bool has_int64_atomics;     /* shaderBufferInt64Atomics */
   uint32_t subgroup_size;     /* the local size of the shaders */
   char skip[512];   /* why every scenario skips; "" when they run */
   char error[512];  /* why setup failed; "" when it did not */
   VkInstance instance;
   VkPhysicalDevice phys;
   VkPhysicalDeviceMemoryProperties mem_props;
   VkDevice dev;
   VkQueue queue;
   uint32_t queue_family;
   VkDescriptorSetLayout set_layout;
   VkPipelineLayout layout;
   VkPipeline pipes[NVSVM_VK_PIPES];
   VkCommandPool cmd_pool;
   VkDescriptorPool desc_pool;
   PFN_vkGetMemoryHostPointerPropertiesEXT get_host_ptr_props;
   uint64_t imports;  /* vkAllocateMemory imports made so far */
   bool wedged;       /* a dispatch may still run: touch nothing shared */
};

/* One imported host range: memory and a storage buffer over all of it. */
struct nvsvm_vk_region {
   void *ptr;
   size_t size;
   VkDeviceMemory mem;
   VkBuffer buf;
   uint32_t type_bits; /* memoryTypeBits of the host pointer */
};

/* One dispatch in flight. */
struct nvsvm_vk_run {
   VkCommandBuffer cmd;
   VkDescriptorSet set;
   VkFence fence;
   bool submitted;
};

/* Parse --device/--timeout-ms/--spin-limit (and --memory when
 * with_memory) after the environment's NVSVM_VK_*; leaves "-subtest NAME"
 * for piglit. Returns 0, 1 after --help, or -EINVAL with a message. */
int
nvsvm_vk_parse_opts(struct nvsvm_vk_opts *o, int argc, char **argv,
                    bool with_memory);

const char *
nvsvm_vk_memory_name(enum nvsvm_vk_memory m);

/* Pick the first device that matches the name filter and has what the
 * scenarios need; build the pipelines. A missing extension or feature is
 * not an error: vk->skip names it. Returns 0 or a negative errno with
 * vk->error set. */
int
nvsvm_vk_open(struct nvsvm_vk *vk, const struct nvsvm_vk_opts *o);

void
nvsvm_vk_close(struct nvsvm_vk *vk);

void
nvsvm_vk_describe(const struct nvsvm_vk *vk);

/* True when a scenario may run; otherwise *r says skip or fail. */
bool
nvsvm_vk_ready(struct nvsvm_vk *vk, enum piglit_result *r);

/* Page-aligned (and import-aligned), zeroed memory of the kind, size
 * rounded up to the import alignment; NULL on failure. */
void *
nvsvm_vk_alloc(struct nvsvm_vk *vk, enum nvsvm_vk_memory m, size_t *size);

void
nvsvm_vk_free(enum nvsvm_vk_memory m, void *p, size_t size);

/*
 * Import [ptr, ptr + size) as device memory with a storage buffer over it.
 * Refused before the driver sees it, with a detail line naming the rule:
 * -EINVAL when ptr or size is not a multiple of the import alignment,
 * -NVSVM_E_RANGE (report filled) when nvsvm_range_check() refuses the
 * range, -ENODEV when the driver offers no host-visible coherent memory
 * type for the pointer. -EIO when a Vulkan call failed.
 */
int
nvsvm_vk_import(struct nvsvm_vk *vk, void *ptr, size_t size,
                struct nvsvm_vk_region *out, struct nvsvm_range_report *rep);

void
nvsvm_vk_unimport(struct nvsvm_vk *vk, struct nvsvm_vk_region *r);

/*
 * Record and submit chunks dispatches of groups workgroups (one working
 * invocation each), one after the other in one command buffer, dispatch k
 * with push->first + k * step (the loop budget, nvsvm_vk_shared.h):
 * binding 0 is ctl, binding 1 element k is data[k] (NULL: ctl). Returns
 * without waiting for the shader.
 */
bool
nvsvm_vk_launch(struct nvsvm_vk *vk, struct nvsvm_vk_run *run,
                enum nvsvm_vk_pipe pipe, const struct nvsvm_vk_push *push,
                const struct nvsvm_vk_region *ctl,
                const struct nvsvm_vk_region *const *data, uint32_t groups,
                uint32_t chunks, uint32_t step);

/*
 * Wait for the dispatch within the timeout. On timeout: raise the abort
 * word, give the shader one more timeout, and mark the session wedged if
 * it still runs. Frees the run. Returns 0, -ETIMEDOUT or -EIO.
 */
int
nvsvm_vk_finish(struct nvsvm_vk *vk, struct nvsvm_vk_run *run,
                _Atomic uint32_t *ctl);

uint64_t
nvsvm_vk_now_ns(void);

uint64_t
nvsvm_vk_deadline(const struct nvsvm_vk *vk);

/* Spin (yielding once spinning gets long) until *p == want or *p >= want;
 * false once deadline_ns passes or *abort becomes non-zero. */
bool
nvsvm_vk_wait_eq(_Atomic uint32_t *p, uint32_t want, uint64_t deadline_ns,
                 _Atomic uint32_t *abort);

bool
nvsvm_vk_wait_ge(_Atomic uint32_t *p, uint32_t want, uint64_t deadline_ns,
                 _Atomic uint32_t *abort);

const char *
nvsvm_vk_result_str(VkResult r);

#endif /* NVSVM_VK_H */
