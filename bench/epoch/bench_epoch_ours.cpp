// Our epoch reclamation (src/core/epoch.h), in both of its modes, each with both fence
// schemes (src/core/platform/host/core_platform.h):
//   ours       EBR: participants stay offline; enter() pins (store + compiler barrier; the
//              reclaimer issues membarrier), the outermost exit() unpins. Compared with
//              urcu_memb and ck.
//   ours_qsbr  QSBR: participants go online; a read is marked with enter_online()/
//              exit_online(), which cost nothing in a release build (urcu-qsbr's
//              rcu_read_lock() is empty too), and quiescent() re-announces the epoch.
//              Compared with urcu_qsbr. BM_epoch_enter_exit/ours_qsbr_counted measures
//              the general enter()/exit() of an online participant (a nesting count).
//   ours_fences, ours_qsbr_fences: the same with a full fence on both sides (the fallback
//              when membarrier is missing), side by side in the same run.
// Each benchmark thread selects its scheme when it is created; no participant is pinned
// then (the previous benchmark's threads have gone offline), as the switch requires.
// The domain is sized to the threads the benchmarks use, as the kernel sizes it to its CPUs:
// try_advance() scans every slot up to that limit.
#include "core/epoch.h"
#include "epoch/epoch_shapes.h"
#include "epoch/registry.h"

#include <cstdlib>
#include <optional>

namespace bench {

namespace {

constexpr std::uint32_t kParticipantSlots = 4;

core::EpochDomain& domain()
{
    static core::EpochDomain instance(kParticipantSlots);
    return instance;
}

struct OursNode {
    core::RetireNode link;
    std::uint64_t payload;
};

void free_ours_node(core::RetireNode* link)
{
    // link is the first member: the node starts where its link does.
    delete reinterpret_cast<OursNode*>(link);
    // release: pairs with the acquire load in bm_retire after drain().
    g_retired_counters.freed.fetch_add(1, std::memory_order_release);
}

// AdvanceInterval: EpochParticipant::set_advance_interval() (1, the default: every poll
// attempts an advance; the retire rows also run with 256, i.e. one heavy fence per four of
// the benchmark's polls, under the names *_interval256).
template<bool Qsbr, bool Asymmetric, std::uint32_t AdvanceInterval = 1>
struct Ours {
    static constexpr char const* name = AdvanceInterval != 1
        ? (Qsbr ? (Asymmetric ? "ours_qsbr_interval256" : "ours_qsbr_fences_interval256")
                : (Asymmetric ? "ours_interval256" : "ours_fences_interval256"))
        : (Qsbr ? (Asymmetric ? "ours_qsbr" : "ours_qsbr_fences") : (Asymmetric ? "ours" : "ours_fences"));
    static_assert(AdvanceInterval == 1 || AdvanceInterval == 256, "name the interval");

    static OursNode* make_node() { return new OursNode {}; }
    static std::uint64_t global_epoch() { return domain().epoch(); }

    class Thread {
    public:
        Thread()
        {
            // Without membarrier both variants run with fences (the rows then say so twice).
            core::platform::set_asymmetric_fences(Asymmetric);
            // Ids are dense slots; take the first free one.
            for (std::uint32_t id = 0; id < kParticipantSlots; ++id) {
                if (core::EpochParticipant::try_register(m_self, domain(), id) == core::RegisterStatus::ok)
                    break;
            }
            if (!m_self)
                std::abort(); // more benchmark threads than slots: a bug in this file
            m_self->set_advance_interval(AdvanceInterval);
            if (Qsbr)
                m_self->go_online();
        }
        ~Thread()
        {
            wait_until_freed();
            m_self->go_offline();
        }
        Thread(Thread const&) = delete;
        Thread& operator=(Thread const&) = delete;

