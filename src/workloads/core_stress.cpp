#include "workloads/core_stress.h"

#include <atomic>
#include <cstdint>
#include <new>

#include "core/deque.h"
#include "core/epoch.h"
#include "core/inbox.h"
#include "core_platform.h"

namespace workloads {
namespace {

// Ids 0 .. workers-1 are the workers' epoch participants; the coordinator's cleaner takes
// the next one.
constexpr uint32_t kMaxWorkers = core::EpochDomain::kMaxParticipants - 1;
constexpr uint32_t kMinItemsPerWorker = 256;
constexpr size_t kFirstDequeCapacity = 2;  // so every round grows (and retires) buffers
constexpr uint32_t kInboxOneIn = 8;  // share of the items sent to another worker's inbox
constexpr uint64_t kCoordinatorStepNs = 100'000'000;
constexpr uint64_t kProgressEveryNs = 1'000'000'000;
// barrier() rounds a worker spends on its own garbage before leaving the rest to the
// domain's shared list (which the coordinator drains).
constexpr uint64_t kWorkerBarrierRounds = 4096;
constexpr uint32_t kCleanerRounds = 64;

constexpr uint64_t kLive = 0x4c49564553484152ull;  // "LIVESHAR"
constexpr uint64_t kPoison = 0xdeadbeefdeadbeefull;

// xorshift64*: cheap, per worker, reproducible from the seed.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed ? seed : 0x9e3779b97f4a7c15ull) {}
    uint64_t next() {
        m_state ^= m_state >> 12;
        m_state ^= m_state << 25;
        m_state ^= m_state >> 27;
        return m_state * 0x2545f4914f6cdd1dull;
    }
    uint32_t below(uint32_t n) { return uint32_t((next() >> 32) % n); }

private:
    uint64_t m_state;
};

uint64_t payload_of(uint64_t round, uint64_t index) {
    return (round + 1) * 0x9e3779b97f4a7c15ull ^ (index * 0xbf58476d1ce4e5b9ull + 7);
}
uint64_t check_of(uint64_t serial) { return serial * 0x94d049bb133111ebull + 1; }

// One piece of work. The plain fields are written by the pushing worker before the push
// and read by the consumer after it: the deque's release store of bottom / the inbox's
// release link store and the matching acquire loads order them (TSan checks that on the
// host, where a missing edge is a reported race).
struct Item : core::MpscNode {
    std::atomic<uint32_t> claims{0};
    uint32_t origin = 0;  // the worker that pushed or sent it
    uint64_t payload = 0;
    uint64_t inbox_seq = 0;  // sender's sequence number, for the per-sender FIFO check
};

class Stress;

// The epoch-protected object the workers replace and read. Retired ones are poisoned and
// parked on a spare list, never unmapped, so a too-early free shows as poison to a reader.
struct SharedObject {
    core::RetireNode retire_node;  // first member: the free function casts back from it
    uint64_t magic = kLive;
    uint64_t serial = 0;
    uint64_t check = 0;
    SharedObject* next_spare = nullptr;
    Stress* owner = nullptr;
};

// A per-worker statistic: one writer (its worker), racy readers (progress). relaxed: the
// final sums are read after the workers are joined, and the join orders them.
class Counter {
public:
    void add(uint64_t n) { m_value.store(m_value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    uint64_t get() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> m_value{0};
};

using Deque = core::WorkStealingDeque<Item>;
using DequeOwner = core::DequeOwner<Item>;

struct alignas(64) Worker {
    core::MpscInbox<Item> inbox;
    Counter pushed, sent, taken, stolen, batch_moved, received, lost_races, corrupted, out_of_order, push_failures,
        epoch_reads, epoch_replaced, poison_seen;
    // Private to the worker.
    uint32_t index = 0;
    uint64_t sent_seq = 0;
    uint64_t* last_seq_from = nullptr;  // [workers]: the newest inbox_seq received from each
};

enum class Path : uint8_t { own_deque, steal, inbox };

template <typename T>
T* allocate_array(size_t count) {
    void* memory = core::platform::alloc(sizeof(T) * count, alignof(T) > 16 ? alignof(T) : 16);
    if (!memory) return nullptr;
    T* array = static_cast<T*>(memory);
    for (size_t i = 0; i < count; ++i) new (&array[i]) T();
    return array;
}
template <typename T>
void free_array(T* array, size_t count) {
    if (!array) return;
    for (size_t i = 0; i < count; ++i) array[i].~T();
    core::platform::free(array);
}

class Stress {
public:
    Stress(const CoreStressOptions& options, const CoreStressPlatform& platform, uint32_t workers)
        : m_options(options), m_platform(platform), m_workers(workers) {}
    ~Stress() { release(); }
    Stress(const Stress&) = delete;
    Stress& operator=(const Stress&) = delete;

    // Everything a run needs, allocated before any worker starts. False: out of memory.
    bool allocate() {
        void* domain = core::platform::alloc(sizeof(core::EpochDomain), alignof(core::EpochDomain));
        if (!domain) return false;
        m_domain = new (domain) core::EpochDomain(m_workers + 1);
        m_worker = allocate_array<Worker>(m_workers);
        m_last_seq = allocate_array<uint64_t>(size_t(m_workers) * m_workers);
        void* deques = core::platform::alloc(sizeof(Deque) * m_workers, alignof(Deque) > 16 ? alignof(Deque) : 16);
        if (!m_worker || !m_last_seq || !deques) {
            core::platform::free(deques);
            return false;
        }
        m_deque = static_cast<Deque*>(deques);
        for (uint32_t i = 0; i < m_workers; ++i) new (&m_deque[i]) Deque(*m_domain, kFirstDequeCapacity);
        m_deques_built = true;
        for (uint32_t i = 0; i < m_workers; ++i) {
            m_worker[i].index = i;
            m_worker[i].last_seq_from = m_last_seq + size_t(i) * m_workers;
        }
        // Fewer items per worker rather than no run when memory is tight.
        for (m_per_worker = m_options.items_per_worker < kMinItemsPerWorker ? kMinItemsPerWorker
                                                                            : m_options.items_per_worker;
             m_per_worker >= kMinItemsPerWorker; m_per_worker /= 2) {
            m_item_count = size_t(m_workers) * m_per_worker;
            m_items = allocate_array<Item>(m_item_count);
            if (m_items) break;
        }
        if (!m_items) return false;
        m_spare_limit = 8 * uint64_t(m_workers) + 16;
        SharedObject* first = take_spare();
        if (!first) return false;
        publish_shared(first);
        return true;
    }

    // Lets the first `active` workers (those the platform started) begin round 0.
    void open_gate(uint32_t active) {
        m_active = active;
        // release: pairs with the acquire load in worker(): m_active and everything
        // allocate() built are visible to every worker before its first round.
        m_gate.store(true, std::memory_order_release);
    }
    void request_stop() {
        m_stop.store(true, std::memory_order_relaxed);  // relaxed: read at the next round end; a flag
    }
    bool all_workers_returned() const {
        // acquire: pairs with the release increment at the end of worker(); a hint for the
        // coordinator's loop, the platform's join is what orders the final reads.
        return m_returned.load(std::memory_order_acquire) == m_active;
    }

    static void worker_entry(void* arg, uint32_t index) { static_cast<Stress*>(arg)->worker(index); }

    CoreStressCounts counts() const {
        CoreStressCounts c;
        for (uint32_t i = 0; i < m_workers; ++i) {
            const Worker& w = m_worker[i];
            c.pushed += w.pushed.get();
            c.sent += w.sent.get();
            c.taken += w.taken.get();
            c.stolen += w.stolen.get();
            c.batch_moved += w.batch_moved.get();
            c.received += w.received.get();
            c.lost_races += w.lost_races.get();
            c.corrupted += w.corrupted.get();
            c.out_of_order += w.out_of_order.get();
            c.push_failures += w.push_failures.get();
            c.epoch_reads += w.epoch_reads.get();
            c.epoch_replaced += w.epoch_replaced.get();
            c.epoch_poison_seen += w.poison_seen.get();
        }
        // relaxed: written by one checker per round (ordered by the round barrier); racy
        // here only while the run goes on.
        c.rounds = m_rounds.load(std::memory_order_relaxed);
        c.lost = m_lost.load(std::memory_order_relaxed);
        c.duplicated = m_duplicated.load(std::memory_order_relaxed);
        c.corrupted += m_misplaced.load(std::memory_order_relaxed);
        const core::EpochStats epoch = m_domain->stats();
        c.epoch_advances = epoch.epoch_advances;
        c.retired = epoch.retired;
        c.freed = epoch.freed;
        return c;
    }

    // After the platform joined every worker: frees what the rounds retired and returns
    // the final counts.
    CoreStressCounts finish() {
        for (uint32_t i = 0; i < m_workers; ++i) m_deque[i].~Deque();  // retires the buffers
        m_deques_built = false;
        {
            // Nobody else is pinned now: each try_reclaim() advances the epoch, and two
            // advances free everything on the shared list.
            core::EpochParticipant cleaner(*m_domain, m_workers);
            for (uint32_t i = 0; i < kCleanerRounds && m_domain->stats().pending > 0; ++i) cleaner.try_reclaim();
        }
        return counts();
    }

private:
    void worker(uint32_t index) {
        // acquire: pairs with the release store in open_gate().
        while (!m_gate.load(std::memory_order_acquire)) m_platform.pause();
        Worker& me = m_worker[index];
        {
            core::EpochParticipant participant(*m_domain, index);
            Rng rng((m_options.seed + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t(index) + 1) * 0xbf58476d1ce4e5b9ull);
            for (uint64_t round = 0;; ++round) {
                run_round(me, participant, rng, round);
                if (!end_round(round)) break;
                participant.try_reclaim();
            }
            // Best effort: what is still pending goes to the shared list when `participant`
            // leaves, and finish() frees it.
            (void)participant.barrier(kWorkerBarrierRounds);
        }
        // release: pairs with the acquire load in all_workers_returned().
        m_returned.fetch_add(1, std::memory_order_release);
    }

    uint32_t random_other(Rng& rng, uint32_t me) {
        uint32_t other = rng.below(m_active - 1);
        return other >= me ? other + 1 : other;
    }

    void run_round(Worker& me, core::EpochParticipant& participant, Rng& rng, uint64_t round) {
        DequeOwner own = m_deque[me.index].owner();
        const size_t first = size_t(me.index) * m_per_worker;
        bool duplicate_pending = m_options.fault == CoreStressFault::duplicate_item && me.index == 0 && round == 0;
        uint32_t next = 0;
        for (uint64_t op = 0; next < m_per_worker; ++op) {
            const uint32_t choice = rng.below(100);
            if (choice < 50) {
                for (uint32_t burst = 1 + rng.below(16); burst > 0 && next < m_per_worker; --burst, ++next)
                    publish(me, own, rng, round, first + next);
            } else if (choice < 65) {
                if (Item* item = own.take()) {
                    consume(me, item, Path::own_deque, round);
                    if (duplicate_pending) {  // the deliberate break: the same item twice
                        consume(me, item, Path::own_deque, round);
                        duplicate_pending = false;
                    }
                }
            } else if (choice < 75) {
                if (Item* item = own.take_fifo()) consume(me, item, Path::own_deque, round);
            } else if (choice < 85) {
                if (Item* item = me.inbox.pop()) consume(me, item, Path::inbox, round);
            } else if (m_active > 1) {
                steal_one(me, own, participant, rng, round, choice >= 95);
            }
            if ((op & 31) == 0) epoch_step(me, participant, rng);
        }
        // release: pairs with the acquire load below by the other workers: every item we
        // pushed or sent (and linked into its inbox) is complete when they see our count.
        m_done_pushing.fetch_add(1, std::memory_order_release);
        drain(me, own, participant, rng, round);
    }

    void publish(Worker& me, DequeOwner& own, Rng& rng, uint64_t round, size_t index) {
        Item& item = m_items[index];
        item.payload = payload_of(round, index);
        item.origin = me.index;
        if (m_options.fault == CoreStressFault::lose_item && me.index == 0 && round == 0 && index == m_per_worker / 2) {
            me.pushed.add(1);  // the deliberate break: counted, never pushed
            return;
        }
        if (m_active > 1 && rng.below(kInboxOneIn) == 0) {
            item.inbox_seq = ++me.sent_seq;
            m_worker[random_other(rng, me.index)].inbox.push(&item);
            me.sent.add(1);
            return;
        }
        me.pushed.add(1);
        if (own.push(&item) != core::PushResult::ok) {
            // Growth failed: the item is still ours; consume it by hand so it is counted.
            me.push_failures.add(1);
            consume(me, &item, Path::own_deque, round);
        }
    }

    void steal_one(Worker& me, DequeOwner& own, core::EpochParticipant& participant, Rng& rng, uint64_t round,
                   bool batch) {
        const uint32_t victim = random_other(rng, me.index);
        core::EpochGuard section(participant);  // a replaced buffer stays valid while we look
        const core::DequeStealer<Item> stealer = m_deque[victim].stealer();
        if (batch) {
            me.batch_moved.add(stealer.steal_batch(own, 1 + rng.below(8)));
            return;
        }
        const core::StealResult<Item> r = stealer.steal();
        if (r.status == core::StealStatus::success)
            consume(me, r.item, Path::steal, round);
        else if (r.status == core::StealStatus::lost_race)
            me.lost_races.add(1);
    }

    // Takes what is left: our deque (only we push into it), our inbox, and the others'
    // deques while they still push. Ends when every worker has pushed everything and our
    // deque and inbox are empty, which they then stay.
    void drain(Worker& me, DequeOwner& own, core::EpochParticipant& participant, Rng& rng, uint64_t round) {
        for (uint64_t op = 1;; ++op) {
            if (Item* item = own.take()) {
                consume(me, item, Path::own_deque, round);
                continue;
            }
            if (Item* item = me.inbox.pop()) {
                consume(me, item, Path::inbox, round);
                continue;
            }
            // acquire: pairs with the release increments in run_round(): every push into
            // our inbox is linked, so one more pop decides.
            if (m_done_pushing.load(std::memory_order_acquire) == m_active) {
                Item* item = own.take();
                Path path = Path::own_deque;
                if (!item) {
                    item = me.inbox.pop();
                    path = Path::inbox;
                }
                if (!item) return;
                consume(me, item, path, round);
                continue;
            }
            if (m_active > 1) steal_one(me, own, participant, rng, round, false);
            if ((op & 31) == 0) {
                epoch_step(me, participant, rng);
                m_platform.pause();
            }
        }
    }

    void consume(Worker& me, Item* item, Path path, uint64_t round) {
        // An address outside the item array (a torn or stale slot) is counted, not followed.
        const uintptr_t address = reinterpret_cast<uintptr_t>(item);
        const uintptr_t base = reinterpret_cast<uintptr_t>(m_items);
        if (address < base || address >= base + m_item_count * sizeof(Item) || (address - base) % sizeof(Item) != 0) {
            me.corrupted.add(1);
            return;
        }
        const size_t index = (address - base) / sizeof(Item);
        if (item->payload != payload_of(round, index)) me.corrupted.add(1);
        // relaxed: the claim counts are read by the round's checker after the round barrier
        // (acq_rel arrivals), not used for ordering here.
        item->claims.fetch_add(1, std::memory_order_relaxed);
        switch (path) {
            case Path::own_deque:  // items a steal_batch moved to us came from another worker
                (item->origin == me.index ? me.taken : me.stolen).add(1);
                break;
            case Path::steal:
                me.stolen.add(1);
                break;
            case Path::inbox: {
                me.received.add(1);
                const uint32_t sender = item->origin < m_active ? item->origin : 0;
                if (item->inbox_seq <= me.last_seq_from[sender])
                    me.out_of_order.add(1);
                else
                    me.last_seq_from[sender] = item->inbox_seq;
                break;
            }
        }
    }

    // Reads the shared object inside a section; now and then replaces it and retires the
    // old one; reclaims.
    void epoch_step(Worker& me, core::EpochParticipant& participant, Rng& rng) {
        {
            core::EpochGuard section(participant);
            // acquire: pairs with the acq_rel exchange in publish_shared(): the fields of
            // the object are written before we can see it.
            const SharedObject* seen = m_shared.load(std::memory_order_acquire);
            me.epoch_reads.add(1);
            if (seen->magic != kLive || seen->check != check_of(seen->serial)) me.poison_seen.add(1);
        }
        if (rng.below(4) == 0) {
            if (SharedObject* fresh = take_spare()) {
                if (SharedObject* old = publish_shared(fresh)) {
                    participant.retire(&old->retire_node, &bury);
                    me.epoch_replaced.add(1);
                }
            }
        }
        participant.try_reclaim();
    }

    // Makes `fresh` the shared object; returns the one it replaced (now unlinked).
    SharedObject* publish_shared(SharedObject* fresh) {
        // relaxed: a unique number is all that is needed.
        fresh->serial = m_next_serial.fetch_add(1, std::memory_order_relaxed);
        fresh->check = check_of(fresh->serial);
        fresh->magic = kLive;
        // acq_rel: release publishes the fields above to the readers' acquire load;
        // acquire makes the old object's fields (written by its publisher) ours to retire.
        return m_shared.exchange(fresh, std::memory_order_acq_rel);
    }

    // The free function of a retired SharedObject: its grace period is over, so nobody can
    // read it any more. Poison it (a reader that still could would see it) and keep it.
    static void bury(core::RetireNode* node) {
        SharedObject* object = reinterpret_cast<SharedObject*>(node);
        object->magic = kPoison;
        object->check = 0;
        object->owner->push_spare(object);
    }

    // Spare objects: a Treiber stack with push and take-all only (no single pop), so a node
    // that leaves and comes back cannot fool a CAS (no ABA).
    void push_spare(SharedObject* object) { push_spares(object, object); }
    void push_spares(SharedObject* first, SharedObject* last) {
        SharedObject* head = m_spares.load(std::memory_order_relaxed);  // relaxed: the CAS re-reads it
        do {
            last->next_spare = head;
            // release: pairs with the acquire exchange in take_spare(): the poison and the
            // links are visible to whoever takes the chain.
        } while (!m_spares.compare_exchange_weak(head, first, std::memory_order_release, std::memory_order_relaxed));
    }
    SharedObject* take_spare() {
        // acquire: pairs with the release CAS in push_spares().
        SharedObject* chain = m_spares.exchange(nullptr, std::memory_order_acquire);
        if (chain) {
            SharedObject* rest = chain->next_spare;
            if (rest) {
                SharedObject* last = rest;
                while (last->next_spare) last = last->next_spare;
                push_spares(rest, last);
            }
            return chain;
        }
        // relaxed: a bound on memory, not an ordering point.
        if (m_spares_allocated.fetch_add(1, std::memory_order_relaxed) >= m_spare_limit) {
            m_spares_allocated.fetch_sub(1, std::memory_order_relaxed);
            return nullptr;
        }
        void* memory = core::platform::alloc(sizeof(SharedObject), alignof(SharedObject));
        if (!memory) {
            m_spares_allocated.fetch_sub(1, std::memory_order_relaxed);
            return nullptr;
        }
        SharedObject* object = new (memory) SharedObject();
        object->owner = this;
        return object;
    }

    // The round barrier. The last worker to arrive checks the round and opens the next one.
    // Returns false after the last round.
    bool end_round(uint64_t round) {
        // acq_rel: release publishes our claims and counters; the last arriver's acquire
        // sees every earlier arrival's (the increments form one release sequence).
        if (m_arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == m_active) {
            check_round(round);
            m_arrived.store(0, std::memory_order_relaxed);  // published by the release store below
            m_done_pushing.store(0, std::memory_order_relaxed);  // likewise
            const uint64_t rounds = round + 1;
            // relaxed: m_stop is a flag; seeing it one round late is fine.
            m_last_round = m_stop.load(std::memory_order_relaxed) ||
                           (m_options.max_rounds > 0 && rounds >= m_options.max_rounds) || !renew_deques();
            // release: pairs with the acquire load below: the checked claims, the fresh
            // deques, the reset counters and m_last_round are visible to every worker.
            m_round.store(rounds, std::memory_order_release);
        } else {
            while (m_round.load(std::memory_order_acquire) == round) m_platform.pause();  // acquire: as above
        }
        return !m_last_round;
    }

    void check_round(uint64_t round) {
        uint64_t lost = 0, duplicated = 0, misplaced = 0;
        for (size_t i = 0; i < size_t(m_active) * m_per_worker; ++i) {
            // relaxed: ordered by the barrier (see end_round).
            const uint32_t claims = m_items[i].claims.load(std::memory_order_relaxed);
            if (claims == 0) ++lost;
            if (claims > 1) duplicated += claims - 1;
            if (claims > 0 && m_items[i].payload != payload_of(round, i)) ++misplaced;
            m_items[i].claims.store(0, std::memory_order_relaxed);
        }
        // relaxed: one checker per round, ordered by the barrier; racy readers for progress.
        m_lost.fetch_add(lost, std::memory_order_relaxed);
        m_duplicated.fetch_add(duplicated, std::memory_order_relaxed);
        m_misplaced.fetch_add(misplaced, std::memory_order_relaxed);
        m_rounds.fetch_add(1, std::memory_order_relaxed);
    }

    // Every worker waits at the barrier: no deque operation runs. A fresh deque per round
    // starts small again, so growth (and buffer retirement) happens in every round.
    bool renew_deques() {
        for (uint32_t i = 0; i < m_active; ++i) {
            m_deque[i].~Deque();  // retires its buffer through the domain
            new (&m_deque[i]) Deque(*m_domain, kFirstDequeCapacity);
        }
        return true;
    }

    void release() {
        if (m_deques_built)
            for (uint32_t i = 0; i < m_workers; ++i) m_deque[i].~Deque();
        core::platform::free(m_deque);
        // The spares, then the current object: nothing can read them any more.
        for (SharedObject* s = m_spares.exchange(nullptr, std::memory_order_relaxed); s;) {
            SharedObject* next = s->next_spare;
            core::platform::free(s);
            s = next;
        }
        if (SharedObject* current = m_shared.exchange(nullptr, std::memory_order_relaxed))
            core::platform::free(current);
        free_array(m_items, m_item_count);
        free_array(m_last_seq, size_t(m_workers) * m_workers);
        free_array(m_worker, m_workers);
        if (m_domain) {
            m_domain->~EpochDomain();  // frees what is left on its shared list
            core::platform::free(m_domain);
        }
    }

    const CoreStressOptions& m_options;
    const CoreStressPlatform& m_platform;
    const uint32_t m_workers;  // slots allocated
    uint32_t m_active = 0;  // workers started (set before the gate opens)
    uint32_t m_per_worker = 0;
    size_t m_item_count = 0;
    core::EpochDomain* m_domain = nullptr;
    Worker* m_worker = nullptr;
    uint64_t* m_last_seq = nullptr;
    Deque* m_deque = nullptr;
    bool m_deques_built = false;
    Item* m_items = nullptr;
    uint64_t m_spare_limit = 0;
    bool m_last_round = false;  // written by a round's checker before its release of m_round

    alignas(64) std::atomic<bool> m_gate{false};
    std::atomic<bool> m_stop{false};
    std::atomic<uint32_t> m_returned{0};
    alignas(64) std::atomic<uint32_t> m_arrived{0};
    std::atomic<uint32_t> m_done_pushing{0};
    std::atomic<uint64_t> m_round{0};
    alignas(64) std::atomic<SharedObject*> m_shared{nullptr};
    std::atomic<uint64_t> m_next_serial{1};
    alignas(64) std::atomic<SharedObject*> m_spares{nullptr};
    std::atomic<uint64_t> m_spares_allocated{0};
    alignas(64) std::atomic<uint64_t> m_rounds{0}, m_lost{0}, m_duplicated{0}, m_misplaced{0};
};

}  // namespace

bool CoreStressResult::passed() const {
    const CoreStressCounts& c = counts;
    return error == CoreStressError::none && c.rounds > 0 && c.lost == 0 && c.duplicated == 0 && c.corrupted == 0 &&
           c.out_of_order == 0 && c.epoch_poison_seen == 0 && c.pushed + c.sent == c.consumed() && c.retired == c.freed;
}

const char* describe(const CoreStressResult& result) {
    const CoreStressCounts& c = result.counts;
    if (result.error == CoreStressError::out_of_memory) return "FAIL (out of memory before the start)";
    if (result.error == CoreStressError::no_workers) return "FAIL (no worker could be started)";
    if (c.rounds == 0) return "FAIL (no round completed)";
    if (c.lost) return "FAIL (items lost)";
    if (c.duplicated) return "FAIL (items taken twice)";
    if (c.corrupted) return "FAIL (corrupted items)";
    if (c.out_of_order) return "FAIL (inbox order broken)";
    if (c.epoch_poison_seen) return "FAIL (a reader saw a freed object)";
    if (c.pushed + c.sent != c.consumed()) return "FAIL (pushed + sent != consumed)";
    if (c.retired != c.freed) return "FAIL (retired objects not freed)";
    return "PASS";
}

CoreStressResult run_core_stress(const CoreStressOptions& options, const CoreStressPlatform& platform) {
    CoreStressResult result;
    uint32_t workers = platform.worker_count(platform.context);
    if (workers > kMaxWorkers) workers = kMaxWorkers;
    if (workers == 0) {
        result.error = CoreStressError::no_workers;
        return result;
    }
    void* memory = core::platform::alloc(sizeof(Stress), alignof(Stress));
    if (!memory) {
        result.error = CoreStressError::out_of_memory;
        return result;
    }
    Stress* stress = new (memory) Stress(options, platform, workers);
    if (!stress->allocate()) {
        stress->~Stress();
        core::platform::free(memory);
        result.error = CoreStressError::out_of_memory;
        return result;
    }
    const uint64_t start_ns = platform.now_ns();
    uint32_t started = 0;
    while (started < workers && platform.start_worker(platform.context, started, &Stress::worker_entry, stress))
        ++started;
    result.workers = started;
    if (started == 0) {
        result.error = CoreStressError::no_workers;
    } else {
        stress->open_gate(started);
        uint64_t next_progress_ns = start_ns + kProgressEveryNs;
        bool stopping = false;
        while (!stress->all_workers_returned()) {
            platform.sleep_ns(kCoordinatorStepNs);
            const uint64_t now_ns = platform.now_ns();
            if (!stopping && options.cancelled && options.cancelled(options.cancel_context)) {
                result.cancelled = true;
                stopping = true;
            }
            if (!stopping && now_ns - start_ns >= options.seconds * 1'000'000'000ull) stopping = true;
            if (stopping) stress->request_stop();
            if (!stopping && options.progress && now_ns >= next_progress_ns) {
                next_progress_ns += kProgressEveryNs;
                options.progress(options.progress_context, stress->counts(), now_ns - start_ns);
            }
        }
    }
    platform.join_workers(platform.context);
    result.elapsed_ns = platform.now_ns() - start_ns;
    if (started > 0) result.counts = stress->finish();
    stress->~Stress();
    core::platform::free(memory);
    return result;
}

}  // namespace workloads
