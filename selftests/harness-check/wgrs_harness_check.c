// SPDX-License-Identifier: GPL-2.0
/*
 * A test-only module for the VM harness's self-check (selftests/run.sh
 * --selfcheck): each parameter makes it do, as it loads, one thing the
 * harness must report as a failure. Never built into wireguard-rs.ko.
 *
 *   leak=1   allocate memory and forget it (kmemleak, debug kernel)
 *   warn=1   WARN_ON(1) (a WARNING in the log; a panic with panic_on_warn)
 *   rcu=1    rcu_dereference() outside any RCU read-side critical section
 *            (lockdep's "suspicious RCU usage", debug kernel)
 *   panic=1  panic(): the VM dies in the middle of a script
 *
 * Its KUnit suite, wgrs_harness_check, runs as it loads (on a kernel with
 * CONFIG_KUNIT): one case passes, one fails and one is skipped.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/test.h>

static bool leak;
module_param(leak, bool, 0400);
MODULE_PARM_DESC(leak, "leak sixteen 1234-byte objects");
static bool warn;
module_param(warn, bool, 0400);
MODULE_PARM_DESC(warn, "WARN_ON(1) at load");
static bool rcu;
module_param(rcu, bool, 0400);
MODULE_PARM_DESC(rcu, "rcu_dereference() outside rcu_read_lock() at load");
static bool do_panic;
module_param_named(panic, do_panic, bool, 0400);
MODULE_PARM_DESC(panic, "panic() at load");
static bool pin;
module_param(pin, bool, 0400);
MODULE_PARM_DESC(pin, "take a reference to this module at load (rmmod then fails)");

struct wgrs_hc_obj {
	int value;
};

static struct wgrs_hc_obj __rcu *wgrs_hc_ptr;

/*
 * Sixteen objects, not one: kmemleak counts any word that holds an
 * object's address as a reference, and stale copies (a neighbour's old
 * free pointer, a register saved by an interrupt) kept a single leaked
 * object referenced in runs here; of sixteen, about half are reported.
 */
static noinline void wgrs_hc_leak(void)
{
	int i;

	for (i = 0; i < 16; i++) {
		char *p = kmalloc(1234, GFP_KERNEL);

		if (p)
			strscpy(p, "wgrs-harness-check leaked object", 1234);
		/* The only reference dies here. */
	}
}

static noinline int wgrs_hc_bad_rcu(void)
{
	struct wgrs_hc_obj *o = rcu_dereference(wgrs_hc_ptr);

	return o ? o->value : 0;
}

static int __init wgrs_hc_init(void)
{
	if (leak)
		wgrs_hc_leak();
	if (rcu)
		pr_info("wgrs_harness_check: bad rcu_dereference gave %d\n", wgrs_hc_bad_rcu());
	if (warn)
		WARN_ON(1);
	if (do_panic)
		panic("wgrs_harness_check: panic on request");
	if (pin)
		__module_get(THIS_MODULE);
	return 0;
}

static void __exit wgrs_hc_exit(void)
{
}

module_init(wgrs_hc_init);
module_exit(wgrs_hc_exit);

#if IS_ENABLED(CONFIG_KUNIT)
static void wgrs_hc_passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1 + 1, 2);
}

static void wgrs_hc_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1 + 1, 3, "this case fails on purpose");
}

static void wgrs_hc_skips(struct kunit *test)
{
	kunit_skip(test, "this case is skipped on purpose");
}

static struct kunit_case wgrs_hc_cases[] = {
	KUNIT_CASE(wgrs_hc_passes),
	KUNIT_CASE(wgrs_hc_fails),
	KUNIT_CASE(wgrs_hc_skips),
	{}
};

static struct kunit_suite wgrs_hc_suite = {
	.name = "wgrs_harness_check",
	.test_cases = wgrs_hc_cases,
};
kunit_test_suite(wgrs_hc_suite);
#endif

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("wireguard-rs VM harness self-check: failures on request");
