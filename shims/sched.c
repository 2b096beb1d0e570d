// SPDX-License-Identifier: GPL-2.0
/*
 * Out-of-line forms of the inline scheduling primitives the packet path
 * calls from Rust: bottom-half spinlocks (rust/kapi/sync.rs), NAPI
 * (rust/kapi/napi.rs), timer_list (rust/kapi/timer.rs), workqueues and
 * online CPUs (rust/kapi/workqueue.rs), jiffies and bounded randomness
 * (rust/kapi/time.rs). Each one only forwards.
 */
#include "wgrs_kapi.h"

void wgrs_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

bool wgrs_spin_trylock_bh(spinlock_t *lock)
{
	return spin_trylock_bh(lock);
}

void wgrs_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

void wgrs_local_bh_disable(void)
{
	local_bh_disable();
}

void wgrs_local_bh_enable(void)
{
	local_bh_enable();
}

void wgrs_napi_add(struct net_device *dev, struct napi_struct *napi,
		   int (*poll)(struct napi_struct *, int))
{
	/* As the C driver: these NAPI instances are fed by our own workers, so
	 * busy polling a socket cannot make them progress.
	 */
	set_bit(NAPI_STATE_NO_BUSY_POLL, &napi->state);
	netif_napi_add(dev, napi, poll);
}

void wgrs_napi_del(struct napi_struct *napi)
{
	netif_napi_del(napi);
}

bool wgrs_napi_schedule(struct napi_struct *napi)
{
	return napi_schedule(napi);
}

void wgrs_napi_gro_receive(struct napi_struct *napi, struct sk_buff *skb)
{
	napi_gro_receive(napi, skb);
}

void wgrs_timer_setup(struct timer_list *timer, void (*func)(struct timer_list *),
		      const char *name, struct lock_class_key *key)
{
	timer_init_key(timer, func, 0, name, key);
}

bool wgrs_timer_pending(const struct timer_list *timer)
{
	return timer_pending(timer);
}

unsigned long wgrs_jiffies(void)
{
	return jiffies;
}

unsigned int wgrs_hz(void)
{
	return HZ;
}

u32 wgrs_random_below(u32 ceil)
{
	return get_random_u32_below(ceil);
}

struct workqueue_struct *wgrs_alloc_workqueue(const char *name, unsigned int flags)
{
	return alloc_workqueue("%s", flags, 0, name);
}

bool wgrs_work_pending(struct work_struct *work)
{
	return work_pending(work);
}

unsigned int wgrs_cpu_next_online(int cpu)
{
	unsigned int next;

	/* None chosen yet (nr_cpu_ids stored): start before the first, as
	 * cpumask_next() checks its argument against the mask's size. */
	if (cpu < -1 || cpu >= (int)nr_cpu_ids)
		cpu = -1;
	next = cpumask_next(cpu, cpu_online_mask);

	if (next >= nr_cpu_ids)
		next = cpumask_first(cpu_online_mask);
	return next;
}

unsigned int wgrs_cpu_nth_online(unsigned int id)
{
	unsigned int cpu;

	/* A CPU going offline between the count and the walk leaves no n-th
	 * online CPU (the walk returns nr_cpu_ids or more): count again, as
	 * the C driver's wg_cpumask_choose_online() loops. */
	do {
		cpu = cpumask_nth(id % num_online_cpus(), cpu_online_mask);
	} while (unlikely(cpu >= nr_cpu_ids));
	return cpu;
}

bool wgrs_cpu_online(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_online(cpu);
}

unsigned int wgrs_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

unsigned int wgrs_num_online_cpus(void)
{
	return num_online_cpus();
}

bool wgrs_need_resched(void)
{
	return need_resched();
}

void wgrs_cond_resched(void)
{
	cond_resched();
}

bool wgrs_rng_is_initialized(void)
{
	return rng_is_initialized();
}
