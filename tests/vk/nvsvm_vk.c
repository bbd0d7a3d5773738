/* SPDX-License-Identifier: MIT */
/*
 * Host side of the Vulkan ping-pong tests: device choice, host-memory
 * import behind the range rules, one bounded dispatch at a time.
 */
#include "nvsvm_vk.h"
#include "host_pingpong.h"
#include "nvsvm_time.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "svm_atomics_spv.h"
#include "svm_atomics64_spv.h"

#define PAGE 4096u

const char *
nvsvm_vk_result_str(VkResult r)
{
   switch (r) {
#define R(x) case x: return #x
   R(VK_SUCCESS);
   R(VK_NOT_READY);
   R(VK_TIMEOUT);
   R(VK_INCOMPLETE);
   R(VK_ERROR_OUT_OF_HOST_MEMORY);
   R(VK_ERROR_OUT_OF_DEVICE_MEMORY);
   R(VK_ERROR_INITIALIZATION_FAILED);
   R(VK_ERROR_DEVICE_LOST);
   R(VK_ERROR_MEMORY_MAP_FAILED);
   R(VK_ERROR_LAYER_NOT_PRESENT);
   R(VK_ERROR_EXTENSION_NOT_PRESENT);
   R(VK_ERROR_FEATURE_NOT_PRESENT);
   R(VK_ERROR_INCOMPATIBLE_DRIVER);
   R(VK_ERROR_TOO_MANY_OBJECTS);
   R(VK_ERROR_FORMAT_NOT_SUPPORTED);
   R(VK_ERROR_INVALID_EXTERNAL_HANDLE);
#undef R
   default: return "VkResult(other)";
   }
}

static bool
vk_ok(struct nvsvm_vk *vk, VkResult r, const char *what)
{
   if (r == VK_SUCCESS)
      return true;
   snprintf(vk->error, sizeof(vk->error), "%s: %s", what,
            nvsvm_vk_result_str(r));
   piglit_note("%s", vk->error);
   return false;
}

const char *
nvsvm_vk_memory_name(enum nvsvm_vk_memory m)
{
   return m == NVSVM_VK_MEM_MMAP ? "mmap (private anonymous)" :
                                   "malloc (aligned_alloc, C heap)";
}

static void
usage(FILE *f, const char *prog, bool with_memory)
{
   fprintf(f, "usage: %s%s [--device NAME] [--timeout-ms MS] "
           "[--spin-limit N] [-subtest NAME]\n"
           "environment: NVSVM_VK_DEVICE, NVSVM_VK_TIMEOUT_MS, "
           "NVSVM_VK_SPIN_LIMIT\n", prog,
           with_memory ? " --memory malloc|mmap" : "");
}

static int
parse_one(struct nvsvm_vk_opts *o, const char *key, const char *val,
          bool with_memory)
{
   char *end;
   unsigned long long v;

   if (strcmp(key, "device") == 0) {
      o->device = *val ? val : NULL;
      return 0;
   }
   if (strcmp(key, "memory") == 0 && with_memory) {
      if (strcmp(val, "malloc") == 0) {
         o->memory = NVSVM_VK_MEM_MALLOC;
      } else if (strcmp(val, "mmap") == 0) {
         o->memory = NVSVM_VK_MEM_MMAP;
      } else {
         fprintf(stderr, "nvsvm-vk: --memory '%s' is neither 'malloc' nor "
                 "'mmap'\n", val);
         return -EINVAL;
      }
      return 0;
   }
   if (strcmp(key, "timeout-ms") && strcmp(key, "spin-limit")) {
      fprintf(stderr, "nvsvm-vk: unknown option --%s\n", key);
      return -EINVAL;
   }
   errno = 0;
   v = strtoull(val, &end, 0);
   if (errno || end == val || *end || v == 0 || v > UINT32_MAX) {
      fprintf(stderr, "nvsvm-vk: --%s '%s' is not a number in "
              "1..4294967295\n", key, val);
      return -EINVAL;
   }
   if (key[0] == 't')
      o->timeout_ms = (unsigned)v;
   else
      o->spin_limit = (uint32_t)v;
   return 0;
}

