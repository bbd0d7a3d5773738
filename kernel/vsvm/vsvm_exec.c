// SPDX-License-Identifier: GPL-2.0
/*
 * vsvm EXEC (test-only): runs a small device program on K lanes, kernel
 * threads standing in for the GPU's SMs. Every access goes through the
 * device page table; a fault that cannot be serviced kills the channel.
 */

#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>

#include "vsvm_drv.h"

struct vsvm_exec_ctx;

struct vsvm_lane {
	struct vsvm_exec_ctx *ctx;
	struct task_struct *task;
	u32 index;
	struct drm_vsvm_lane_result res;
};

/*
 * One EXEC. abort and running are atomics the lanes poll; the kill
 * record is written once, under kill_lock, by the first lane whose
 * fault failed. timed_out and out_fault are set before abort is.
 */
struct vsvm_exec_ctx {
	struct vsvm_svmm *svmm;
	struct mm_struct *mm;
	struct drm_vsvm_op ops[DRM_VSVM_MAX_OPS];
	u32 nops;
	u64 iterations;
	unsigned long deadline;     /* jiffies */

	atomic_t abort;
	atomic_t running;
	struct completion done;
	bool timed_out;
	bool out_fault;

	spinlock_t kill_lock;
	bool killed;
	int fault_status;
	u32 fault_lane;
	u64 fault_addr;
	u32 fault_access;

	struct vsvm_lane lanes[];
};

/* Operands of one instruction in one lane and iteration. */
struct vsvm_op_state {
	const struct drm_vsvm_op *op;
	u64 v;
	u64 c;
	u64 r;
};

static u32 vsvm_op_access(u32 opcode)
{
	switch (opcode) {
	case DRM_VSVM_OP_LOAD:
	case DRM_VSVM_OP_WAIT:
		return DRM_VSVM_ACCESS_READ;
	case DRM_VSVM_OP_STORE:
		return DRM_VSVM_ACCESS_WRITE;
	default:
		return DRM_VSVM_ACCESS_ATOMIC;
	}
}

static u64 vsvm_word_load(void *kaddr, bool is64)
{
	return is64 ? READ_ONCE(*(u64 *)kaddr) : READ_ONCE(*(u32 *)kaddr);
}

static void vsvm_word_store(void *kaddr, bool is64, u64 v)
{
	if (is64)
		WRITE_ONCE(*(u64 *)kaddr, v);
	else
		WRITE_ONCE(*(u32 *)kaddr, (u32)v);
}

/*
 * Runs under the device-table lock on the mapped, aligned word.
 *
 * ADD, CAS and XCHG are NOT locked instructions: a load, the operation,
 * a window (rmw_window_ns), and a store, as a GPU's atomics on system
 * memory behind a link that is not coherent with the CPU. The lock keeps
 * the device's lanes atomic among themselves (a GPU's L2 does that);
 * only the page being device-exclusive, or in device memory, keeps the
 * CPU out of the window. An exact total is evidence of that, and a lost
 * update is a real failure.
 */
static void vsvm_op_fn(struct vsvm_access *acc, void *kaddr)
{
	struct vsvm_op_state *st = acc->arg;
	bool is64 = st->op->flags & DRM_VSVM_OP_F_64;
	u64 mask = is64 ? U64_MAX : U32_MAX;
	u64 old;

	switch (st->op->opcode) {
	case DRM_VSVM_OP_LOAD:
	case DRM_VSVM_OP_WAIT:
		st->r = vsvm_word_load(kaddr, is64);
		return;
	case DRM_VSVM_OP_STORE:
		vsvm_word_store(kaddr, is64, st->v);
		return;
	}

	old = vsvm_word_load(kaddr, is64);
	st->r = old;
	if (st->op->opcode == DRM_VSVM_OP_CAS && old != (st->c & mask))
		return;
	vsvm_rmw_window();
	if (st->op->opcode == DRM_VSVM_OP_ADD)
		vsvm_word_store(kaddr, is64, (old + st->v) & mask);
	else
		vsvm_word_store(kaddr, is64, st->v);
}

