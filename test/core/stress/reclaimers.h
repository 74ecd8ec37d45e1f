// The reclaimers the epoch torture runs against, behind one small interface:
//   Reclaimer(unsigned readers)
//   Reclaimer::Reader(reclaimer, index): lock(), unlock(), quiescent(), set_online(bool)
//   Reclaimer::Writer(reclaimer, on_grace_period): retire(obj), poll(), drain(), stats()
// on_grace_period(obj) runs on the writer thread once no reader can hold obj; it may
// retire obj again (the torture does, to count grace periods).
//
// CoreReclaimer is ours (retire + try_reclaim; CoreSynchronizeReclaimer batches and calls
// synchronize() instead, as the urcu-memb writer does); UrcuMembReclaimer (liburcu, urcu-memb flavour) is the oracle;
// BrokenReclaimer hands objects back at once and exists to prove the torture can fail.
#pragma once
#include <cstdint>
#include <vector>

#include <urcu/urcu-memb.h>

#include "core/epoch.h"

namespace core_stress {

struct TortureObject {
    core::RetireNode retire_node;
    uint64_t generation = 0;            // plain: written before publication
    uint64_t payload = 0;               // plain: payload_for(generation), poisoned on free
    std::atomic<uint32_t> age { 0 };    // 0 current, 1 removed, +1 per grace period
    std::atomic<uint32_t> poisoned { 0 };
    TortureObject* next_free = nullptr; // pool link, writer only
};

using GracePeriodFn = void (*)(TortureObject*, void* context);

struct ReclaimerStats {
    uint64_t epoch_advances = 0;
    uint64_t pending = 0;
};

// OnlineWriter: the writer is an online (QSBR) participant, as a kernel CPU is when it
// retires a dead task: its retires are stamped by the pinned path (pinned epoch + 1, no
// fence); otherwise it is offline and they take the fenced path.
// SynchronizeWriter: the writer never calls retire(); it keeps removed objects in a batch
// and hands the whole batch back after one synchronize() (the urcu-memb writer below does
// the same with synchronize_rcu()), so the torture checks synchronize()'s grace period.
// FullFencePins: every participant pins with a full fence (set_full_fence_pins()), so the
// advances use a plain fence, not membarrier, even where the process registered it.
template <bool OnlineWriter, bool SynchronizeWriter = false, bool FullFencePins = false>
class CoreReclaimerOf {
public:
    static constexpr const char* kName = FullFencePins       ? "core-full-fence-pins"
                                         : SynchronizeWriter ? (OnlineWriter ? "core-synchronize-online" : "core-synchronize")
                                         : OnlineWriter      ? "core-online-writer"
                                                             : "core";
    static constexpr bool kTsanVisible = true;
    explicit CoreReclaimerOf(unsigned readers)
        : m_domain(readers + 1)
    {
    }

    class Reader {
    public:
        Reader(CoreReclaimerOf& reclaimer, unsigned index)
            : m_participant(reclaimer.m_domain, index + 1)
        {
            if (FullFencePins)
                m_participant.set_full_fence_pins(true);
        }
        void lock() { m_participant.enter(); }
        void unlock() { m_participant.exit(); }
        void quiescent() { m_participant.quiescent(); }
        void set_online(bool online)
        {
            if (online)
                m_participant.go_online();
            else
                m_participant.go_offline();
        }

    private:
        core::EpochParticipant m_participant;
    };

    class Writer {
    public:
        Writer(CoreReclaimerOf& reclaimer, GracePeriodFn fn, void* context)
            : m_participant(reclaimer.m_domain, 0)
            , m_fn(fn)
            , m_context(context)
        {
            s_current = this;
            if (FullFencePins)
                m_participant.set_full_fence_pins(true);
            if (OnlineWriter)
                m_participant.go_online();
        }
        ~Writer()
        {
            m_participant.go_offline();
            s_current = nullptr;
        }
        void retire(TortureObject* object)
        {
            if constexpr (SynchronizeWriter)
                m_batch.push_back(object);
            else
                m_participant.retire(&object->retire_node, &Writer::trampoline);
        }
        void poll()
        {
            m_participant.quiescent(); // an online writer holds nothing between its steps
            if constexpr (SynchronizeWriter) {
                if (m_batch.size() >= kBatch)
                    grace_period();
            } else {
                m_participant.try_reclaim();
            }
        }
        bool drain()
        {
            if constexpr (SynchronizeWriter) {
                while (!m_batch.empty())
                    if (!grace_period())
                        return false;
                return true;
            } else {
                return m_participant.barrier() == core::BarrierStatus::completed;
            }
        }
        ReclaimerStats stats() const
        {
            core::EpochStats st = m_participant.domain().stats();
            return { st.epoch_advances, SynchronizeWriter ? m_batch.size() : st.pending };
        }