int
nvsvm_vk_parse_opts(struct nvsvm_vk_opts *o, int argc, char **argv,
                    bool with_memory)
{
   static const char *const env[][2] = {
      { "NVSVM_VK_DEVICE", "device" },
      { "NVSVM_VK_TIMEOUT_MS", "timeout-ms" },
      { "NVSVM_VK_SPIN_LIMIT", "spin-limit" },
   };
   bool memory_given = false;
   int ret;

   memset(o, 0, sizeof(*o));
   o->timeout_ms = 20000;
   o->spin_limit = UINT32_MAX;
   o->memory = NVSVM_VK_MEM_MALLOC;
   for (unsigned i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
      const char *v = getenv(env[i][0]);

      if (v && (ret = parse_one(o, env[i][1], v, with_memory)))
         return ret;
   }
   for (int i = 1; i < argc; i++) {
      if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
         usage(stdout, argv[0], with_memory);
         return 1;
      }
      if (strcmp(argv[i], "-subtest") == 0 || strcmp(argv[i], "-auto") == 0 ||
          strcmp(argv[i], "-fbo") == 0) {
         i += strcmp(argv[i], "-subtest") == 0;
         continue;
      }
      if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
         usage(stderr, argv[0], with_memory);
         return -EINVAL;
      }
      if ((ret = parse_one(o, argv[i] + 2, argv[i + 1], with_memory)))
         return ret;
      memory_given |= strcmp(argv[i], "--memory") == 0;
      i++;
   }
   if (with_memory && !memory_given) {
      fprintf(stderr, "nvsvm-vk: --memory malloc|mmap is required\n");
      return -EINVAL;
   }
   return 0;
}

static bool
has_extension(const VkExtensionProperties *e, uint32_t n, const char *name)
{
   for (uint32_t i = 0; i < n; i++) {
      if (strcmp(e[i].extensionName, name) == 0)
         return true;
   }
   return false;
}

/* What the device lacks for the scenarios, or "" when nothing. */
static void
check_device(struct nvsvm_vk *vk, VkPhysicalDevice p)
{
   VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
   };
   VkPhysicalDeviceVulkan11Properties p11 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES,
      .pNext = &host,
   };
   VkPhysicalDeviceDriverProperties drv = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
      .pNext = &p11,
   };
   const VkSubgroupFeatureFlags ops = VK_SUBGROUP_FEATURE_BASIC_BIT |
                                      VK_SUBGROUP_FEATURE_BALLOT_BIT;
   VkPhysicalDeviceProperties2 props = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
   };
   VkPhysicalDeviceVulkan12Features f12 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
   };
   VkPhysicalDeviceFeatures2 f = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
      .pNext = &f12,
   };
   VkExtensionProperties *ext = NULL;
   uint32_t n = 0;

   vk->skip[0] = 0;
   vkGetPhysicalDeviceProperties(p, &props.properties);
   snprintf(vk->name, sizeof(vk->name), "%s", props.properties.deviceName);
   vk->api = props.properties.apiVersion;
   if (vk->api < VK_API_VERSION_1_2) {
      snprintf(vk->skip, sizeof(vk->skip), "missing Vulkan 1.2 on '%s' "
               "(device API %u.%u)", vk->name, VK_API_VERSION_MAJOR(vk->api),
               VK_API_VERSION_MINOR(vk->api));
      return;
   }
   if (vkEnumerateDeviceExtensionProperties(p, NULL, &n, NULL) == VK_SUCCESS)
      ext = calloc(n ? n : 1, sizeof(*ext));
   if (!ext ||
       vkEnumerateDeviceExtensionProperties(p, NULL, &n, ext) != VK_SUCCESS)
      n = 0;
   if (!has_extension(ext, n, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME)) {
      snprintf(vk->skip, sizeof(vk->skip), "missing "
               VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME " on '%s'",
               vk->name);
      free(ext);
      return;
   }
   free(ext);
   props.pNext = &drv;
   vkGetPhysicalDeviceProperties2(p, &props);
   snprintf(vk->driver, sizeof(vk->driver), "%s, %s", drv.driverName,
            drv.driverInfo);
   vk->import_align = host.minImportedHostPointerAlignment;
   vkGetPhysicalDeviceFeatures2(p, &f);
   if (!f12.vulkanMemoryModel || !f12.vulkanMemoryModelDeviceScope) {
      snprintf(vk->skip, sizeof(vk->skip), "missing %s on '%s'",
               !f12.vulkanMemoryModel ? "vulkanMemoryModel" :
               "vulkanMemoryModelDeviceScope", vk->name);
      return;
   }
   if (!f.features.shaderStorageBufferArrayDynamicIndexing) {
      snprintf(vk->skip, sizeof(vk->skip), "missing "
               "shaderStorageBufferArrayDynamicIndexing on '%s'", vk->name);
      return;
   }
   if (vk->import_align == 0 || (vk->import_align & (vk->import_align - 1)) ||
       vk->import_align > 64 * PAGE) {
      snprintf(vk->skip, sizeof(vk->skip), "missing a usable "
               "minImportedHostPointerAlignment on '%s' (%llu)", vk->name,
               (unsigned long long)vk->import_align);
      return;
   }
   vk->subgroup_size = p11.subgroupSize;
   if (!(p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ||
       (p11.subgroupSupportedOperations & ops) != ops ||
       p11.subgroupSize == 0 ||
       p11.subgroupSize > props.properties.limits.maxComputeWorkGroupSize[0]) {
      snprintf(vk->skip, sizeof(vk->skip), "missing "
               "VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_BALLOT_BIT "
               "in compute shaders on '%s'", vk->name);
      return;
   }
   vk->has_int64_atomics = f12.shaderBufferInt64Atomics;
}

