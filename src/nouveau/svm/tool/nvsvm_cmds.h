/* SPDX-License-Identifier: MIT */
/*
 * The nvsvm subcommands, one line each: NVSVM_CMD(name, summary), with
 * int nvsvm_cmd_<name>(int argc, char **argv) in nvsvm_cmd_<name>.c.
 * Included twice by nvsvm.c (declarations, then the table).
 */
NVSVM_CMD(probe, "what this machine can do for SVM atomics [--json]")
NVSVM_CMD(pingpong, "ownership ping-pong benchmark, library vs raw ioctls [--json]")
NVSVM_CMD(bench, "library/raw, packed/placed, range-check figures [--json FILE]")
