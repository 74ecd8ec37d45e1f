// Inbox stress: P producers push numbered messages into one MpscInbox, one consumer pops.
// Checks exactly-once delivery and that each producer's messages arrive in push order.
#pragma once
#include <cstdint>

#include "stress/common.h"

namespace core_stress {

struct InboxStressConfig {
    unsigned producers = 4;
    uint64_t messages_per_producer = 250'000; // per round
    double seconds = 0;                       // > 0: repeat rounds until this much time passed
    uint64_t seed = 1;
    std::chrono::milliseconds stall_timeout { 10'000 };
    ProgressFn progress;
};

struct InboxStressResult {
    uint64_t rounds = 0;
    uint64_t pushed = 0;
    uint64_t popped = 0;
    uint64_t duplicates = 0;
    uint64_t lost = 0;
    uint64_t out_of_order = 0;  // a producer's message arrived before an earlier one
    uint64_t empty_pops = 0;    // pop() returned nullptr (empty or producer mid-push)
    bool stalled = false;

    bool ok() const { return duplicates == 0 && lost == 0 && out_of_order == 0 && !stalled && pushed == popped; }
};

InboxStressResult run_inbox_stress(const InboxStressConfig& config);

} // namespace core_stress