static int
create_device(struct nvsvm_vk *vk)
{
   static const char *const exts[] = {
      VK_KHR_EXTERNAL_MEMORY_EXTENSION_NAME,
      VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME,
   };
   VkPhysicalDeviceVulkan12Features f12 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
      .vulkanMemoryModel = VK_TRUE,
      .vulkanMemoryModelDeviceScope = VK_TRUE,
      .shaderBufferInt64Atomics = vk->has_int64_atomics,
   };
   VkPhysicalDeviceFeatures2 f = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
      .pNext = &f12,
      .features = {
         .shaderStorageBufferArrayDynamicIndexing = VK_TRUE,
         .shaderInt64 = vk->has_int64_atomics,
      },
   };
   VkQueueFamilyProperties qf[16];
   uint32_t nq = 16;
   float prio = 1.0f;

   vkGetPhysicalDeviceQueueFamilyProperties(vk->phys, &nq, qf);
   vk->queue_family = UINT32_MAX;
   for (uint32_t i = 0; i < nq; i++) {
      if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
         vk->queue_family = i;
         break;
      }
   }
   if (vk->queue_family == UINT32_MAX) {
      snprintf(vk->skip, sizeof(vk->skip), "missing a "
               "VK_QUEUE_COMPUTE_BIT queue family on '%s'", vk->name);
      return 0;
   }
   if (vk->has_int64_atomics) {
      VkPhysicalDeviceFeatures base;

      vkGetPhysicalDeviceFeatures(vk->phys, &base);
      f.features.shaderInt64 = base.shaderInt64;
      vk->has_int64_atomics = base.shaderInt64;
      f12.shaderBufferInt64Atomics = vk->has_int64_atomics;
   }
   VkDeviceQueueCreateInfo qci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
      .queueFamilyIndex = vk->queue_family,
      .queueCount = 1,
      .pQueuePriorities = &prio,
   };
   VkDeviceCreateInfo dci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
      .pNext = &f,
      .queueCreateInfoCount = 1,
      .pQueueCreateInfos = &qci,
      .enabledExtensionCount = 2,
      .ppEnabledExtensionNames = exts,
   };
   if (!vk_ok(vk, vkCreateDevice(vk->phys, &dci, NULL, &vk->dev),
              "vkCreateDevice"))
      return -EIO;
   vkGetDeviceQueue(vk->dev, vk->queue_family, 0, &vk->queue);
   vk->get_host_ptr_props = (PFN_vkGetMemoryHostPointerPropertiesEXT)
      vkGetDeviceProcAddr(vk->dev, "vkGetMemoryHostPointerPropertiesEXT");
   if (!vk->get_host_ptr_props) {
      snprintf(vk->error, sizeof(vk->error), "the driver advertises "
               VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME " but has no "
               "vkGetMemoryHostPointerPropertiesEXT");
      return -EIO;
   }
   vkGetPhysicalDeviceMemoryProperties(vk->phys, &vk->mem_props);
   return 0;
}

