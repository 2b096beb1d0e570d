// SPDX-License-Identifier: GPL-2.0

//! The multicore pipeline (the C driver's `queueing.c` and `queueing.h`).
//!
//! Encryption and decryption run in parallel on every online CPU, yet each
//! peer's packets leave (or are delivered) in the order they were queued:
//!
//! - a job (a batch of packets to send, or one received packet) is put on
//!   its peer's ordered queue ([`PeerQueue`]) and on the device's
//!   [`CryptQueue`], whose per-CPU workers take jobs in turn, round robin;
//! - a worker does the crypto in the job ([`Job::process`], which marks it
//!   done or failed) and kicks the peer's serial consumer (the transmit
//!   worker or NAPI);
//! - the consumer takes jobs from the head of the peer's queue only while
//!   they are done, so a fast CPU never overtakes a slow one.
//!
//! Handshake messages use a [`CryptQueue`] too (any order).
//!
//! A queue whose items say when they were queued ([`QueueItem::queued_at`],
//! received data) keeps its delay down: its workers ask a [`Codel`] about
//! each item they take, and drop the ones it picks, or mark them instead
//! if they are ECN-capable ([`QueueItem::ecn_capable`]).

use crate::codel::{
    Codel,
    Verdict, //
};
use crate::kapi::handoff::Handoff;
use crate::kapi::shared::Shared;
use crate::kapi::sync::{
    new_spinlock_bh,
    SpinLockBh, //
};
use crate::kapi::time;
use crate::kapi::workqueue::{
    self,
    cpu,
    WorkQueue, //
};
use core::sync::atomic::{
    AtomicU32,
    AtomicUsize,
    Ordering::Relaxed, //
};
use kernel::{
    impl_has_work, new_work,
    prelude::*,
    sync::Arc,
    workqueue::{
        Work,
        WorkItem, //
    },
};

/// The most bytes of packets that a sender encrypts, or a receiver
/// decrypts, itself instead of handing them to the per-CPU workers, when
/// nothing of the peer's is queued ahead of them (and, receiving, the
/// workers have nothing waiting). For a packet this small (a ping, an ACK,
/// a DNS query) the crypto costs less than the hand-off to a worker and
/// back (a job, two queues, two work items woken on other CPUs), and its
/// latency is the hand-off's; bulk data still spreads over every CPU.
pub(crate) const INLINE_CRYPT_MAX_LEN: usize = 256;

/// A sender encrypts a small packet itself only if the peer's previous
/// small packet came at least this long before it (below 2000 a second).
/// Faster small packets (a flood of datagrams) go to the workers after
/// all: while a worker wakes up they gather into batches that share its
/// wake-up, a UDP GSO send and the receiver's wake-up, which costs less
/// per packet than sending each alone; sparse ones gain nothing by
/// waiting.
pub(crate) const INLINE_MIN_GAP_NS: u64 = 500_000;

/// A bounded first-in first-out ring that grows on demand (so idle peers
/// cost nothing) up to a fixed capacity.
pub(crate) struct Fifo<T> {
    slots: KVec<Option<T>>,
    head: usize,
    len: usize,
    max: usize,
}

impl<T> Fifo<T> {
    /// An empty ring holding at most `max` items; no memory until used.
    pub(crate) const fn new(max: usize) -> Self {
        Self {
            slots: KVec::new(),
            head: 0,
            len: 0,
            max,
        }
    }

    /// An empty ring with all `max` slots allocated now.
    pub(crate) fn with_capacity(max: usize) -> Result<Self> {
        let mut f = Self::new(max);
        f.grow_to(max, GFP_KERNEL)?;
        Ok(f)
    }

    fn grow_to(&mut self, n: usize, flags: kernel::alloc::Flags) -> Result {
        let mut slots = KVec::with_capacity(n, flags)?;
        for i in 0..self.len {
            let j = (self.head + i) % self.slots.len().max(1);
            slots.push(self.slots[j].take(), flags)?;
        }
        while slots.len() < n {
            slots.push(None, flags)?;
        }
        self.slots = slots;
        self.head = 0;
        Ok(())
    }

