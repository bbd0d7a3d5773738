/* SPDX-License-Identifier: MIT */
/*
 * nvsvm: a thin command-line shell over libnvsvm. Dispatches to the
 * subcommands listed in nvsvm_cmds.h.
 */

#include <stdio.h>
#include <string.h>

#define NVSVM_CMD(n, s) int nvsvm_cmd_##n(int argc, char **argv);
#include "nvsvm_cmds.h"
#undef NVSVM_CMD

struct nvsvm_cmd {
   const char *name;
   const char *summary;
   int (*main)(int argc, char **argv);
};

static const struct nvsvm_cmd nvsvm_cmds[] = {
#define NVSVM_CMD(n, s) { #n, s, nvsvm_cmd_##n },
#include "nvsvm_cmds.h"
#undef NVSVM_CMD
};

#define NVSVM_NCMDS (sizeof(nvsvm_cmds) / sizeof(nvsvm_cmds[0]))

static void
usage(FILE *f)
{
   fprintf(f, "usage: nvsvm <command> [options]\n\ncommands:\n");
   for (unsigned i = 0; i < NVSVM_NCMDS; i++)
      fprintf(f, "  %-10s %s\n", nvsvm_cmds[i].name, nvsvm_cmds[i].summary);
   fprintf(f, "\n`nvsvm <command> --help` for a command's options.\n");
}

int
main(int argc, char **argv)
{
   if (argc < 2) {
      usage(stderr);
      return 2;
   }
   if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
       strcmp(argv[1], "-h") == 0) {
      usage(stdout);
      return 0;
   }
   for (unsigned i = 0; i < NVSVM_NCMDS; i++) {
      if (strcmp(argv[1], nvsvm_cmds[i].name) == 0)
         return nvsvm_cmds[i].main(argc - 1, argv + 1);
   }
   fprintf(stderr, "nvsvm: unknown command '%s'\n\n", argv[1]);
   usage(stderr);
   return 2;
}