static int
create_pipelines(struct nvsvm_vk *vk)
{
   static const struct {
      const uint32_t *code;
      size_t size;
   } spv[NVSVM_VK_PIPES] = {
      { nvsvm_vk_svm_atomics, sizeof(nvsvm_vk_svm_atomics) },
      { nvsvm_vk_svm_atomics64, sizeof(nvsvm_vk_svm_atomics64) },
   };
   VkDescriptorSetLayoutBinding b[2] = {
      { .binding = 0, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .descriptorCount = 1, .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT },
      { .binding = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .descriptorCount = NVSVM_VK_DATA_BUFFERS,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT },
   };
   VkDescriptorSetLayoutCreateInfo sl = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = 2, .pBindings = b,
   };
   VkPushConstantRange pcr = {
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
      .size = sizeof(struct nvsvm_vk_push),
   };
   VkPipelineLayoutCreateInfo pl = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = 1, .pSetLayouts = &vk->set_layout,
      .pushConstantRangeCount = 1, .pPushConstantRanges = &pcr,
   };
   VkDescriptorPoolSize ps = {
      .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1 + NVSVM_VK_DATA_BUFFERS,
   };
   VkDescriptorPoolCreateInfo dp = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
      .maxSets = 1, .poolSizeCount = 1, .pPoolSizes = &ps,
   };
   VkCommandPoolCreateInfo cp = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
      .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
      .queueFamilyIndex = vk->queue_family,
   };

   if (!vk_ok(vk, vkCreateDescriptorSetLayout(vk->dev, &sl, NULL,
                                              &vk->set_layout),
              "vkCreateDescriptorSetLayout") ||
       !vk_ok(vk, vkCreatePipelineLayout(vk->dev, &pl, NULL, &vk->layout),
              "vkCreatePipelineLayout") ||
       !vk_ok(vk, vkCreateDescriptorPool(vk->dev, &dp, NULL, &vk->desc_pool),
              "vkCreateDescriptorPool") ||
       !vk_ok(vk, vkCreateCommandPool(vk->dev, &cp, NULL, &vk->cmd_pool),
              "vkCreateCommandPool"))
      return -EIO;

   for (unsigned i = 0; i < NVSVM_VK_PIPES; i++) {
      VkShaderModuleCreateInfo smi = {
         .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
         .codeSize = spv[i].size, .pCode = spv[i].code,
      };
      VkSpecializationMapEntry me = {
         .constantID = NVSVM_VK_SPEC_LOCAL_SIZE, .size = sizeof(uint32_t),
      };
      VkSpecializationInfo spec = {
         .mapEntryCount = 1, .pMapEntries = &me,
         .dataSize = sizeof(uint32_t), .pData = &vk->subgroup_size,
      };
      VkComputePipelineCreateInfo cpi = {
         .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
         .stage = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
            .stage = VK_SHADER_STAGE_COMPUTE_BIT, .pName = "main",
            .pSpecializationInfo = &spec,
         },
         .layout = vk->layout,
      };
      VkResult r;

      if (i == NVSVM_VK_PIPE_64 && !vk->has_int64_atomics)
         continue;
      if (!vk_ok(vk, vkCreateShaderModule(vk->dev, &smi, NULL,
                                          &cpi.stage.module),
                 "vkCreateShaderModule"))
         return -EIO;
      r = vkCreateComputePipelines(vk->dev, VK_NULL_HANDLE, 1, &cpi, NULL,
                                   &vk->pipes[i]);
      vkDestroyShaderModule(vk->dev, cpi.stage.module, NULL);
      if (!vk_ok(vk, r, "vkCreateComputePipelines"))
         return -EIO;
   }
   return 0;
}

/*
 * Run every pipeline once before any scenario: a driver may compile the
 * shader at its first dispatch (lavapipe's LLVM does, for seconds on a
 * busy machine), which must not count against a scenario's waits. The
 * shader finds no go and a spin limit of 1, so it gives up at once.
 */
static int
warm_up(struct nvsvm_vk *vk)
{
   struct nvsvm_vk_push p = { .op = NVSVM_OP_INCREMENT, .limit = 1 };
   struct nvsvm_vk_region reg;
   struct nvsvm_vk_run run;
   unsigned bound_s = vk->opts.timeout_ms / 1000 < 300 ?
                      300 : vk->opts.timeout_ms / 1000;
   size_t size = PAGE;
   uint64_t t0 = nvsvm_vk_now_ns();
   _Atomic uint32_t *ctl;
   int ret = 0;

   ctl = nvsvm_vk_alloc(vk, NVSVM_VK_MEM_MMAP, &size);
   if (!ctl)
      return -ENOMEM;
   if (nvsvm_vk_import(vk, (void *)ctl, size, &reg, NULL)) {
      snprintf(vk->error, sizeof(vk->error), "importing a private "
               "anonymous page for the first dispatch failed");
      nvsvm_vk_free(NVSVM_VK_MEM_MMAP, (void *)ctl, size);
      return -EIO;
   }
   for (unsigned i = 0; i < NVSVM_VK_PIPES && !ret; i++) {
      VkResult r;

      if (!vk->pipes[i])
         continue;
      if (!nvsvm_vk_launch(vk, &run, i, &p, &reg, NULL, 1, 1, 0)) {
         snprintf(vk->error, sizeof(vk->error), "first dispatch of "
                  "pipeline %u failed", i);
         ret = -EIO;
         break;
      }
      r = vkWaitForFences(vk->dev, 1, &run.fence, VK_TRUE,
                          (uint64_t)bound_s * 1000000000u);
      if (r != VK_SUCCESS) {
         snprintf(vk->error, sizeof(vk->error), "first dispatch of "
                  "pipeline %u (shader compile) did not end within %u s: "
                  "%s", i, bound_s, nvsvm_vk_result_str(r));
         vk->wedged = true;
         return -ETIMEDOUT;
      }
      nvsvm_vk_finish(vk, &run, ctl);
   }
   piglit_note("first dispatch of each pipeline (compile): %.1f s",
               (nvsvm_vk_now_ns() - t0) / 1e9);
   nvsvm_vk_unimport(vk, &reg);
   nvsvm_vk_free(NVSVM_VK_MEM_MMAP, (void *)ctl, size);
   return ret;
}

