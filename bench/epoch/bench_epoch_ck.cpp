// Concurrency Kit's ck_epoch: per-thread records with an active flag and a local epoch; a
// writer advances the global epoch once every active record has observed it.
#include "epoch/ck_shim.h"
#include "epoch/epoch_shapes.h"
#include "epoch/registry.h"

extern "C" void bench_ck_node_freed(void)
{
    // release: pairs with the acquire load in bm_retire after drain().
    bench::g_retired_counters.freed.fetch_add(1, std::memory_order_release);
}

namespace bench {

namespace {

// ck allocates the node inside the shim (it has to name ck's entry type); the shape's
// make_node()/retire() pair collapses into one call, with the same malloc and free.
struct CkNodeToken { };

struct CkEpoch {
    static constexpr char const* name = "ck";

    static CkNodeToken* make_node() { return nullptr; }
    // 32 bits, as ck keeps it: the grace-period row subtracts modulo 2^32.
    static unsigned global_epoch() { return bench_ck_epoch(); }

    class Thread {
    public:
        Thread() : m_thread(bench_ck_thread_register()) { }
        ~Thread() { bench_ck_thread_unregister(m_thread); }
        Thread(Thread const&) = delete;
        Thread& operator=(Thread const&) = delete;

        void enter() { bench_ck_begin(m_thread); }
        void exit() { bench_ck_end(m_thread); }
        void quiescent() { }
        void retire(CkNodeToken*) { bench_ck_retire_new_node(m_thread); }
        // ck only dispatches callbacks when someone polls; this is its documented usage.
        void poll() { bench_ck_poll(m_thread); }
        void synchronize() { bench_ck_synchronize(m_thread); }
        // ck_epoch_barrier waits for a grace period and runs every pending callback.
        void drain() { bench_ck_barrier(m_thread); }

    private:
        bench_ck_thread* m_thread;
    };
};

}

void register_ck_benchmarks()
{
    bench_ck_init();
    register_epoch_benchmarks<CkEpoch>(false);
}

}
