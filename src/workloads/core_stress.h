// The lock-free core's own stress (deque, epochs, inbox: src/core itself), run by one worker
// per CPU inside the kernel (console `stress SECONDS`, the torture of issue 14) and by
// threads on the host (test/workloads). Portable: the caller supplies the platform (how to
// start one worker per CPU, a clock, how to wait), so the same rounds and the same checks
// run in both places.
//
// What runs: the workers go through rounds. In a round each worker pushes its share of
// items, each one either into its own Chase-Lev deque or, one in eight, into another
// worker's MPSC inbox; meanwhile it takes from its deque (LIFO and FIFO), steals single
// items and batches from the others' deques and pops its inbox. Deques start each round at
// capacity 2, so they grow while thieves steal and retire their old buffers through an
// EpochDomain. Beside the items, the workers replace a shared epoch-protected object and
// read it inside sections; a retired object is poisoned (never unmapped or reused early), so
// a reader that sees poison proves a grace period was too short.
//
// How it is counted: every item carries a claim counter and a payload that depends on the
// round. A round ends when every worker has finished pushing and has found its own deque
// and inbox empty; then one worker reads every item of the round: a claim count of 0 is a
// lost item, every claim past the first a duplicate, a wrong payload a corrupted one. The
// verdict also needs pushed + sent == taken + stolen + received and no inbox message out of
// its sender's order. A verdict that cannot fail is a defect: CoreStressFault breaks the
// run on purpose (the host test checks that it then fails).
#pragma once
#include <cstddef>
#include <cstdint>

namespace workloads {

struct CoreStressCounts {
    uint64_t rounds = 0;  // rounds completed and checked
    uint64_t pushed = 0;  // items pushed into a deque by their worker
    uint64_t sent = 0;  // items sent into another worker's inbox
    uint64_t taken = 0;  // consumed by the worker that pushed them (take, take_fifo)
    uint64_t stolen = 0;  // consumed by another worker (steal, or steal_batch then take)
    uint64_t batch_moved = 0;  // of those, moved by steal_batch first
    uint64_t received = 0;  // consumed from an inbox
    uint64_t lost_races = 0;  // a steal that saw an item but lost it to someone else
    uint64_t lost = 0;  // never claimed in its round (must be 0)
    uint64_t duplicated = 0;  // claims past the first (must be 0)
    uint64_t corrupted = 0;  // an item whose payload or address was wrong (must be 0)
    uint64_t out_of_order = 0;  // an inbox message before an earlier one of its sender (must be 0)
    uint64_t push_failures = 0;  // deque growth out of memory (the item was consumed by hand)
    uint64_t epoch_reads = 0;  // reads of the shared object inside sections
    uint64_t epoch_replaced = 0;  // times it was replaced and the old one retired
    uint64_t epoch_poison_seen = 0;  // reads that saw a retired object (must be 0)
    uint64_t epoch_advances = 0;  // of the stress's own EpochDomain
    uint64_t retired = 0, freed = 0;  // deque buffers and shared objects, through the domain

    uint64_t consumed() const { return taken + stolen + received; }
};

// Deliberate breaks, to show that the verdict can fail.
enum class CoreStressFault : uint8_t {
    none,
    lose_item,  // worker 0 counts an item as pushed in round 0 but never pushes it
    duplicate_item,  // worker 0 consumes one item twice in round 0
};

enum class CoreStressError : uint8_t {
    none,
    out_of_memory,  // the items, deques or domain could not be allocated
    no_workers,  // the platform started none
};

struct CoreStressResult {
    CoreStressCounts counts;
    uint32_t workers = 0;
    uint64_t elapsed_ns = 0;
    bool cancelled = false;  // stopped early by `cancelled` (not a failure by itself)
    CoreStressError error = CoreStressError::none;
    // Items were counted and every check held. A run that checked nothing fails too.
    bool passed() const;
};

// What the caller's platform does for the run. Every function pointer is required.
struct CoreStressPlatform {
    void* context = nullptr;
    // How many workers to start: one per CPU that should take part (online CPUs).
    uint32_t (*worker_count)(void* context) = nullptr;
    // Starts worker `index` (< worker_count) on its CPU, running body(arg, index).
    // False when it could not be started; the run goes on with the workers that did start
    // (they are started in index order and have not begun a round yet).
    bool (*start_worker)(void* context, uint32_t index, void (*body)(void* arg, uint32_t index), void* arg) = nullptr;
    // Waits until every started worker has returned.
    void (*join_workers)(void* context) = nullptr;
    uint64_t (*now_ns)() = nullptr;
    void (*sleep_ns)(uint64_t ns) = nullptr;  // the coordinator between looks at the clock
    void (*pause)() = nullptr;  // a worker waiting for the others (yield the CPU)
};

struct CoreStressOptions {
    uint64_t seconds = 5;  // run time; rounds in flight finish (a round is a few ms)
    uint64_t max_rounds = 0;  // > 0: stop after this many rounds as well (host tests)
    uint32_t items_per_worker = 4096;  // per round
    uint64_t seed = 1;
    CoreStressFault fault = CoreStressFault::none;
    // About once a second, with the counts so far (racy sums) and the time since the start.
    void (*progress)(void* context, const CoreStressCounts& so_far, uint64_t elapsed_ns) = nullptr;
    void* progress_context = nullptr;
    // Polled about ten times a second; true stops the run after the round in flight.
    bool (*cancelled)(void* context) = nullptr;
    void* cancel_context = nullptr;
};

// Runs the stress on the platform's workers and returns once every worker has returned and
// every object it allocated is freed. The calling thread coordinates (sleeps, reports).
CoreStressResult run_core_stress(const CoreStressOptions& options, const CoreStressPlatform& platform);

// "PASS" or "FAIL" and the reason of the first check that failed, for a verdict line.
const char* describe(const CoreStressResult& result);

}  // namespace workloads