int
nvsvm_vk_open(struct nvsvm_vk *vk, const struct nvsvm_vk_opts *o)
{
   VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = "nvsvm-vk",
      .apiVersion = VK_API_VERSION_1_2,
   };
   VkInstanceCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pApplicationInfo = &app,
   };
   VkPhysicalDevice phys[16];
   uint32_t n = 16;
   bool matched = false;
   VkResult r;

   memset(vk, 0, sizeof(*vk));
   vk->opts = *o;
   r = vkCreateInstance(&ici, NULL, &vk->instance);
   if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
      snprintf(vk->skip, sizeof(vk->skip), "missing a Vulkan device: "
               "vkCreateInstance found no driver (VK_ICD_FILENAMES, "
               "VK_DRIVER_FILES)");
      vk->instance = VK_NULL_HANDLE;
      return 0;
   }
   if (!vk_ok(vk, r, "vkCreateInstance"))
      return -EIO;
   r = vkEnumeratePhysicalDevices(vk->instance, &n, phys);
   if (r != VK_SUCCESS && r != VK_INCOMPLETE)
      return vk_ok(vk, r, "vkEnumeratePhysicalDevices") ? 0 : -EIO;
   if (n == 0) {
      snprintf(vk->skip, sizeof(vk->skip), "missing a Vulkan device: "
               "vkEnumeratePhysicalDevices found none");
      return 0;
   }
   /* First matching device that has everything; else the first matching
    * one, to say what it lacks. */
   for (uint32_t pass = 0; pass < 2 && !vk->phys; pass++) {
      for (uint32_t i = 0; i < n; i++) {
         check_device(vk, phys[i]);
         if (o->device && !strstr(vk->name, o->device))
            continue;
         matched = true;
         if (pass == 1 || !vk->skip[0]) {
            vk->phys = phys[i];
            break;
         }
      }
   }
   if (!matched) {
      snprintf(vk->error, sizeof(vk->error), "no Vulkan device matches "
               "--device '%s' (%u device%s)", o->device, n,
               n == 1 ? "" : "s");
      vk->name[0] = 0;
      vk->skip[0] = 0;
      return -ENODEV;
   }
   check_device(vk, vk->phys);
   if (vk->skip[0])
      return 0;
   if (create_device(vk) || vk->skip[0])
      return vk->skip[0] ? 0 : -EIO;
   if (create_pipelines(vk))
      return -EIO;
   return warm_up(vk);
}

void
nvsvm_vk_close(struct nvsvm_vk *vk)
{
   if (vk->wedged)
      return;
   if (vk->dev) {
      vkDeviceWaitIdle(vk->dev);
      for (unsigned i = 0; i < NVSVM_VK_PIPES; i++)
         vkDestroyPipeline(vk->dev, vk->pipes[i], NULL);
      vkDestroyCommandPool(vk->dev, vk->cmd_pool, NULL);
      vkDestroyDescriptorPool(vk->dev, vk->desc_pool, NULL);
      vkDestroyPipelineLayout(vk->dev, vk->layout, NULL);
      vkDestroyDescriptorSetLayout(vk->dev, vk->set_layout, NULL);
      vkDestroyDevice(vk->dev, NULL);
   }
   if (vk->instance)
      vkDestroyInstance(vk->instance, NULL);
   memset(vk, 0, sizeof(*vk));
}

void
nvsvm_vk_describe(const struct nvsvm_vk *vk)
{
   if (vk->name[0])
      piglit_note("device: '%s' (Vulkan %u.%u.%u; driver %s)", vk->name,
                  VK_API_VERSION_MAJOR(vk->api), VK_API_VERSION_MINOR(vk->api),
                  VK_API_VERSION_PATCH(vk->api),
                  vk->driver[0] ? vk->driver : "?");
   if (vk->import_align)
      piglit_note("minImportedHostPointerAlignment %llu; "
                  "shaderBufferInt64Atomics %s; subgroupSize %u",
                  (unsigned long long)vk->import_align,
                  vk->has_int64_atomics ? "yes" : "no", vk->subgroup_size);
   if (vk->skip[0])
      piglit_note("every scenario skips: %s", vk->skip);
   if (vk->error[0])
      piglit_note("setup failed: %s", vk->error);
}