    /// Appends `item`; gives it back if the ring is full (or memory for
    /// growing it is short).
    pub(crate) fn push(&mut self, item: T) -> core::result::Result<(), T> {
        if self.len == self.max {
            return Err(item);
        }
        if self.len == self.slots.len() {
            let n = (self.slots.len() * 2).clamp(8, self.max);
            if self.grow_to(n, GFP_ATOMIC).is_err() {
                return Err(item);
            }
        }
        let i = (self.head + self.len) % self.slots.len();
        self.slots[i] = Some(item);
        self.len += 1;
        Ok(())
    }

    /// The first item.
    pub(crate) fn peek(&self) -> Option<&T> {
        if self.len == 0 {
            return None;
        }
        self.slots[self.head].as_ref()
    }

    /// Takes the first item.
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.slots[self.head].take();
        self.head = (self.head + 1) % self.slots.len();
        self.len -= 1;
        item
    }
}

/// Where a job stands: its handoff's stage (a job its consumer already
/// took is on no queue any more, so consumers see only `Pending`, `Done`
/// and `Failed`).
pub(crate) use crate::kapi::handoff::Stage as JobState;

/// A unit of work on its way through the pipeline: data worked on in place
/// by the crypto worker that dequeued it, then taken by its peer's
/// consumer, handed between them without a lock ([`Handoff`]).
pub(crate) struct Job<T> {
    cell: Handoff<T>,
    /// When it was queued ([`time::mono_ns`]), if that is kept (0: not).
    queued: u64,
    /// Whether a delay-limiting queue may mark it instead of dropping it.
    ecn_capable: bool,
}

impl<T: Send + Unpin> Job<T> {
    /// A pending job holding `data`.
    pub(crate) fn new(data: T) -> Result<JobRef<T>> {
        Shared::new(Self {
            cell: Handoff::new(data),
            queued: 0,
            ecn_capable: false,
        })
    }

    /// A pending job holding `data` that keeps the time it was made, for a
    /// queue that limits its delay ([`QueueItem::queued_at`]); with
    /// `ecn_capable`, that queue marks it instead of dropping it.
    pub(crate) fn new_timed(data: T, ecn_capable: bool) -> Result<JobRef<T>> {
        Shared::new(Self {
            cell: Handoff::new(data),
            queued: time::mono_ns().max(1),
            ecn_capable,
        })
    }

    /// When a job made by [`Job::new_timed`] was made.
    pub(crate) fn queued_at(&self) -> Option<u64> {
        (self.queued != 0).then_some(self.queued)
    }

    /// Whether a delay-limiting queue may mark the job instead of dropping
    /// it.
    pub(crate) fn ecn_capable(&self) -> bool {
        self.ecn_capable
    }

    /// Runs `work` on the data, then marks the job done or failed as `work`
    /// says, and returns what else `work` returned. Called once, by the
    /// crypto worker that dequeued the job.
    pub(crate) fn process<R>(&self, work: impl FnOnce(&mut T) -> (bool, R)) -> Option<R> {
        self.cell.work(work)
    }

    /// Marks a pending job done (`ok`) or failed without doing its work.
    pub(crate) fn finish(&self, ok: bool) {
        self.cell.finish_unworked(ok);
    }

    /// The state, as the consumer sees it.
    pub(crate) fn state(&self) -> JobState {
        self.cell.stage()
    }

    /// Takes the data out (the consumer, once the job is not pending).
    pub(crate) fn take(&self) -> Option<T> {
        self.cell.take()
    }
}

/// A reference to a job (one is on its peer's queue, one on the crypt
/// queue), made and freed for every packet, so not a kernel `Arc`.
pub(crate) type JobRef<T> = Shared<Job<T>>;

/// A peer's ordered queue of jobs (at most `MAX_QUEUED_PACKETS`).
#[pin_data]
pub(crate) struct PeerQueue<T> {
    #[pin]
    fifo: SpinLockBh<Fifo<JobRef<T>>>,
}

