//! crossbeam-deque 0.8 (a LIFO `Worker` and its `Stealer`s) behind a C ABI, for
//! bench/deque/crossbeam_deque.h. Two kinds of entry points:
//!
//! * handles and single operations (worker new/free/push/pop, stealer new/clone/free):
//!   one FFI call per operation;
//! * whole loops: push+take rounds, one burst, one owner round, a thief's whole run. Each
//!   repeats its C++ twin in bench/deque/deque_shapes.h (`DequeLoops`) step for step,
//!   so crossbeam's rows pay one call per benchmark iteration, not one per operation.
//!
//! Nothing here may unwind into C++: the crate is built with `panic = "abort"`.

use crossbeam_deque::{Steal, Stealer, Worker};
use std::arch::asm;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

// Instrumented loops for bench/deque/w50_profile.cpp; not in bench_deque's build.
#[cfg(feature = "profile")]
mod profile;

/// bench::Item (bench/deque/item.h).
#[repr(C)]
pub struct Item {
    payload: u64,
}

/// What the deques hold: a pointer to an Item that the benchmark keeps alive until every
/// thread has been joined.
struct Task(*mut Item);
// Safety: the benchmark moves items between threads only through the deque.
unsafe impl Send for Task {}

/// The owner's handle (opaque to C++).
pub struct CrossbeamWorker(Worker<Task>);
/// A thief's handle (opaque to C++).
pub struct CrossbeamStealer(Stealer<Task>);

/// GCC's `benchmark::DoNotOptimize(value)`: the value must exist in a register, the asm may
/// change it, and it may read or write any memory (no `nomem` option).
#[inline(always)]
fn do_not_optimize_u64(value: &mut u64) {
    unsafe { asm!("/* {0} */", inout(reg) *value, options(nostack, preserves_flags)) };
}

#[inline(always)]
fn do_not_optimize_item(item: &mut *mut Item) {
    unsafe { asm!("/* {0} */", inout(reg) *item, options(nostack, preserves_flags)) };
}

/// bench::consume(): `work_units` steps of dependent arithmetic, then the item's payload.
#[inline(always)]
unsafe fn consume(item: *mut Item, work_units: i64) -> u64 {
    let payload = (*item).payload;
    let mut value = payload;
    for _ in 0..work_units {
        value = value
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        do_not_optimize_u64(&mut value);
    }
    payload
}

#[inline(always)]
fn item_of(task: Option<Task>) -> *mut Item {
    task.map_or(ptr::null_mut(), |task| task.0)
}

// ------------------------------------------------------------------ handles, one op per call

#[no_mangle]
pub extern "C" fn crossbeam_worker_new() -> *mut CrossbeamWorker {
    Box::into_raw(Box::new(CrossbeamWorker(Worker::new_lifo())))
}

/// # Safety
/// `worker` comes from crossbeam_worker_new() and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_worker_free(worker: *mut CrossbeamWorker) {
    drop(Box::from_raw(worker));
}

/// # Safety
/// Owner thread only; `item` outlives its stay in the deque.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_worker_push(worker: *mut CrossbeamWorker, item: *mut Item) {
    (*worker).0.push(Task(item));
}

/// Null when empty (or when a thief won the last item).
/// # Safety
/// Owner thread only.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_worker_pop(worker: *mut CrossbeamWorker) -> *mut Item {
    item_of((*worker).0.pop())
}

/// # Safety
/// Owner thread, before any thief starts.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_stealer_new(worker: *const CrossbeamWorker) -> *mut CrossbeamStealer {
    Box::into_raw(Box::new(CrossbeamStealer((*worker).0.stealer())))
}

/// Any thread (a Stealer is Sync): each thief takes its own clone, as Rust code would.
/// # Safety
/// `stealer` is live.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_stealer_clone(stealer: *const CrossbeamStealer) -> *mut CrossbeamStealer {
    Box::into_raw(Box::new(CrossbeamStealer((*stealer).0.clone())))
}

/// # Safety
/// `stealer` came from crossbeam_stealer_new/clone and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_stealer_free(stealer: *mut CrossbeamStealer) {
    drop(Box::from_raw(stealer));
}

// ------------------------------------------------------------------ whole loops, one call each

/// DequeLoops::push_take: `rounds` times push `item` and pop it back; the payload sum.
/// # Safety
/// Owner thread only.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_push_take_rounds(worker: *mut CrossbeamWorker, item: *mut Item, rounds: i64) -> u64 {
    let worker = &(*worker).0;
    let mut sum = 0u64;
    for _ in 0..rounds {
        worker.push(Task(item));
        let mut taken = item_of(worker.pop());
        do_not_optimize_item(&mut taken);
        if !taken.is_null() {
            sum += (*taken).payload;
        }
    }
    sum
}

/// DequeLoops::burst: push all `count` items, then pop `count` times; the payload sum.
/// # Safety
/// Owner thread only; `items` points to `count` Items.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_burst(worker: *mut CrossbeamWorker, items: *mut Item, count: usize) -> u64 {
    let worker = &(*worker).0;
    for i in 0..count {
        worker.push(Task(items.add(i)));
    }
    let mut sum = 0u64;
    for _ in 0..count {
        let mut taken = item_of(worker.pop());
        do_not_optimize_item(&mut taken);
        if !taken.is_null() {
            sum += (*taken).payload;
        }
    }
    sum
}

/// DequeLoops::owner_round: push all `count` items, then pop and consume until empty; the
/// number of items the owner got.
/// # Safety
/// Owner thread only; `items` points to `count` Items.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_owner_round(
    worker: *mut CrossbeamWorker,
    items: *mut Item,
    count: usize,
    work_units: i64,
) -> u64 {
    let worker = &(*worker).0;
    for i in 0..count {
        worker.push(Task(items.add(i)));
    }
    let mut taken = 0u64;
    while let Some(task) = worker.pop() {
        taken += consume(task.0, work_units);
    }
    taken
}

/// DequeLoops::thief_run: steal until `stop` is set, consuming each item, and return how many
/// it got. `batch`: take from a private LIFO Worker first, and refill it with
/// steal_batch_and_pop (up to 32 items, about half the victim) when it is empty; otherwise one
/// steal() per item. A lost race (Steal::Retry) counts as a miss, like ours' lost_race.
/// # Safety
/// `stop` is a live std::atomic<bool> (same layout as AtomicBool: one byte, 0 or 1).
#[no_mangle]
pub unsafe extern "C" fn crossbeam_thief_run(
    stealer: *const CrossbeamStealer,
    stop: *const AtomicBool,
    work_units: i64,
    batch: bool,
) -> u64 {
    let stealer = &(*stealer).0;
    let stop = &*stop;
    let mut count = 0u64;
    if batch {
        let own = Worker::new_lifo();
        // relaxed: stop guards no data; the join in C++ orders everything after the loop.
        while !stop.load(Ordering::Relaxed) {
            let task = match own.pop() {
                Some(task) => Some(task),
                None => match stealer.steal_batch_and_pop(&own) {
                    Steal::Success(task) => Some(task),
                    Steal::Empty | Steal::Retry => None,
                },
            };
            match task {
                Some(task) => count += consume(task.0, work_units),
                None => std::hint::spin_loop(),
            }
        }
        while let Some(task) = own.pop() {
            count += consume(task.0, work_units);
        }
    } else {
        while !stop.load(Ordering::Relaxed) {
            match stealer.steal() {
                Steal::Success(task) => count += consume(task.0, work_units),
                Steal::Empty | Steal::Retry => std::hint::spin_loop(),
            }
        }
    }
    count
}