/* Past the deadline, or the caller is dying: every lane stops. */
static bool vsvm_lane_should_stop(struct vsvm_exec_ctx *ctx)
{
	if (time_after(jiffies, ctx->deadline)) {
		ctx->timed_out = true;
		atomic_cmpxchg(&ctx->abort, 0, 1);
	}
	if (fatal_signal_pending(current))
		atomic_cmpxchg(&ctx->abort, 0, 1);
	return atomic_read(&ctx->abort);
}

static int vsvm_lane_op(struct vsvm_lane *lane, const struct drm_vsvm_op *op,
			u64 iter)
{
	struct vsvm_exec_ctx *ctx = lane->ctx;
	bool is64 = op->flags & DRM_VSVM_OP_F_64;
	struct vsvm_op_state st = { .op = op };
	struct vsvm_access acc = {
		.addr = op->addr + lane->index * op->lane_stride +
			iter * op->iter_stride,
		.type = vsvm_op_access(op->opcode),
		.fn = vsvm_op_fn,
		.arg = &st,
		.abort = &ctx->abort,
	};
	int ret;

	st.v = op->val + iter * op->val_step;
	if (op->flags & DRM_VSVM_OP_F_REG)
		st.v += lane->res.last;
	st.c = op->cmp + iter * op->cmp_step;
	if (!is64)
		st.c = (u32)st.c;

	for (;;) {
		/* WAIT and a spinning CAS may loop: stop them in time too. */
		if (vsvm_lane_should_stop(ctx))
			return -ECANCELED;
		ret = vsvm_svmm_access(ctx->svmm, &acc);
		lane->res.faults += acc.faults;
		acc.faults = 0;
		if (ret) {
			lane->res.fault_addr = acc.addr;
			return ret;
		}
		if (op->opcode != DRM_VSVM_OP_STORE)
			lane->res.last = st.r;

		if (op->opcode == DRM_VSVM_OP_WAIT && st.r != st.c) {
			lane->res.spins++;
			cond_resched();
			continue;
		}
		if (op->opcode == DRM_VSVM_OP_CAS && st.r != st.c) {
			lane->res.cas_fail++;
			if (op->flags & DRM_VSVM_OP_F_SPIN) {
				lane->res.spins++;
				cond_resched();
				continue;
			}
		}
		break;
	}
	lane->res.ops++;

	if (op->out_ptr) {
		u64 __user *out = u64_to_user_ptr(op->out_ptr);

		/* The lane runs in the caller's mm: a plain user write. */
		if (put_user(st.r, &out[lane->index * ctx->iterations + iter])) {
			/* Not a device fault: EXEC fails, no channel dies. */
			ctx->out_fault = true;
			atomic_cmpxchg(&ctx->abort, 0, 1);
			return -ECANCELED;
		}
	}
	return 0;
}

static void vsvm_exec_kill(struct vsvm_lane *lane, int status, u32 access)
{
	struct vsvm_exec_ctx *ctx = lane->ctx;

	spin_lock(&ctx->kill_lock);
	if (!ctx->killed) {
		ctx->killed = true;
		ctx->fault_status = status;
		ctx->fault_lane = lane->index;
		ctx->fault_addr = lane->res.fault_addr;
		ctx->fault_access = access;
	}
	spin_unlock(&ctx->kill_lock);
	atomic_cmpxchg(&ctx->abort, 0, 1);
}

/* The program, iterations times; the work of one lane. */
static void vsvm_lane_run(struct vsvm_lane *lane)
{
	struct vsvm_exec_ctx *ctx = lane->ctx;
	u64 t0 = ktime_get_ns();
	u64 iter;
	u32 k = 0;
	int ret = 0;

	for (iter = 0; iter < ctx->iterations && !ret; iter++) {
		for (k = 0; k < ctx->nops; k++) {
			ret = vsvm_lane_op(lane, &ctx->ops[k], iter);
			if (ret)
				break;
			cond_resched();
		}
	}

	lane->res.ns = ktime_get_ns() - t0;
	lane->res.status = ret;
	if (ret && ret != -ECANCELED)
		vsvm_exec_kill(lane, ret, vsvm_op_access(ctx->ops[k].opcode));
}