bool
nvsvm_vk_ready(struct nvsvm_vk *vk, enum piglit_result *r)
{
   if (vk->error[0] || vk->wedged) {
      piglit_note("%s", vk->wedged ? "an earlier dispatch may still run" :
                  vk->error);
      *r = PIGLIT_FAIL;
      return false;
   }
   if (vk->skip[0] || !vk->dev) {
      piglit_note("skip: %s", vk->skip[0] ? vk->skip : "no device");
      *r = PIGLIT_SKIP;
      return false;
   }
   return true;
}

static size_t
round_up(size_t v, size_t a)
{
   return (v + a - 1) & ~(a - 1);
}

void *
nvsvm_vk_alloc(struct nvsvm_vk *vk, enum nvsvm_vk_memory m, size_t *size)
{
   size_t align = vk->import_align > PAGE ? vk->import_align : PAGE;
   void *p;

   *size = round_up(*size, align);
   if (m == NVSVM_VK_MEM_MALLOC) {
      p = aligned_alloc(align, *size);
      if (!p) {
         piglit_note("aligned_alloc(%zu, %zu) failed", align, *size);
         return NULL;
      }
   } else {
      /* Over-map, then trim to the alignment. */
      size_t len = *size + align;
      char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      char *a;

      if (raw == MAP_FAILED) {
         piglit_note("mmap(%zu) failed: %s", len, strerror(errno));
         return NULL;
      }
      a = (char *)round_up((size_t)raw, align);
      if (a > raw)
         munmap(raw, a - raw);
      if (raw + len > a + *size)
         munmap(a + *size, raw + len - (a + *size));
      p = a;
   }
   memset(p, 0, *size);
   return p;
}

void
nvsvm_vk_free(enum nvsvm_vk_memory m, void *p, size_t size)
{
   if (!p)
      return;
   if (m == NVSVM_VK_MEM_MALLOC)
      free(p);
   else
      munmap(p, size);
}

int
nvsvm_vk_import(struct nvsvm_vk *vk, void *ptr, size_t size,
                struct nvsvm_vk_region *out, struct nvsvm_range_report *rep)
{
   VkMemoryHostPointerPropertiesEXT hp = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
   };
   VkExternalMemoryBufferCreateInfo ebi = {
      .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
      .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
   };
   VkBufferCreateInfo bci = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .pNext = &ebi,
      .size = size,
      .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
      .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
   };
   VkImportMemoryHostPointerInfoEXT imp = {
      .sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
      .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
      .pHostPointer = ptr,
   };
   VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .pNext = &imp,
      .allocationSize = size,
   };
   const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                      VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
   struct nvsvm_range_report local;
   VkMemoryRequirements req;
   uint32_t type = UINT32_MAX;
   int ret;

   memset(out, 0, sizeof(*out));
   if (!rep)
      rep = &local;
   memset(rep, 0, sizeof(*rep));
   /* The extension's own rule: pointer and size are multiples of
    * minImportedHostPointerAlignment. Breaking it is undefined behaviour
    * in the driver, so it never gets there. */
   if (!size || (uintptr_t)ptr % vk->import_align ||
       size % vk->import_align) {
      piglit_note("import refused: %p + %zu is not a multiple of "
                  "minImportedHostPointerAlignment %llu", ptr, size,
                  (unsigned long long)vk->import_align);
      return -EINVAL;
   }
   /* Ours: memory GPU atomics will go to must pass the range rules. */
   ret = nvsvm_range_check(ptr, size, NVSVM_RANGE_REQUIRE_ALIGNED, rep);
   if (ret) {
      piglit_note("import refused by the range rules: %s (%s) at 0x%llx in "
                  "[0x%llx, 0x%llx) %s", ret == -NVSVM_E_RANGE ?
                  nvsvm_range_reason_name(rep->reason) :
                  nvsvm_error_name(ret), ret == -NVSVM_E_RANGE ?
                  nvsvm_range_reason_str(rep->reason) : nvsvm_strerror(ret),
                  (unsigned long long)rep->bad_addr,
                  (unsigned long long)rep->vma_start,
                  (unsigned long long)rep->vma_end, rep->vma_name);
      return ret;
   }
   if (!vk_ok(vk, vk->get_host_ptr_props(
                     vk->dev,
                     VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
                     ptr, &hp),
              "vkGetMemoryHostPointerPropertiesEXT")) {
      vk->error[0] = 0;
      return -EIO;
   }
   out->type_bits = hp.memoryTypeBits;
   if (!vk_ok(vk, vkCreateBuffer(vk->dev, &bci, NULL, &out->buf),
              "vkCreateBuffer")) {
      vk->error[0] = 0;
      return -EIO;
   }
   vkGetBufferMemoryRequirements(vk->dev, out->buf, &req);
   for (uint32_t i = 0; i < vk->mem_props.memoryTypeCount; i++) {
      if ((hp.memoryTypeBits & req.memoryTypeBits & (1u << i)) &&
          (vk->mem_props.memoryTypes[i].propertyFlags & want) == want) {
         type = i;
         break;
      }
   }
   if (type == UINT32_MAX || req.size > size) {
      piglit_note("import refused: host pointer memoryTypeBits 0x%x, "
                  "buffer memoryTypeBits 0x%x, no HOST_VISIBLE|HOST_COHERENT "
                  "type in both (or buffer needs %llu > %zu bytes)",
                  hp.memoryTypeBits, req.memoryTypeBits,
                  (unsigned long long)req.size, size);
      vkDestroyBuffer(vk->dev, out->buf, NULL);
      out->buf = VK_NULL_HANDLE;
      return -ENODEV;
   }
   mai.memoryTypeIndex = type;
   vk->imports++;
   if (!vk_ok(vk, vkAllocateMemory(vk->dev, &mai, NULL, &out->mem),
              "vkAllocateMemory(import host pointer)") ||
       !vk_ok(vk, vkBindBufferMemory(vk->dev, out->buf, out->mem, 0),
              "vkBindBufferMemory")) {
      vk->error[0] = 0;
      nvsvm_vk_unimport(vk, out);
      return -EIO;
   }
   out->ptr = ptr;
   out->size = size;
   return 0;
}

