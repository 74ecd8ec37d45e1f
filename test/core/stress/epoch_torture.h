// rcutorture-style pipeline, templated over the reclaimer (see reclaimers.h).
//
// The writer keeps replacing one shared pointer. The replaced object gets age 1 and is
// retired; every time the reclaimer reports a grace period for it, its age goes up by one
// and it is retired again, until kPipeLength, when it is poisoned and returned to a pool
// (never to malloc: a stale reader reads poison, not unmapped memory). Readers, inside a
// read-side section, load the pointer, check generation/payload/poison, linger (spin, and
// sometimes yield so sections span many writer steps), and check again. A reader that sees
// age > 1 held an object across a full grace period: the reclaimer is broken. Under TSan a
// broken reclaimer also shows up as a race on the plain payload field.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "stress/common.h"
#include "stress/reclaimers.h"

namespace core_stress {

struct TortureConfig {
    unsigned readers = 3;
    uint64_t updates = 100'000;  // writer steps, unless `seconds` > 0
    double seconds = 0;
    uint64_t seed = 1;
    uint32_t pool_size = 4096;
    bool mixed_reader_modes = true; // odd readers run online (QSBR) with quiescent() calls
    ProgressFn progress;
};

struct TortureResult {
    const char* reclaimer = "";
    uint64_t updates = 0;
    uint64_t reads = 0;
    uint32_t max_age_seen = 0;
    uint64_t age_violations = 0;   // a reader saw age > 1
    uint64_t poison_seen = 0;      // a reader saw a poisoned object
    uint64_t payload_mismatch = 0; // generation and payload disagree (object reused under us)
    uint64_t retired = 0;          // objects removed from the shared pointer
    uint64_t freed = 0;            // objects poisoned and back in the pool
    uint64_t grace_periods_seen = 0; // callbacks
    uint64_t epoch_advances = 0;   // reclaimer's own count (urcu: synchronize calls)
    uint64_t writer_waits = 0;     // pool empty, writer had to wait for reclamation
    bool drained = false;

    bool ok() const
    {
        return age_violations == 0 && poison_seen == 0 && payload_mismatch == 0 && drained && retired == freed;
    }
};

inline constexpr uint32_t kPipeLength = 4;

// The generation/payload fields are plain for reclaimers whose synchronisation TSan can
// see (ours), so a too-short grace period is a reported data race. liburcu is not built
// with TSan and its writer orders readers with sys_membarrier, which TSan cannot model;
// for it the fields are accessed as relaxed atomics (the value checks still apply).
template <bool Plain>
inline uint64_t read_field(const uint64_t& field)
{
    if constexpr (Plain)
        return field;
    else
        return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(field)).load(std::memory_order_relaxed);
}
template <bool Plain>
inline void write_field(uint64_t& field, uint64_t value)
{
    if constexpr (Plain)
        field = value;
    else
        std::atomic_ref<uint64_t>(field).store(value, std::memory_order_relaxed);
}
inline constexpr uint64_t kPoison = 0xdeaddeaddeaddeadull;
inline uint64_t payload_for(uint64_t generation) { return generation * 0x9e3779b97f4a7c15ull + 1; }

template <typename Reclaimer>
class Torture {
public:
    explicit Torture(const TortureConfig& config)
        : m_config(config)
        , m_reclaimer(config.readers)
        , m_pool(new TortureObject[config.pool_size])
    {
        for (uint32_t i = 0; i < config.pool_size; ++i)
            release_to_pool(&m_pool[i]);
    }

    TortureResult run()
    {
        TortureResult result;
        result.reclaimer = Reclaimer::kName;
        std::vector<std::thread> readers;
        for (unsigned i = 0; i < m_config.readers; ++i)
            readers.emplace_back([this, i] { reader(i); });

        writer(result);
        // relaxed: readers only poll it; their results are read after join().
        m_stop.store(true, std::memory_order_relaxed);
        for (auto& t : readers)
            t.join();

        result.reads = m_reads.load();
        result.max_age_seen = m_max_age.load();
        result.age_violations = m_age_violations.load();
        result.poison_seen = m_poison_seen.load();
        result.payload_mismatch = m_payload_mismatch.load();
        return result;
    }

private:
    static constexpr bool kPlain = Reclaimer::kTsanVisible;

