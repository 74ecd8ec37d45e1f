// The C++ side of asm/switch.S: the switch itself and the first frame of a new task.
// Kernel only.
#pragma once
#include <cstdint>

extern "C" {
// Saves the callee-saved registers on the current stack, stores rsp to *save_rsp, loads
// new_rsp and returns `prev` on the new stack. Interrupts must be off.
void* sched_switch(uint64_t* save_rsp, uint64_t new_rsp, void* prev);
// Where a new task's first sched_switch returns to; calls entry(prev, arg).
void sched_task_bootstrap();
}

namespace sched {

// Never returns: a task's first function ends by switching away for good.
using SwitchEntry = void (*)(void* prev, void* arg);

// Builds the initial switch frame just below `stack_top` (exclusive end of the usable
// stack, any alignment) and returns the rsp to hand to sched_switch.
inline uint64_t build_switch_frame(uint64_t stack_top, SwitchEntry entry, void* arg) {
    // Seven words: r15, r14, r13, r12, rbx, rbp, return address. After bootstrap's `ret`
    // pops the last one, rsp must be 16-aligned for its `call`, so the frame starts 8 mod 16.
    uint64_t after_ret = stack_top & ~uint64_t(15);
    auto* frame = reinterpret_cast<uint64_t*>(after_ret - 7 * 8);
    frame[0] = 0;  // r15
    frame[1] = 0;  // r14
    frame[2] = reinterpret_cast<uint64_t>(entry);  // r13
    frame[3] = reinterpret_cast<uint64_t>(arg);  // r12
    frame[4] = 0;  // rbx
    frame[5] = 0;  // rbp: ends backtraces
    frame[6] = reinterpret_cast<uint64_t>(&sched_task_bootstrap);  // return address
    return reinterpret_cast<uint64_t>(frame);
}

}  // namespace sched
