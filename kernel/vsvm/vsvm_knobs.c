// SPDX-License-Identifier: GPL-2.0
/*
 * vsvm test knobs: the read-modify-write window that makes the device's
 * atomics non-coherent with the CPU's, a fault delay that widens race
 * windows, and (VSVM_MUTANTS builds only) the mutant selector.
 */

#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "vsvm_drv.h"

/* Long enough for a CPU on another vCPU to land inside, even under TCG. */
unsigned int vsvm_rmw_window_ns = 1000;
module_param_named(rmw_window_ns, vsvm_rmw_window_ns, uint, 0644);
MODULE_PARM_DESC(rmw_window_ns,
		 "ns between the load and the store of a device atomic (0-1000000, default 1000)");

unsigned int vsvm_fault_delay_us;
module_param_named(fault_delay_us, vsvm_fault_delay_us, uint, 0644);
MODULE_PARM_DESC(fault_delay_us,
		 "us a fault waits between getting the page and the notifier check (0-1000000, default 0)");

#define VSVM_KNOB_MAX 1000000u

void vsvm_rmw_window(void)
{
	u64 ns = min(READ_ONCE(vsvm_rmw_window_ns), VSVM_KNOB_MAX);
	u64 end;

	if (!ns)
		return;
	/* A busy wait: the lane holds the device-table lock, as a GPU would. */
	end = ktime_get_ns() + ns;
	while (ktime_get_ns() < end)
		cpu_relax();
}

void vsvm_fault_delay(void)
{
	unsigned long us = min(READ_ONCE(vsvm_fault_delay_us), VSVM_KNOB_MAX);

	if (us)
		usleep_range(us, us + us / 4 + 1);
}

#ifdef VSVM_MUTANTS
static const char * const vsvm_mutant_names[VSVM_NR_MUTANTS] = {
	[VSVM_MUT_NONE] = "none",
	[VSVM_MUT_NO_EXCLUSIVE] = "no_exclusive",
	[VSVM_MUT_IGNORE_INVALIDATE] = "ignore_invalidate",
	[VSVM_MUT_NO_SEQ_RETRY] = "no_seq_retry",
	[VSVM_MUT_UNLOCK_BEFORE_ACCESS] = "unlock_before_access",
	[VSVM_MUT_NO_UNMAP_INVALIDATE] = "no_unmap_invalidate",
	[VSVM_MUT_PREFAULT_NO_MAP] = "prefault_no_map",
	[VSVM_MUT_PREFAULT_NO_STOP] = "prefault_no_stop",
	[VSVM_MUT_PREFAULT_NO_DEADLINE] = "prefault_no_deadline",
};

int vsvm_mutant;

static int vsvm_mutant_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(vsvm_mutant_names, val);

	if (i < 0) {
		pr_err("vsvm: unknown mutant '%s'\n", val);
		return -EINVAL;
	}
	WRITE_ONCE(vsvm_mutant, i);
	if (i != VSVM_MUT_NONE)
		pr_info("vsvm: mutant %s active: this module breaks a promise on purpose\n",
			vsvm_mutant_names[i]);
	return 0;
}

static int vsvm_mutant_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", vsvm_mutant_names[READ_ONCE(vsvm_mutant)]);
}

static const struct kernel_param_ops vsvm_mutant_ops = {
	.set = vsvm_mutant_set,
	.get = vsvm_mutant_get,
};

/* Set at load only: a mutant switched mid-fault would be neither. */
module_param_cb(mutant, &vsvm_mutant_ops, NULL, 0444);
MODULE_PARM_DESC(mutant,
		 "test build only: none, no_exclusive, ignore_invalidate, no_seq_retry, unlock_before_access, no_unmap_invalidate");
#endif