static int vsvm_lane_fn(void *data)
{
	struct vsvm_lane *lane = data;
	struct vsvm_exec_ctx *ctx = lane->ctx;

	/* The lane works for the process that owns the address space. */
	kthread_use_mm(ctx->mm);
	vsvm_lane_run(lane);
	kthread_unuse_mm(ctx->mm);

	if (atomic_dec_and_test(&ctx->running))
		complete(&ctx->done);

	/* Wait for kthread_stop(): no lane outlives its EXEC. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int vsvm_exec_check_op(const struct drm_vsvm_op *op)
{
	u64 size = (op->flags & DRM_VSVM_OP_F_64) ? 8 : 4;

	if (op->opcode < DRM_VSVM_OP_LOAD || op->opcode > DRM_VSVM_OP_WAIT)
		return -EINVAL;
	if (op->flags & ~DRM_VSVM_OP_F_ALL)
		return -EINVAL;
	if ((op->flags & DRM_VSVM_OP_F_SPIN) &&
	    op->opcode != DRM_VSVM_OP_CAS)
		return -EINVAL;
	/* Natural alignment keeps every access inside one page. */
	if ((op->addr | op->lane_stride | op->iter_stride) & (size - 1))
		return -EINVAL;
	return 0;
}

static void vsvm_exec_stop_lanes(struct vsvm_exec_ctx *ctx, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		kthread_stop(ctx->lanes[i].task);
}

static int vsvm_exec_status(struct vsvm_exec_ctx *ctx)
{
	if (ctx->killed)
		return -EIO;
	if (ctx->out_fault)
		return -EFAULT;
	if (ctx->timed_out)
		return -ETIMEDOUT;
	if (fatal_signal_pending(current))
		return -EINTR;
	return 0;
}

static int vsvm_exec_run(struct vsvm_exec_ctx *ctx, u32 lanes,
			 bool inline_lane)
{
	long left, rem;
	u32 i;

	for (i = 0; i < lanes; i++) {
		ctx->lanes[i].ctx = ctx;
		ctx->lanes[i].index = i;
	}
	if (inline_lane) {
		vsvm_lane_run(&ctx->lanes[0]);
		return vsvm_exec_status(ctx);
	}

	for (i = 0; i < lanes; i++) {
		struct task_struct *task;

		task = kthread_create(vsvm_lane_fn, &ctx->lanes[i],
				      "vsvm-lane%u", i);
		if (IS_ERR(task)) {
			/* Never woken: kthread_stop() skips their function. */
			vsvm_exec_stop_lanes(ctx, i);
			return PTR_ERR(task);
		}
		ctx->lanes[i].task = task;
	}

	atomic_set(&ctx->running, lanes);
	for (i = 0; i < lanes; i++)
		wake_up_process(ctx->lanes[i].task);

	/*
	 * Lanes stop themselves at the deadline; the wait only has to cover
	 * a fault in flight (HMM_RANGE_DEFAULT_TIMEOUT) beyond it.
	 */
	rem = max_t(long, (long)(ctx->deadline - jiffies), 0);
	left = wait_for_completion_killable_timeout(&ctx->done, rem + 2 * HZ);
	if (left <= 0) {
		if (!left)
			ctx->timed_out = true;
		/* Every lane loop polls abort; every fault is time-bounded. */
		atomic_cmpxchg(&ctx->abort, 0, 1);
		wait_for_completion(&ctx->done);
	}
	vsvm_exec_stop_lanes(ctx, lanes);
	return vsvm_exec_status(ctx);
}

