// The context switch on its own, before the scheduler exists: the test's own context and
// one task stack pass control back and forth through asm/switch.S.
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "sched/kernel/switch_frame.h"
#include "sched/kernel/task_memory.h"

namespace {

constexpr int kRoundTrips = 1000;

struct RoundTrip {
    uint64_t home_rsp = 0;
    sched::Task* task = nullptr;
    void* first_prev = nullptr;
    uint64_t entry_frame = 0;
    int visits = 0;
};

// The task side: records what its first switch handed it, then bounces back forever. It
// is abandoned (never resumed) after the last round trip and its memory freed.
void round_trip_entry(void* prev, void* arg) {
    auto* rt = static_cast<RoundTrip*>(arg);
    rt->first_prev = prev;
    rt->entry_frame = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
    for (;;) {
        ++rt->visits;
        sched_switch(&rt->task->saved_rsp, rt->home_rsp, rt->task);
    }
}

}  // namespace

KTEST(sched_switch_round_trip) {
    sched::Task* task = sched::allocate_task_memory();
    KEXPECT(task != nullptr, "no memory for a task");
    KEXPECT(reinterpret_cast<uint64_t>(task) % 64 == 0, "Task at %p is not 64-aligned", static_cast<void*>(task));
    KEXPECT(task->stack.top - task->stack.bottom == sched::kTaskStackPages * 4096, "stack range is wrong");

    RoundTrip rt;
    rt.task = task;
    task->saved_rsp = sched::build_switch_frame(sched::task_stack_top(task), round_trip_entry, &rt);

    // Values the compiler keeps in callee-saved registers across the switch; a switch that
    // lost one of rbx/rbp/r12-r15 would change the sum below.
    volatile uint64_t seed = 0x9e3779b97f4a7c15ull;
    uint64_t a = seed, b = a * 3, c = b ^ 0x55, d = c + 7, e = d * 5, f = e ^ a;
    const uint64_t expected = a + b + c + d + e + f;

    int marker = 0;
    bool ok = true;
    int failed_at = -1;
    void* wrong_prev = nullptr;
    {
        arch::InterruptGuard irq_off;
        for (int i = 0; i < kRoundTrips; ++i) {
            void* back = sched_switch(&rt.home_rsp, task->saved_rsp, &marker);
            if (back != task || rt.visits != i + 1) {
                ok = false;
                failed_at = i;
                wrong_prev = back;
                break;
            }
        }
    }
    uint64_t sum = a + b + c + d + e + f;
    sched::free_task_memory(task);

    KEXPECT(ok, "round trip %d: switch returned %p (task %p), visits %d", failed_at, wrong_prev,
            static_cast<void*>(task), rt.visits);
    KEXPECT(rt.first_prev == &marker, "the task's first switch saw prev %p, not %p", rt.first_prev,
            static_cast<void*>(&marker));
    KEXPECT(rt.entry_frame % 16 == 0, "task entry frame %llx is not 16-aligned", (unsigned long long)rt.entry_frame);
    KEXPECT(sum == expected, "callee-saved registers changed across the switch");
}
