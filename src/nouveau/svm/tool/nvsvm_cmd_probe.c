/* SPDX-License-Identifier: MIT */
/*
 * `nvsvm probe [--json]`: what this machine can do for SVM atomics, from
 * nvsvm_probe_machine(). No GPU is an answer, not an error: exit 0.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nvsvm/nvsvm.h"
#include "nvsvm_json.h"

static void
print_json(const struct nvsvm_probe_result *r)
{
   struct nvsvm_json j;
   char hex[16];

   nvsvm_json_init(&j, stdout);
   nvsvm_json_object_begin(&j, NULL);
   nvsvm_json_string(&j, "kernel_release", r->kernel_release);
   nvsvm_json_string(&j, "thp_mode",
                     r->thp_mode[0] ? r->thp_mode : "unknown");

   nvsvm_json_object_begin(&j, "nouveau");
   nvsvm_json_bool(&j, "available", r->nouveau_available);
   nvsvm_json_bool(&j, "svm", r->nouveau_svm);
   if (r->nouveau_reason[0])
      nvsvm_json_string(&j, "reason", r->nouveau_reason);
   nvsvm_json_object_end(&j);

   nvsvm_json_object_begin(&j, "drm");
   nvsvm_json_uint(&j, "count", r->node_count);
   nvsvm_json_array_begin(&j, "nodes");
   for (unsigned i = 0; i < r->node_listed; i++) {
      const struct nvsvm_probe_node *n = &r->nodes[i];

      nvsvm_json_object_begin(&j, NULL);
      nvsvm_json_string(&j, "path", n->node.path);
      nvsvm_json_string(&j, "driver", n->node.driver);
      snprintf(hex, sizeof(hex), "%04x:%04x", n->node.vendor_id,
               n->node.device_id);
      nvsvm_json_string(&j, "pci_id", hex);
      nvsvm_json_string(&j, "backend", nvsvm_backend_name(n->backend));
      if (n->open_err || n->svm_tried)
         nvsvm_json_string(&j, "open", nvsvm_error_name(n->open_err));
      if (n->svm_tried) {
         snprintf(hex, sizeof(hex), "0x%" PRIx32, n->chipset);
         nvsvm_json_string(&j, "chipset", hex);
         nvsvm_json_string(&j, "family", nvsvm_chipset_family(n->chipset));
         nvsvm_json_uint(&j, "vram_bytes", n->vram_size);
         nvsvm_json_object_begin(&j, "svm_init");
         nvsvm_json_string(&j, "result",
                           nvsvm_error_name(n->svm_init_err));
         nvsvm_json_int(&j, "errno", n->svm_init_err);
         nvsvm_json_string(&j, "reason",
                           nvsvm_svm_init_strerror(n->svm_init_err));
         nvsvm_json_object_end(&j);
      }
      nvsvm_json_object_end(&j);
   }
   nvsvm_json_array_end(&j);
   nvsvm_json_object_end(&j);

   nvsvm_json_object_begin(&j, "vsvm");
   nvsvm_json_bool(&j, "present", r->vsvm_present);
   nvsvm_json_object_end(&j);

   nvsvm_json_object_begin(&j, "hmm_test_device");
   nvsvm_json_bool(&j, "present", r->hmm_count > 0);
   nvsvm_json_array_begin(&j, "paths");
   for (unsigned i = 0; i < r->hmm_count && i < NVSVM_PROBE_MAX_HMM; i++)
      nvsvm_json_string(&j, NULL, r->hmm_paths[i]);
   nvsvm_json_array_end(&j);
   nvsvm_json_object_end(&j);

   nvsvm_json_object_end(&j);
}

static void
print_text(const struct nvsvm_probe_result *r)
{
   printf("kernel:           %s\n", r->kernel_release);
   printf("THP:              %s\n", r->thp_mode[0] ? r->thp_mode : "unknown");
   printf("DRM nodes:        %u\n", r->node_count);
   for (unsigned i = 0; i < r->node_listed; i++) {
      const struct nvsvm_probe_node *n = &r->nodes[i];

      printf("  %-20s %-10s %04x:%04x", n->node.path, n->node.driver,
             n->node.vendor_id, n->node.device_id);
      if (n->open_err)
         printf("  open: %s (%s)", nvsvm_error_name(n->open_err),
                nvsvm_strerror(n->open_err));
      if (n->svm_tried) {
         printf("  chipset 0x%" PRIx32 " (%s), VRAM %" PRIu64 " MiB",
                n->chipset, nvsvm_chipset_family(n->chipset),
                n->vram_size >> 20);
         printf("\n  %-20s SVM_INIT: %s (%s)", "",
                nvsvm_error_name(n->svm_init_err),
                nvsvm_svm_init_strerror(n->svm_init_err));
      }
      printf("\n");
   }
   if (!r->nouveau_available)
      printf("nouveau:          unavailable: %s\n", r->nouveau_reason);
   else if (!r->nouveau_svm)
      printf("nouveau:          present, SVM unavailable: %s\n",
             r->nouveau_reason);
   else
      printf("nouveau:          SVM available\n");
   printf("vsvm:             %s\n", r->vsvm_present ? "present" : "absent");
   printf("HMM test device:  ");
   if (!r->hmm_count)
      printf("absent\n");
   for (unsigned i = 0; i < r->hmm_count && i < NVSVM_PROBE_MAX_HMM; i++)
      printf("%s%s", r->hmm_paths[i], i + 1 < r->hmm_count ? " " : "\n");
}

int
nvsvm_cmd_probe(int argc, char **argv);

int
nvsvm_cmd_probe(int argc, char **argv)
{
   struct nvsvm_probe_result r;
   bool json = false;
   int ret;

   for (int i = 1; i < argc; i++) {
      if (strcmp(argv[i], "--json") == 0) {
         json = true;
      } else if (strcmp(argv[i], "--help") == 0) {
         printf("usage: nvsvm probe [--json]\n"
                "DRM devices, nouveau SVM_INIT outcome, kernel, THP mode, "
                "test devices.\n");
         return 0;
      } else {
         fprintf(stderr, "nvsvm probe: unknown option '%s'\n", argv[i]);
         return 2;
      }
   }
   ret = nvsvm_probe_machine(&r);
   if (ret) {
      fprintf(stderr, "nvsvm probe: %s (%s)\n", nvsvm_error_name(ret),
              nvsvm_strerror(ret));
      return 1;
   }
   if (json)
      print_json(&r);
   else
      print_text(&r);
   return 0;
}