    static void on_grace_period(TortureObject* object, void* context)
    {
        auto* self = static_cast<Torture*>(context);
        ++self->m_grace_periods;
        // relaxed: the age is read by readers only to detect a bug; the reclaimer's own
        // ordering is what is under test.
        uint32_t age = object->age.load(std::memory_order_relaxed) + 1;
        object->age.store(age, std::memory_order_relaxed);
        if (age < kPipeLength) {
            self->m_writer->retire(object);
            return;
        }
        write_field<kPlain>(object->payload, kPoison);
        object->poisoned.store(1, std::memory_order_relaxed);
        ++self->m_freed;
        self->release_to_pool(object);
    }

    void release_to_pool(TortureObject* object)
    {
        // FIFO so a freed object stays poisoned as long as possible before reuse.
        object->next_free = nullptr;
        if (m_pool_tail)
            m_pool_tail->next_free = object;
        else
            m_pool_head = object;
        m_pool_tail = object;
    }

    TortureObject* take_from_pool(typename Reclaimer::Writer& writer, TortureResult& result)
    {
        while (!m_pool_head) {
            ++result.writer_waits;
            writer.poll();
            if (!m_pool_head)
                std::this_thread::yield();
        }
        TortureObject* object = m_pool_head;
        m_pool_head = object->next_free;
        if (!m_pool_head)
            m_pool_tail = nullptr;
        return object;
    }

    TortureObject* fresh_object(typename Reclaimer::Writer& writer, TortureResult& result)
    {
        TortureObject* object = take_from_pool(writer, result);
        uint64_t generation = ++m_generation;
        write_field<kPlain>(object->generation, generation);
        write_field<kPlain>(object->payload, payload_for(generation));
        object->age.store(0, std::memory_order_relaxed);     // relaxed: published by the release below
        object->poisoned.store(0, std::memory_order_relaxed);
        return object;
    }

    void writer(TortureResult& result)
    {
        typename Reclaimer::Writer writer(m_reclaimer, &Torture::on_grace_period, this);
        m_writer = &writer;
        // release: publishes the object's fields to the readers' acquire load.
        m_current.store(fresh_object(writer, result), std::memory_order_release);

        // Every reader is reading before the first update, so the run tortures readers
        // whatever the host's scheduler does with the threads (a count, not a time: on a
        // busy host the writer alone could finish before a reader thread first ran).
        // acquire: pairs with the readers' release increments; nothing else rides on it.
        while (m_readers_reading.load(std::memory_order_acquire) < m_config.readers) {
            writer.poll();
            std::this_thread::yield();
        }
        Rng rng(mix_seed(m_config.seed, 0));
        auto start = Clock::now();
        auto next_report = start + std::chrono::seconds(1);
        for (uint64_t step = 0;; ++step) {
            if (m_config.seconds > 0) {
                if ((step & 255) == 0 && std::chrono::duration<double>(Clock::now() - start).count() >= m_config.seconds)
                    break;
            } else if (step >= m_config.updates) {
                break;
            }
            TortureObject* next = fresh_object(writer, result);
            TortureObject* old = m_current.load(std::memory_order_relaxed); // relaxed: only the writer stores it
            // release: as above (rcu_assign_pointer).
            m_current.store(next, std::memory_order_release);
            old->age.store(1, std::memory_order_relaxed);
            ++result.retired;
            writer.retire(old);
            writer.poll();
            ++result.updates;
            if (rng.below(64) == 0)
                std::this_thread::yield();
            if (m_config.progress && (step & 1023) == 0 && Clock::now() >= next_report) {
                next_report += std::chrono::seconds(1);
                char line[256];
                std::snprintf(line, sizeof line,
                    "epoch[%s]: %.0fs updates=%llu reads=%llu max_age=%u violations=%llu pending=%llu advances=%llu",
                    Reclaimer::kName, std::chrono::duration<double>(Clock::now() - start).count(),
                    (unsigned long long)result.updates, (unsigned long long)m_reads.load(std::memory_order_relaxed),
                    m_max_age.load(std::memory_order_relaxed),
                    (unsigned long long)m_age_violations.load(std::memory_order_relaxed),
                    (unsigned long long)writer.stats().pending, (unsigned long long)writer.stats().epoch_advances);
                m_config.progress(line);
            }
        }
        // Let readers finish before the last object goes, then drain everything.
        m_stop.store(true, std::memory_order_relaxed);
        while (m_readers_done.load(std::memory_order_acquire) < m_config.readers) {
            writer.poll();
            std::this_thread::yield();
        }
        TortureObject* last = m_current.exchange(nullptr, std::memory_order_acq_rel);
        last->age.store(1, std::memory_order_relaxed);
        ++result.retired;
        writer.retire(last);
        result.drained = writer.drain();
        result.freed = m_freed;
        result.grace_periods_seen = m_grace_periods;
        result.epoch_advances = writer.stats().epoch_advances;
        m_writer = nullptr;
    }

