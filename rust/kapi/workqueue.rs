// SPDX-License-Identifier: GPL-2.0

//! Workqueues of our own (`alloc_workqueue`) and queueing work on a chosen
//! CPU, on top of the kernel crate's work items
//! (`kernel::workqueue::{Work, WorkItem}`), which the crate can only put on
//! the system queues and on no particular CPU. Also the online-CPU choice
//! the C driver's multicore queues make.

use super::bindings as b;
use core::{
    ffi::CStr,
    ptr::NonNull, //
};
use kernel::{
    prelude::*,
    workqueue::{
        Queue,
        RawWorkItem,
        Work, //
    },
};

/// Flags for [`WorkQueue::new`] (the `WQ_*` flags).
pub(crate) mod flags {
    use super::b;
    /// Work is CPU-intensive: it does not count against concurrency.
    pub(crate) const CPU_INTENSIVE: u32 = b::WGRS_WQ_CPU_INTENSIVE;
    /// Frozen on suspend.
    pub(crate) const FREEZABLE: u32 = b::WGRS_WQ_FREEZABLE;
    /// Per-CPU workers (work runs on the CPU it was queued on).
    pub(crate) const PERCPU: u32 = b::WGRS_WQ_PERCPU;
    /// Not bound to a CPU.
    pub(crate) const UNBOUND: u32 = b::WGRS_WQ_UNBOUND;
    /// May be needed to reclaim memory: keeps a rescuer thread.
    pub(crate) const MEM_RECLAIM: u32 = b::WGRS_WQ_MEM_RECLAIM;
}

/// Whether `work` is queued and has not started running yet (its pending
/// bit; it may change right after). A producer that put its item where
/// the work will look and then sees it pending need not queue it again:
/// the run to come finds the item.
pub(crate) fn is_pending<T: ?Sized, const ID: u64>(work: &Work<T, ID>) -> bool {
    // SAFETY: `work` is a valid, initialised work item; the shim only reads
    // its flag bits atomically (the two bindings name the same C struct).
    unsafe { b::wgrs_work_pending(Work::raw_get(work).cast()) }
}

/// A workqueue we allocated; destroyed (after running what is queued) when
/// dropped.
///
/// # Invariants
///
/// `0` is a workqueue from `alloc_workqueue` that this value owns.
pub(crate) struct WorkQueue(NonNull<b::workqueue_struct>);

// SAFETY: workqueues may be used and destroyed from any process context.
unsafe impl Send for WorkQueue {}
// SAFETY: queueing is thread-safe.
unsafe impl Sync for WorkQueue {}

impl WorkQueue {
    /// Allocates a workqueue named `name` (copied) with `flags`.
    pub(crate) fn new(name: &CStr, flags: u32) -> Result<Self> {
        // SAFETY: `name` is a valid string; the queue copies it.
        let wq = unsafe { b::wgrs_alloc_workqueue(name.as_char_ptr(), flags) };
        // INVARIANT: a non-null result is a new workqueue we own.
        NonNull::new(wq).map(Self).ok_or(ENOMEM)
    }

    /// The queue, for the kernel crate's `enqueue` (any CPU).
    pub(crate) fn queue(&self) -> &Queue {
        // SAFETY: the workqueue lives as long as `self`.
        unsafe { Queue::from_raw(self.0.as_ptr().cast()) }
    }

    /// Queues `w` to run on `cpu`; gives it back if it was already queued.
    pub(crate) fn enqueue_on<W>(&self, cpu: u32, w: W) -> W::EnqueueOutput
    where
        W: RawWorkItem<0> + Send + 'static,
    {
        self.enqueue_on_id::<W, 0>(cpu, w)
    }

    /// As [`WorkQueue::enqueue_on`] for work item `ID` of its owner.
    pub(crate) fn enqueue_on_id<W, const ID: u64>(&self, cpu: u32, w: W) -> W::EnqueueOutput
    where
        W: RawWorkItem<ID> + Send + 'static,
    {
        let wq = self.0.as_ptr();
        let cpu = cpu as core::ffi::c_int;
        // SAFETY: `queue_work_on` returns false only if the work is queued
        // already, as `__enqueue` requires; the item is `Send + 'static`; the
        // queue outlives every queued item (destroyed only after they ran).
        unsafe { w.__enqueue(move |work| kernel::bindings::queue_work_on(cpu, wq.cast(), work)) }
    }

    /// Waits until everything queued so far has run.
    pub(crate) fn flush(&self) {
        // SAFETY: the queue is valid; process context.
        unsafe { b::__flush_workqueue(self.0.as_ptr()) };
    }
}

impl Drop for WorkQueue {
    fn drop(&mut self) {
        // SAFETY: we own the queue; `destroy_workqueue` drains it first.
        unsafe { b::destroy_workqueue(self.0.as_ptr()) };
    }
}

/// Online CPUs, for spreading work.
pub(crate) mod cpu {
    use super::b;

    /// The online CPU after `last` (wrapping), as a round-robin step.
    pub(crate) fn next_online(last: u32) -> u32 {
        // SAFETY: no preconditions.
        unsafe { b::wgrs_cpu_next_online(last as i32) }
    }

    /// A stable online CPU for the object numbered `id`: `*stored` if it is
    /// still online, else the `id`-th online CPU (stored for next time).
    pub(crate) fn choose_online(stored: &core::sync::atomic::AtomicU32, id: u64) -> u32 {
        use core::sync::atomic::Ordering::Relaxed;
        let cpu = stored.load(Relaxed);
        // SAFETY: no preconditions.
        if unsafe { b::wgrs_cpu_online(cpu) } {
            return cpu;
        }
        // SAFETY: no preconditions.
        let cpu = unsafe { b::wgrs_cpu_nth_online((id % u64::from(u32::MAX)) as u32) };
        stored.store(cpu, Relaxed);
        cpu
    }

    /// The CPU this code runs on; stable only while the caller cannot
    /// migrate (bottom halves or preemption disabled, a BH lock held).
    pub(crate) fn current() -> u32 {
        kernel::cpu::CpuId::current().as_u32()
    }

    /// Whether the scheduler wants this CPU back (for long loops in
    /// process context, which then call `cond_resched`).
    pub(crate) fn need_resched() -> bool {
        // SAFETY: no preconditions.
        unsafe { b::wgrs_need_resched() }
    }

    /// Lets the scheduler run something else (process context only).
    pub(crate) fn cond_resched() {
        // SAFETY: callers are in process context with no lock held.
        unsafe { b::wgrs_cond_resched() }
    }

    /// How many CPUs are online now.
    pub(crate) fn num_online() -> u32 {
        // SAFETY: no preconditions.
        unsafe { b::wgrs_num_online_cpus() }
    }

    /// An impossible CPU number, to store before a CPU was chosen.
    pub(crate) fn none() -> u32 {
        // SAFETY: no preconditions.
        unsafe { b::wgrs_nr_cpu_ids() }
    }
}
