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
 *   pin=1    take a reference to this module (rmmod then fails)
 *   slab=1   keep one object in a slab cache of its own, wgrs_hc_objects,
 *            while loaded (the harness's count of the caches named wgrs_*
 *            once no device is left)
 *   netns_ref=1  take a reference to the network namespace of the process
 *            loading it, and never give it back (the namespace outlives
 *            its deletion: the harness's namespace count)
 *   hold_netdev=SECS  register a device wgrshc0 (which "ip link del"
 *            cannot delete) holding a reference to it until SECS seconds
 *            after loading: unloading waits for it, and the kernel prints
 *            "unregister_netdevice: waiting for wgrshc0 to become free"
 *            (and, with CONFIG_NET_DEV_REFCNT_TRACKER, where the reference
 *            was taken) every 10 s meanwhile
 *
 * Its KUnit suite, wgrs_harness_check, runs as it loads (on a kernel with
 * CONFIG_KUNIT): one case passes, one fails and one is skipped.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
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
static bool slab;
module_param(slab, bool, 0400);
MODULE_PARM_DESC(slab, "keep one object in the slab cache wgrs_hc_objects while loaded");
static bool netns_ref;
module_param(netns_ref, bool, 0400);
MODULE_PARM_DESC(netns_ref, "take a reference to the loading process's network namespace, never given back");
static unsigned int hold_netdev;
module_param(hold_netdev, uint, 0400);
MODULE_PARM_DESC(hold_netdev, "register wgrshc0 and hold a reference to it until this many seconds after loading");

static struct kmem_cache *wgrs_hc_cache;
static void *wgrs_hc_kept;

static struct net_device *wgrs_hc_dev;
static netdevice_tracker wgrs_hc_dev_tracker;

static void wgrs_hc_release(struct work_struct *work)
{
	netdev_put(wgrs_hc_dev, &wgrs_hc_dev_tracker);
}
static DECLARE_DELAYED_WORK(wgrs_hc_release_work, wgrs_hc_release);

static netdev_tx_t wgrs_hc_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev_kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops wgrs_hc_netdev_ops = {
	.ndo_start_xmit = wgrs_hc_xmit,
};

/* No rtnl_link_ops: "ip link del" refuses it, only unloading removes it. */
static void wgrs_hc_setup(struct net_device *dev)
{
	dev->netdev_ops = &wgrs_hc_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_NOARP;
}

static noinline int wgrs_hc_hold_netdev(void)
{
	int ret;

	wgrs_hc_dev = alloc_netdev(0, "wgrshc%d", NET_NAME_ENUM, wgrs_hc_setup);
	if (!wgrs_hc_dev)
		return -ENOMEM;
	ret = register_netdev(wgrs_hc_dev);
	if (ret) {
		free_netdev(wgrs_hc_dev);
		wgrs_hc_dev = NULL;
		return ret;
	}
	/* The reference the unregistration will wait for. */
	netdev_hold(wgrs_hc_dev, &wgrs_hc_dev_tracker, GFP_KERNEL);
	schedule_delayed_work(&wgrs_hc_release_work, hold_netdev * HZ);
	return 0;
}

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
	int ret;

	if (slab) {
		wgrs_hc_cache = kmem_cache_create("wgrs_hc_objects", 64, 0, 0, NULL);
		if (!wgrs_hc_cache)
			return -ENOMEM;
		wgrs_hc_kept = kmem_cache_alloc(wgrs_hc_cache, GFP_KERNEL);
		if (!wgrs_hc_kept) {
			kmem_cache_destroy(wgrs_hc_cache);
			return -ENOMEM;
		}
	}
	if (hold_netdev) {
		ret = wgrs_hc_hold_netdev();
		if (ret) {
			if (slab) {
				kmem_cache_free(wgrs_hc_cache, wgrs_hc_kept);
				kmem_cache_destroy(wgrs_hc_cache);
			}
			return ret;
		}
	}
	/* Last: nothing can fail after it, and it is never undone. */
	if (netns_ref)
		get_net(current->nsproxy->net_ns);
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
	if (wgrs_hc_dev) {
		/* Waits until the delayed work gave its reference back. */
		unregister_netdev(wgrs_hc_dev);
		flush_delayed_work(&wgrs_hc_release_work);
		free_netdev(wgrs_hc_dev);
	}
	if (wgrs_hc_cache) {
		kmem_cache_free(wgrs_hc_cache, wgrs_hc_kept);
		kmem_cache_destroy(wgrs_hc_cache);
	}
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