    private:
        // As the urcu-memb writer below: a grace period per 256 removed objects. Each
        // synchronize() waits for every reader section open at the call, and on a loaded
        // host a reader can be descheduled inside one, so fewer, larger batches keep the
        // run short (at load 19, batches of 64 over 200k updates took 130-150 s).
        static constexpr size_t kBatch = 256;
        // One synchronize(), then the batch taken before it is safe; fn may retire objects
        // again (into the next batch).
        bool grace_period()
        {
            std::vector<TortureObject*> batch;
            batch.swap(m_batch);
            if (m_participant.synchronize() != core::BarrierStatus::completed) {
                m_batch.swap(batch); // keep it: drain() reports the failure, nothing is freed early
                return false;
            }
            for (TortureObject* object : batch)
                m_fn(object, m_context);
            return true;
        }
        std::vector<TortureObject*> m_batch;
        // free_fn has no context argument; the writer is the only thread that frees.
        static void trampoline(core::RetireNode* node)
        {
            auto* object = reinterpret_cast<TortureObject*>(node); // retire_node is the first member
            s_current->m_fn(object, s_current->m_context);
        }
        static inline thread_local Writer* s_current = nullptr;
        core::EpochParticipant m_participant;
        GracePeriodFn m_fn;
        void* m_context;
    };

private:
    core::EpochDomain m_domain;
};
using CoreReclaimer = CoreReclaimerOf<false>;
using CoreOnlineWriterReclaimer = CoreReclaimerOf<true>;
using CoreSynchronizeReclaimer = CoreReclaimerOf<false, true>;
using CoreSynchronizeOnlineReclaimer = CoreReclaimerOf<true, true>;
using CoreFullFencePinsReclaimer = CoreReclaimerOf<false, false, true>;

// liburcu's urcu-memb: readers register and use read_lock/unlock; the writer batches
// removed objects and calls synchronize_rcu(), after which the whole batch is safe.
class UrcuMembReclaimer {
public:
    static constexpr const char* kName = "urcu-memb";
    static constexpr bool kTsanVisible = false; // uninstrumented library, membarrier()
    explicit UrcuMembReclaimer(unsigned) { }

    class Reader {
    public:
        Reader(UrcuMembReclaimer&, unsigned) { urcu_memb_register_thread(); }
        ~Reader() { urcu_memb_unregister_thread(); }
        void lock() { urcu_memb_read_lock(); }
        void unlock() { urcu_memb_read_unlock(); }
        void quiescent() { }
        void set_online(bool) { }
    };

    class Writer {
    public:
        Writer(UrcuMembReclaimer&, GracePeriodFn fn, void* context)
            : m_fn(fn)
            , m_context(context)
        {
        }
        void retire(TortureObject* object) { m_pending.push_back(object); }
        void poll()
        {
            if (m_pending.size() >= 256)
                grace_period();
        }
        bool drain()
        {
            while (!m_pending.empty())
                grace_period();
            return true;
        }
        ReclaimerStats stats() const { return { m_grace_periods, m_pending.size() }; }

    private:
        void grace_period()
        {
            std::vector<TortureObject*> batch;
            batch.swap(m_pending);
            urcu_memb_synchronize_rcu();
            ++m_grace_periods;
            for (TortureObject* object : batch)
                m_fn(object, m_context); // may retire again into m_pending
        }
        std::vector<TortureObject*> m_pending;
        GracePeriodFn m_fn;
        void* m_context;
        uint64_t m_grace_periods = 0;
    };
};

// Deliberately wrong: "grace period" is over at once. Only for proving the torture fails.
class BrokenReclaimer {
public:
    static constexpr const char* kName = "broken";
    static constexpr bool kTsanVisible = false; // its races are the point; checked by value
    explicit BrokenReclaimer(unsigned) { }
    class Reader {
    public:
        Reader(BrokenReclaimer&, unsigned) { }
        void lock() { }
        void unlock() { }
        void quiescent() { }
        void set_online(bool) { }
    };
    class Writer {
    public:
        Writer(BrokenReclaimer&, GracePeriodFn fn, void* context)
            : m_fn(fn)
            , m_context(context)
        {
        }
        void retire(TortureObject* object) { m_pending.push_back(object); }
        void poll()
        {
            std::vector<TortureObject*> batch;
            batch.swap(m_pending);
            for (TortureObject* object : batch)
                m_fn(object, m_context);
        }
        bool drain()
        {
            while (!m_pending.empty())
                poll();
            return true;
        }
        ReclaimerStats stats() const { return { 0, m_pending.size() }; }

    private:
        std::vector<TortureObject*> m_pending;
        GracePeriodFn m_fn;
        void* m_context;
    };
};

} // namespace core_stress
