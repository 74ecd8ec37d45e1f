// Explicit instantiations of the core templates with a stand-in task type, so that every
// kernel build compiles the whole of deque.h, epoch.h and inbox.h with the kernel's flags
// even before the scheduler uses them.
#include "core/deque.h"
#include "core/epoch.h"
#include "core/inbox.h"

namespace core::kernel_check {

struct DummyTask : MpscNode {
    RetireNode retire_node;
    int payload = 0;
};

}  // namespace core::kernel_check

template class core::WorkStealingDeque<core::kernel_check::DummyTask>;
template class core::DequeOwner<core::kernel_check::DummyTask>;
template class core::DequeStealer<core::kernel_check::DummyTask>;
template class core::MpscInbox<core::kernel_check::DummyTask>;

namespace core::kernel_check {

// Never called: makes the compiler generate code for every inline member of the
// non-template epoch classes too.
[[gnu::used]] static void compile_epoch_api(EpochDomain& domain, RetireNode* node) {
    EpochParticipant participant(domain, 0);
    std::optional<EpochParticipant> probed;
    (void)EpochParticipant::try_register(probed, domain, 1);
    { EpochGuard guard(participant); }
    participant.go_online();
    participant.quiescent();
    participant.go_offline();
    participant.retire(node, [](RetireNode*) {});
    participant.try_reclaim();
    (void)participant.barrier(1);
    (void)participant.stats();
    (void)domain.stats();
}

}  // namespace core::kernel_check
