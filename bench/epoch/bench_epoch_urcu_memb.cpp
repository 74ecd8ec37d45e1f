// liburcu's "memb" flavour: readers are a per-thread nesting counter; with sys_membarrier the
// read side needs no fence, the writer pays for it. _LGPL_SOURCE inlines the read side, which
// is how liburcu documents its fast path.
#define _LGPL_SOURCE 1
#include <urcu/urcu-memb.h>

#include "epoch/epoch_shapes.h"
#include "epoch/registry.h"

namespace bench {

namespace {

struct UrcuMembNode {
    rcu_head head;
    std::uint64_t payload;
};

void free_urcu_memb_node(rcu_head* head)
{
    delete caa_container_of(head, UrcuMembNode, head);
    // release: pairs with the acquire load in bm_retire after drain().
    g_retired_counters.freed.fetch_add(1, std::memory_order_release);
}

struct UrcuMemb {
    static constexpr char const* name = "urcu_memb";

    static UrcuMembNode* make_node() { return new UrcuMembNode {}; }

    class Thread {
    public:
        Thread() { urcu_memb_register_thread(); }
        ~Thread() { urcu_memb_unregister_thread(); }
        Thread(Thread const&) = delete;
        Thread& operator=(Thread const&) = delete;

        void enter() { urcu_memb_read_lock(); }
        void exit() { urcu_memb_read_unlock(); }
        void quiescent() { }
        void retire(UrcuMembNode* node) { urcu_memb_call_rcu(&node->head, free_urcu_memb_node); }
        void poll() { }
        void synchronize() { urcu_memb_synchronize_rcu(); }
        // rcu_barrier waits until every callback queued so far has run.
        void drain() { urcu_memb_barrier(); }
    };
};

}

void register_urcu_memb_benchmarks() { register_epoch_benchmarks<UrcuMemb>(false); }

}
