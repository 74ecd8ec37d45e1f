//! Instrumented twins of `crossbeam_owner_round` and `crossbeam_thief_run` (per-item steals)
//! for bench/deque/w50_profile.cpp. Built only with the `profile` feature, into a library of
//! its own, so bench_deque's library stays the one without them. The stamps are the C++
//! side's (`lfence; rdtsc`), at the same places, so both libraries pay the same for them.

use super::{consume, CrossbeamStealer, CrossbeamWorker, Task};
use crossbeam_deque::Steal;
use std::arch::x86_64::{_mm_lfence, _rdtsc};
use std::sync::atomic::{AtomicBool, Ordering};

/// bench::ThiefLog (w50_profile.cpp): one thief's successful steals, timed.
#[repr(C)]
pub struct ThiefLog {
    steal_cycles: *mut u32,
    consume_cycles: *mut u32,
    capacity: u64,
    successes: u64,
    misses: u64,
}

#[inline(always)]
fn stamp() -> u64 {
    // lfence first: the stamp is taken after everything before it has executed.
    unsafe {
        _mm_lfence();
        _rdtsc()
    }
}

/// An owner round that stamps: round start, after the pushes, after each pop that got an
/// item and after its consume(), after the pop that returned nothing. Writes 3 + 2 x (items
/// the owner got) stamps and returns that number of items.
/// # Safety
/// Owner thread only; `items` points to `count` Items; `stamps` has room for 3 + 2 x `count`.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_profile_owner_round(
    worker: *mut CrossbeamWorker,
    items: *mut crate::Item,
    count: usize,
    work_units: i64,
    stamps: *mut u64,
) -> u64 {
    let worker = &(*worker).0;
    let mut next = stamps;
    *next = stamp();
    next = next.add(1);
    for i in 0..count {
        worker.push(Task(items.add(i)));
    }
    *next = stamp();
    next = next.add(1);
    let mut taken = 0u64;
    while let Some(task) = worker.pop() {
        *next = stamp();
        next = next.add(1);
        taken += consume(task.0, work_units);
        *next = stamp();
        next = next.add(1);
    }
    *next = stamp();
    taken
}

/// crossbeam_thief_run's per-item loop, timing each successful steal and its consume().
/// # Safety
/// `stop` is a live std::atomic<bool>; `log` is live and owned by this thief.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_profile_thief_run(
    stealer: *const CrossbeamStealer,
    stop: *const AtomicBool,
    work_units: i64,
    log: *mut ThiefLog,
) -> u64 {
    let stealer = &(*stealer).0;
    let stop = &*stop;
    let log = &mut *log;
    let mut count = 0u64;
    // relaxed: stop guards no data; the join in C++ orders everything after the loop.
    while !stop.load(Ordering::Relaxed) {
        let before = stamp();
        match stealer.steal() {
            Steal::Success(task) => {
                let stolen = stamp();
                count += consume(task.0, work_units);
                let consumed = stamp();
                if log.successes < log.capacity {
                    let slot = log.successes as usize;
                    *log.steal_cycles.add(slot) = (stolen - before) as u32;
                    *log.consume_cycles.add(slot) = (consumed - stolen) as u32;
                }
                log.successes += 1;
            }
            Steal::Empty | Steal::Retry => {
                log.misses += 1;
                std::hint::spin_loop();
            }
        }
    }
    count
}

/// crossbeam_owner_round with two stamps only, after the round start and after the pushes,
/// plus one at the end: the pushes timed with the rest of the round left unperturbed.
/// Writes 3 stamps.
/// # Safety
/// As crossbeam_profile_owner_round, with room for 3 stamps.
#[no_mangle]
pub unsafe extern "C" fn crossbeam_profile_owner_round_pushes(
    worker: *mut CrossbeamWorker,
    items: *mut crate::Item,
    count: usize,
    work_units: i64,
    stamps: *mut u64,
) -> u64 {
    let worker = &(*worker).0;
    *stamps = stamp();
    for i in 0..count {
        worker.push(Task(items.add(i)));
    }
    *stamps.add(1) = stamp();
    let mut taken = 0u64;
    while let Some(task) = worker.pop() {
        taken += consume(task.0, work_units);
    }
    *stamps.add(2) = stamp();
    taken
}