impl<T: Send + Unpin> PeerQueue<T> {
    /// An empty queue.
    pub(crate) fn new(max: usize) -> impl PinInit<Self> {
        pin_init!(Self {
            fifo <- new_spinlock_bh!(Fifo::new(max), "wireguard_rs_peer_queue"),
        })
    }

    /// Appends `job`; gives it back if the queue is full.
    pub(crate) fn push(&self, job: JobRef<T>) -> core::result::Result<(), JobRef<T>> {
        self.fifo.lock().push(job)
    }

    /// Whether no job is waiting (a job being taken out right now by the
    /// consumer may still be on its way).
    pub(crate) fn is_empty(&self) -> bool {
        self.fifo.lock().len == 0
    }

    /// Takes the first job if it is no longer pending.
    pub(crate) fn pop_ready(&self) -> Option<(JobState, JobRef<T>)> {
        let mut fifo = self.fifo.lock();
        let state = fifo.peek()?.state();
        if state == JobState::Pending {
            return None;
        }
        fifo.pop().map(|j| (state, j))
    }

    /// Takes every job out, whatever its state (the peer is stopped and
    /// nothing works on its jobs any more).
    pub(crate) fn clear(&self) {
        let mut fifo = self.fifo.lock();
        while let Some(j) = fifo.pop() {
            drop(j);
        }
    }
}

/// What a [`CryptQueue`] item does when a worker takes it.
pub(crate) trait QueueItem: Send + 'static {
    /// Runs the item's work (process context).
    fn run(self);

    /// When the item was queued ([`time::mono_ns`]), for a queue that
    /// drops items to keep its delay down; `None` (the default) for an
    /// item that is never dropped so.
    fn queued_at(&self) -> Option<u64> {
        None
    }

    /// What the item does instead of its work when it is dropped.
    fn run_dropped(self)
    where
        Self: Sized,
    {
        drop(self);
    }

    /// Whether the item can carry a congestion mark instead of being
    /// dropped (an ECN-capable packet).
    fn ecn_capable(&self) -> bool {
        false
    }

    /// Runs the item's work with a congestion mark on it.
    fn run_marked(self)
    where
        Self: Sized,
    {
        self.run();
    }
}

/// A crypt queue's items and its delay controller, under one lock.
struct RingState<J> {
    fifo: Fifo<J>,
    codel: Codel,
}

impl<J: QueueItem> RingState<J> {
    /// Takes the next item, and what to do with it.
    fn pop(&mut self) -> Option<(J, Verdict)> {
        let item = self.fifo.pop()?;
        let verdict = match item.queued_at() {
            // One packet per online CPU behind it is no standing queue: the
            // workers take that many at once (`codel.rs`).
            Some(t) => {
                let now = time::mono_ns();
                self.codel.verdict(
                    now,
                    now.saturating_sub(t),
                    self.fifo.len,
                    cpu::num_online() as usize,
                    item.ecn_capable(),
                )
            }
            None => Verdict::Pass,
        };
        Some((item, verdict))
    }
}

/// The ring shared by a crypt queue's workers.
#[pin_data]
struct Ring<J> {
    #[pin]
    state: SpinLockBh<RingState<J>>,
    /// `state.fifo`'s length as of its last change (written under the
    /// lock, read without it).
    backlog: AtomicUsize,
}

impl<J: QueueItem> Ring<J> {
    /// Takes the next item, and what to do with it.
    fn pop(&self) -> Option<(J, Verdict)> {
        let mut s = self.state.lock();
        let next = s.pop();
        self.backlog.store(s.fifo.len, Relaxed);
        next
    }

    /// Appends `item` (waiting for the lock only if `wait`); gives it back
    /// if the ring is full or, without `wait`, busy.
    fn push(&self, item: J, wait: bool) -> core::result::Result<(), J> {
        let mut s = if wait {
            self.state.lock()
        } else {
            match self.state.try_lock() {
                Some(s) => s,
                None => return Err(item),
            }
        };
        s.fifo.push(item)?;
        self.backlog.store(s.fifo.len, Relaxed);
        Ok(())
    }
}

/// One CPU's worker of a [`CryptQueue`].
#[pin_data]
pub(crate) struct CpuWorker<J> {
    ring: Arc<Ring<J>>,
    #[pin]
    work: Work<CpuWorker<J>>,
}