    void check(const TortureObject* object, uint32_t& age)
    {
        // relaxed: the reclaimer's ordering is under test, not these flags'.
        if (object->poisoned.load(std::memory_order_relaxed))
            m_poison_seen.fetch_add(1, std::memory_order_relaxed);
        // Plain reads: a broken reclaimer makes them race with the writer's reuse, which
        // TSan reports and the value check below catches without TSan.
        if (read_field<kPlain>(object->payload) != payload_for(read_field<kPlain>(object->generation)))
            m_payload_mismatch.fetch_add(1, std::memory_order_relaxed);
        age = object->age.load(std::memory_order_relaxed);
    }

    void publish_max_age(uint32_t age)
    {
        // relaxed: a statistic, read after join() (or approximately by the progress line).
        uint32_t seen = m_max_age.load(std::memory_order_relaxed);
        while (seen < age && !m_max_age.compare_exchange_weak(seen, age, std::memory_order_relaxed)) { }
    }

    void reader(unsigned index)
    {
        typename Reclaimer::Reader me(m_reclaimer, index);
        bool qsbr = m_config.mixed_reader_modes && (index & 1);
        if (qsbr)
            me.set_online(true);
        Rng rng(mix_seed(m_config.seed, index + 1));
        uint64_t reads = 0;
        uint32_t max_age = 0;
        while (!m_stop.load(std::memory_order_relaxed)) {
            me.lock();
            // acquire: pairs with the writer's release store (rcu_dereference).
            TortureObject* object = m_current.load(std::memory_order_acquire);
            if (object) {
                uint32_t age = 0;
                check(object, age);
                uint32_t linger = rng.below(64);
                for (uint32_t i = 0; i < linger; ++i)
                    core::platform::cpu_relax();
                if (rng.below(32) == 0)
                    std::this_thread::yield(); // a long section: the writer runs meanwhile
                check(object, age);
                max_age = std::max(max_age, age);
                if (age > 1)
                    m_age_violations.fetch_add(1, std::memory_order_relaxed);
            }
            me.unlock();
            if (reads == 0)
                m_readers_reading.fetch_add(1, std::memory_order_release); // release: see writer()
            if ((++reads & 1023) == 0) { // publish progress for the once-a-second line
                m_reads.fetch_add(1024, std::memory_order_relaxed);
                publish_max_age(max_age);
            }
            if (qsbr) {
                me.quiescent();
                if (rng.below(1024) == 0) { // idle for a moment: offline must not block
                    me.set_online(false);
                    std::this_thread::yield();
                    me.set_online(true);
                }
            }
        }
        if (qsbr)
            me.set_online(false);
        m_reads.fetch_add(reads & 1023, std::memory_order_relaxed);
        publish_max_age(max_age);
        // release: the writer's acquire load knows we hold no object any more.
        m_readers_done.fetch_add(1, std::memory_order_release);
    }

    const TortureConfig& m_config;
    Reclaimer m_reclaimer;
    std::unique_ptr<TortureObject[]> m_pool;
    TortureObject* m_pool_head = nullptr; // writer only
    TortureObject* m_pool_tail = nullptr;
    typename Reclaimer::Writer* m_writer = nullptr;
    uint64_t m_generation = 0;
    uint64_t m_freed = 0;
    uint64_t m_grace_periods = 0;
    std::atomic<TortureObject*> m_current { nullptr };
    std::atomic<bool> m_stop { false };
    std::atomic<unsigned> m_readers_done { 0 };
    std::atomic<unsigned> m_readers_reading { 0 }; // readers past their first read
    std::atomic<uint64_t> m_reads { 0 }, m_age_violations { 0 }, m_poison_seen { 0 }, m_payload_mismatch { 0 };
    std::atomic<uint32_t> m_max_age { 0 };
};

template <typename Reclaimer>
TortureResult run_torture(const TortureConfig& config)
{
    auto torture = std::make_unique<Torture<Reclaimer>>(config);
    return torture->run();
}

} // namespace core_stress