        void enter()
        {
            if (Qsbr)
                m_self->enter_online();
            else
                m_self->enter();
        }
        void exit()
        {
            if (Qsbr)
                m_self->exit_online();
            else
                m_self->exit();
        }
        core::EpochParticipant& participant() { return *m_self; }
        void quiescent() { m_self->quiescent(); }
        void retire(OursNode* node) { m_self->retire(&node->link, free_ours_node); }
        void poll()
        {
            m_self->quiescent();
            m_self->try_reclaim();
        }
        void synchronize()
        {
            // No round limit: the benchmark measures the wait, however long it is.
            if (m_self->synchronize(UINT64_MAX) != core::BarrierStatus::completed)
                std::abort(); // in_section: called inside a section, a bug in this file
        }
        void drain() { wait_until_freed(); }

    private:
        // The benchmarks measure the wait, however long it is: a reader descheduled by the
        // loaded host is a slow grace period, not a failure, so no round limit.
        void wait_until_freed()
        {
            if (m_self->barrier(UINT64_MAX) != core::BarrierStatus::completed)
                std::abort(); // in_section: called inside a section, a bug in this file
        }

        std::optional<core::EpochParticipant> m_self;
    };
};

}

// The allocator's share of every retire row: the same new and delete of the same node,
// with no reclamation scheme around them (the retire rows poll and free in batches of
// kPollInterval; this frees at once, so it is a lower bound of that share).
void bm_new_delete_only(benchmark::State& state)
{
    pin_current_thread(0);
    for (auto _ : state) {
        OursNode* node = new OursNode {};
        benchmark::DoNotOptimize(node);
        delete node;
    }
    state.SetItemsProcessed(state.iterations());
}

// The floor of any EBR read side with a re-checked pin under asymmetric fences, measured
// the way BM_epoch_enter_exit measures the schemes: load G, store the announcement (release),
// compiler barrier, load G again and compare, then store 0 (release); no nesting counter,
// no fence-mode test, no participant object. Not a usable scheme (no nesting, no scanner
// pairs with it): the bound the EBR rows are read against in docs/benchmarks.md.
void bm_pin_floor(benchmark::State& state)
{
    pin_current_thread(0);
    alignas(64) static std::atomic<std::uint64_t> global { 2 };
    alignas(64) static std::atomic<std::uint64_t> announced { 0 };
    for (auto _ : state) {
        // acquire / release: the same orders as EpochParticipant::pin() and unpin().
        std::uint64_t e = global.load(std::memory_order_acquire);
        announced.store(e, std::memory_order_release);
        std::atomic_signal_fence(std::memory_order_seq_cst);
        if (global.load(std::memory_order_acquire) != e)
            std::abort(); // nobody advances this G
        benchmark::ClobberMemory();
        announced.store(0, std::memory_order_release);
    }
    state.SetItemsProcessed(state.iterations());
}

// An online participant's general section: enter()/exit() count the nesting, which the
// QSBR rows' enter_online()/exit_online() do not need.
void bm_qsbr_enter_exit_counted(benchmark::State& state)
{
    pin_current_thread(0);
    Ours<true, true>::Thread self;
    core::EpochParticipant& participant = self.participant();
    for (auto _ : state) {
        participant.enter();
        benchmark::ClobberMemory();
        participant.exit();
    }
    state.SetItemsProcessed(state.iterations());
}

void register_ours_epoch_benchmarks()
{
    benchmark::RegisterBenchmark("BM_epoch_enter_exit/ours_qsbr_counted", bm_qsbr_enter_exit_counted);
    benchmark::RegisterBenchmark("BM_alloc/new_delete_only", bm_new_delete_only);
    benchmark::RegisterBenchmark("BM_bound/ebr_pin_unpin_only", bm_pin_floor);
    register_epoch_benchmarks<Ours<false, true>>(false);
    register_epoch_benchmarks<Ours<true, true>>(true);
    register_epoch_benchmarks<Ours<false, false>>(false);
    register_epoch_benchmarks<Ours<true, false>>(true);
    // Only retire depends on the advance interval.
    benchmark::RegisterBenchmark("BM_epoch_retire/ours_interval256", bm_retire<Ours<false, true, 256>>);
    benchmark::RegisterBenchmark("BM_epoch_retire/ours_qsbr_interval256", bm_retire<Ours<true, true, 256>>);
    benchmark::RegisterBenchmark("BM_epoch_retire/ours_fences_interval256", bm_retire<Ours<false, false, 256>>);
}

}