void
nvsvm_vk_unimport(struct nvsvm_vk *vk, struct nvsvm_vk_region *r)
{
   if (vk->wedged || !vk->dev)
      return;
   if (r->buf)
      vkDestroyBuffer(vk->dev, r->buf, NULL);
   if (r->mem)
      vkFreeMemory(vk->dev, r->mem, NULL);
   memset(r, 0, sizeof(*r));
}

static void
run_free(struct nvsvm_vk *vk, struct nvsvm_vk_run *run)
{
   if (run->fence)
      vkDestroyFence(vk->dev, run->fence, NULL);
   if (run->cmd)
      vkFreeCommandBuffers(vk->dev, vk->cmd_pool, 1, &run->cmd);
   if (run->set)
      vkFreeDescriptorSets(vk->dev, vk->desc_pool, 1, &run->set);
   memset(run, 0, sizeof(*run));
}

bool
nvsvm_vk_launch(struct nvsvm_vk *vk, struct nvsvm_vk_run *run,
                enum nvsvm_vk_pipe pipe, const struct nvsvm_vk_push *push,
                const struct nvsvm_vk_region *ctl,
                const struct nvsvm_vk_region *const *data, uint32_t groups,
                uint32_t chunks, uint32_t step)
{
   struct nvsvm_vk_push p = *push;
   VkMemoryBarrier mb = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
   };
   VkDescriptorSetAllocateInfo dsa = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
      .descriptorPool = vk->desc_pool,
      .descriptorSetCount = 1, .pSetLayouts = &vk->set_layout,
   };
   VkCommandBufferAllocateInfo cba = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = vk->cmd_pool,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = 1,
   };
   VkCommandBufferBeginInfo cbb = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
   };
   VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkDescriptorBufferInfo bi[1 + NVSVM_VK_DATA_BUFFERS];
   VkWriteDescriptorSet wr[2] = {
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 0,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &bi[0] },
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 1,
        .descriptorCount = NVSVM_VK_DATA_BUFFERS,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &bi[1] },
   };
   /* The host's writes before the submit are visible to the shader
    * (vkQueueSubmit is a host-domain availability operation); everything
    * after that goes through the atomics. */
   VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
   };

   memset(run, 0, sizeof(*run));
   if (!vk->pipes[pipe]) {
      piglit_note("pipeline %u was not built", pipe);
      return false;
   }
   if (!vk_ok(vk, vkAllocateDescriptorSets(vk->dev, &dsa, &run->set),
              "vkAllocateDescriptorSets"))
      goto fail;
   bi[0] = (VkDescriptorBufferInfo){ ctl->buf, 0, VK_WHOLE_SIZE };
   for (unsigned k = 0; k < NVSVM_VK_DATA_BUFFERS; k++) {
      const struct nvsvm_vk_region *r = data && data[k] ? data[k] : ctl;

      bi[1 + k] = (VkDescriptorBufferInfo){ r->buf, 0, VK_WHOLE_SIZE };
   }
   wr[0].dstSet = wr[1].dstSet = run->set;
   vkUpdateDescriptorSets(vk->dev, 2, wr, 0, NULL);
   if (!vk_ok(vk, vkAllocateCommandBuffers(vk->dev, &cba, &run->cmd),
              "vkAllocateCommandBuffers") ||
       !vk_ok(vk, vkBeginCommandBuffer(run->cmd, &cbb),
              "vkBeginCommandBuffer"))
      goto fail;
   vkCmdBindPipeline(run->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
                     vk->pipes[pipe]);
   vkCmdBindDescriptorSets(run->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
                           vk->layout, 0, 1, &run->set, 0, NULL);
   for (uint32_t k = 0; k < chunks; k++) {
      /* In order: a chunk's rounds follow the previous chunk's. */
      if (k)
         vkCmdPipelineBarrier(run->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                              VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                              &mb, 0, NULL, 0, NULL);
      p.first = push->first + k * step;
      vkCmdPushConstants(run->cmd, vk->layout, VK_SHADER_STAGE_COMPUTE_BIT,
                         0, sizeof(p), &p);
      vkCmdDispatch(run->cmd, groups, 1, 1);
   }
   if (!vk_ok(vk, vkEndCommandBuffer(run->cmd), "vkEndCommandBuffer") ||
       !vk_ok(vk, vkCreateFence(vk->dev, &fci, NULL, &run->fence),
              "vkCreateFence"))
      goto fail;
   si.pCommandBuffers = &run->cmd;
   if (!vk_ok(vk, vkQueueSubmit(vk->queue, 1, &si, run->fence),
              "vkQueueSubmit"))
      goto fail;
   run->submitted = true;
   return true;