int vsvm_exec_ioctl(struct drm_device *drm, void *data,
		    struct drm_file *file)
{
	struct vsvm_file *vfile = file->driver_priv;
	/* Pairs with the release in vsvm_svmm_init(). */
	struct vsvm_svmm *svmm = smp_load_acquire(&vfile->svmm);
	struct drm_vsvm_exec *args = data;
	struct drm_vsvm_counters before, after;
	struct drm_vsvm_lane_result __user *out;
	struct vsvm_exec_ctx *ctx;
	u64 *b = (u64 *)&before, *a = (u64 *)&after, *d;
	u64 t0, ops = 0;
	u32 i, timeout_ms;
	bool inline_lane;
	int ret;

	args->fault_status = 0;
	args->fault_lane = 0;
	args->fault_addr = 0;
	args->fault_access = 0;
	args->pad = 0;
	args->elapsed_ns = 0;
	memset(&args->delta, 0, sizeof(args->delta));

	if (!svmm)
		return -EINVAL;
	if ((args->flags & ~DRM_VSVM_EXEC_F_INLINE) || !args->nops ||
	    args->nops > DRM_VSVM_MAX_OPS || !args->lanes ||
	    args->lanes > DRM_VSVM_MAX_LANES ||
	    args->timeout_ms > DRM_VSVM_MAX_TIMEOUT_MS)
		return -EINVAL;
	inline_lane = args->flags & DRM_VSVM_EXEC_F_INLINE;
	/* The inline lane is the caller: it must live in the mirrored mm. */
	if (inline_lane &&
	    (args->lanes != 1 || current->mm != svmm->notifier.mm))
		return -EINVAL;
	timeout_ms = args->timeout_ms ?: DRM_VSVM_DEFAULT_TIMEOUT_MS;

	ctx = kzalloc(struct_size(ctx, lanes, args->lanes), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	if (copy_from_user(ctx->ops, u64_to_user_ptr(args->ops_ptr),
			   args->nops * sizeof(ctx->ops[0]))) {
		ret = -EFAULT;
		goto out_free;
	}
	for (i = 0; i < args->nops; i++) {
		ret = vsvm_exec_check_op(&ctx->ops[i]);
		if (ret)
			goto out_free;
	}
	ctx->svmm = svmm;
	ctx->mm = svmm->notifier.mm;
	ctx->nops = args->nops;
	ctx->iterations = args->iterations;
	ctx->deadline = jiffies + msecs_to_jiffies(timeout_ms);
	init_completion(&ctx->done);
	spin_lock_init(&ctx->kill_lock);

	/* Hold the address space up while lanes fault in it. */
	if (!mmget_not_zero(ctx->mm)) {
		ret = -EINVAL;
		goto out_free;
	}

	vsvm_counters_read(&svmm->ctr, &before);
	t0 = ktime_get_ns();
	ret = vsvm_exec_run(ctx, args->lanes, inline_lane);
	args->elapsed_ns = ktime_get_ns() - t0;
	mmput(ctx->mm);
	/* Lanes never started: nothing ran, nothing to report. */
	if (ret && ret != -EIO && ret != -ETIMEDOUT && ret != -EINTR &&
	    ret != -EFAULT)
		goto out_free;

	for (i = 0; i < args->lanes; i++)
		ops += ctx->lanes[i].res.ops;
	vsvm_count(svmm, VSVM_C_DEVICE_OPS, ops);
	vsvm_count(svmm, VSVM_C_EXECS, 1);
	if (ctx->killed) {
		vsvm_count(svmm, VSVM_C_KILLS, 1);
		args->fault_status = ctx->fault_status;
		args->fault_lane = ctx->fault_lane;
		args->fault_addr = ctx->fault_addr;
		args->fault_access = ctx->fault_access;
	}
	vsvm_counters_read(&svmm->ctr, &after);
	d = (u64 *)&args->delta;
	for (i = 0; i < VSVM_NR_COUNTERS; i++)
		d[i] = a[i] - b[i];

	out = u64_to_user_ptr(args->results_ptr);
	for (i = 0; i < args->lanes; i++) {
		if (copy_to_user(&out[i], &ctx->lanes[i].res,
				 sizeof(out[i]))) {
			ret = -EFAULT;
			break;
		}
	}
out_free:
	kfree(ctx);
	return ret;
}
