// liburcu's "qsbr" flavour: read-side lock/unlock compile to nothing; instead every registered
// thread must announce quiescent states, and the writer waits for each to do so.
#define _LGPL_SOURCE 1
#include <urcu/urcu-qsbr.h>

#include "epoch/epoch_shapes.h"
#include "epoch/registry.h"

namespace bench {

namespace {

struct UrcuQsbrNode {
    rcu_head head;
    std::uint64_t payload;
};

void free_urcu_qsbr_node(rcu_head* head)
{
    delete caa_container_of(head, UrcuQsbrNode, head);
    // release: pairs with the acquire load in bm_retire after drain().
    g_retired_counters.freed.fetch_add(1, std::memory_order_release);
}

struct UrcuQsbr {
    static constexpr char const* name = "urcu_qsbr";

    static UrcuQsbrNode* make_node() { return new UrcuQsbrNode {}; }

    class Thread {
    public:
        Thread() { urcu_qsbr_register_thread(); }
        ~Thread() { urcu_qsbr_unregister_thread(); }
        Thread(Thread const&) = delete;
        Thread& operator=(Thread const&) = delete;

        void enter() { urcu_qsbr_read_lock(); }
        void exit() { urcu_qsbr_read_unlock(); }
        void quiescent() { urcu_qsbr_quiescent_state(); }
        void retire(UrcuQsbrNode* node) { urcu_qsbr_call_rcu(&node->head, free_urcu_qsbr_node); }
        // The call_rcu thread can only finish a grace period once we have been quiescent.
        void poll() { urcu_qsbr_quiescent_state(); }
        void synchronize() { urcu_qsbr_synchronize_rcu(); }
        // An online qsbr thread waiting in rcu_barrier would stall its own grace period.
        void drain()
        {
            urcu_qsbr_thread_offline();
            urcu_qsbr_barrier();
            urcu_qsbr_thread_online();
        }
    };
};

}

void register_urcu_qsbr_benchmarks() { register_epoch_benchmarks<UrcuQsbr>(true); }

}