fail:
   /* A failed call is this scenario's failure, not the session's. */
   vk->error[0] = 0;
   run_free(vk, run);
   return false;
}

int
nvsvm_vk_finish(struct nvsvm_vk *vk, struct nvsvm_vk_run *run,
                _Atomic uint32_t *ctl)
{
   uint64_t t = (uint64_t)vk->opts.timeout_ms * 1000000u;
   unsigned grace;
   VkResult r;

   if (!run->submitted) {
      run_free(vk, run);
      return 0;
   }
   r = vkWaitForFences(vk->dev, 1, &run->fence, VK_TRUE, t);
   if (r == VK_SUCCESS) {
      run_free(vk, run);
      return 0;
   }
   if (r != VK_TIMEOUT) {
      piglit_note("vkWaitForFences: %s", nvsvm_vk_result_str(r));
      vk->wedged = true;
      return -EIO;
   }
   piglit_note("timeout: dispatch still running after %u ms; raising abort",
               vk->opts.timeout_ms);
   atomic_store_explicit(&ctl[NVSVM_CTL_ABORT], 1, memory_order_release);
   /* Device waits poll the abort word every ~1000 loads. */
   grace = vk->opts.timeout_ms < 1000 ? 1000 : vk->opts.timeout_ms;
   r = vkWaitForFences(vk->dev, 1, &run->fence, VK_TRUE,
                       (uint64_t)grace * 1000000u);
   if (r == VK_SUCCESS) {
      run_free(vk, run);
   } else {
      piglit_note("dispatch ignored the abort for another %u ms: giving up "
                  "on this device", grace);
      vk->wedged = true;
   }
   return -ETIMEDOUT;
}

uint64_t
nvsvm_vk_now_ns(void)
{
   return nvsvm_time_ns();
}

uint64_t
nvsvm_vk_deadline(const struct nvsvm_vk *vk)
{
   return nvsvm_vk_now_ns() + (uint64_t)vk->opts.timeout_ms * 1000000u;
}


bool
nvsvm_vk_wait_eq(_Atomic uint32_t *p, uint32_t want, uint64_t deadline_ns,
                 _Atomic uint32_t *abort)
{
   return nvsvm_host_wait(p, want, false, deadline_ns, abort);
}

bool
nvsvm_vk_wait_ge(_Atomic uint32_t *p, uint32_t want, uint64_t deadline_ns,
                 _Atomic uint32_t *abort)
{
   return nvsvm_host_wait(p, want, true, deadline_ns, abort);
}