impl_has_work! {
    impl{J: QueueItem} HasWork<Self> for CpuWorker<J> { self.work }
}

impl<J: QueueItem> WorkItem for CpuWorker<J> {
    type Pointer = Arc<CpuWorker<J>>;

    fn run(this: Arc<CpuWorker<J>>) {
        loop {
            let Some((item, verdict)) = this.ring.pop() else {
                break;
            };
            match verdict {
                Verdict::Pass => item.run(),
                Verdict::Mark => item.run_marked(),
                Verdict::Drop => item.run_dropped(),
            }
            if cpu::need_resched() {
                cpu::cond_resched();
            }
        }
    }
}

/// A device's queue of items for its per-CPU workers (the C driver's
/// `crypt_queue`): a bounded ring and one work item per possible CPU,
/// queued round robin on the online ones.
pub(crate) struct CryptQueue<J> {
    ring: Arc<Ring<J>>,
    workers: KVec<Arc<CpuWorker<J>>>,
    last_cpu: AtomicU32,
}

impl<J: QueueItem> CryptQueue<J> {
    /// A queue of at most `max` items with a worker for each possible CPU.
    pub(crate) fn new(max: usize) -> Result<Self> {
        let fifo = Fifo::with_capacity(max)?;
        let ring = Arc::pin_init(
            pin_init!(Ring {
                state <- new_spinlock_bh!(
                    RingState {
                        fifo,
                        codel: Codel::new(),
                    },
                    "wireguard_rs_crypt_ring"
                ),
                backlog: AtomicUsize::new(0),
            }),
            GFP_KERNEL,
        )?;
        let n = cpu::none() as usize;
        let mut workers = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            let r = ring.clone();
            workers.push(
                Arc::pin_init(
                    pin_init!(CpuWorker {
                        ring: r,
                        work <- new_work!("wireguard_rs_crypt_worker"),
                    }),
                    GFP_KERNEL,
                )?,
                GFP_KERNEL,
            )?;
        }
        Ok(Self {
            ring,
            workers,
            last_cpu: AtomicU32::new(cpu::none()),
        })
    }

    /// Queues `item` and kicks the next online CPU's worker on `wq`; gives
    /// the item back if the ring is full.
    pub(crate) fn push(&self, item: J, wq: &WorkQueue) -> core::result::Result<(), J> {
        self.ring.push(item, true)?;
        self.kick(wq);
        Ok(())
    }

    /// As [`CryptQueue::push`], but gives up instead of waiting if another
    /// CPU is adding to the ring right now (for a producer under flood).
    pub(crate) fn try_push(&self, item: J, wq: &WorkQueue) -> core::result::Result<(), J> {
        self.ring.push(item, false)?;
        self.kick(wq);
        Ok(())
    }

    /// Whether the ring looked empty a moment ago (read without its lock:
    /// a hint of how busy the workers are, never for correctness).
    pub(crate) fn looks_idle(&self) -> bool {
        self.ring.backlog.load(Relaxed) == 0
    }

    fn kick(&self, wq: &WorkQueue) {
        // Racy by design, like the C driver's: two CPUs may pick the same
        // next CPU, which costs nothing but balance.
        let cpu = cpu::next_online(self.last_cpu.load(Relaxed));
        self.last_cpu.store(cpu, Relaxed);
        if let Some(w) = self.workers.get(cpu as usize) {
            // Already queued means it will see this item too (then neither
            // the reference nor the queueing is needed).
            if !workqueue::is_pending(&w.work) {
                let _ = wq.enqueue_on(cpu, w.clone());
            }
        }
    }

    /// Takes every waiting item out (the device is going down).
    pub(crate) fn drain(&self) -> KVec<J> {
        let mut out = KVec::new();
        let mut state = self.ring.state.lock();
        let fifo = &mut state.fifo;
        while let Some(j) = fifo.pop() {
            // Out of memory: the item is dropped here instead.
            let _ = out.push(j, GFP_ATOMIC);
        }
        self.ring.backlog.store(0, Relaxed);
        out
    }
}
