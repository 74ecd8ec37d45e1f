// The idle task ("The run loop"): one per CPU, never queued, running with interrupts off except
// inside the halt. It looks for work locally, then by stealing, then by a bounded spin,
// and otherwise halts through the "The idle/wakeup protocol" protocol (idle.cpp), which cannot lose a wakeup. It is
// also where a CPU goes offline ("CPU hotplug", hotplug.cpp): it evacuates, parks and comes back here.
#include "arch/x86_64/cpu.h"
#include "sched/kernel/kernel_glue.h"

namespace sched {

void idle_task_main(void* prev, void* /*self*/) {
    finish_switch(static_cast<Task*>(prev));
    for (;;) {
        bool found_work;
        {
            SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // except inside the halt
            arch::InterruptGuard irq_off(arch::already_off);  // checked above; the proof OwnerCpu wants
            CpuSched& me = this_cpu_sched();
            OwnerCpu owner(me, irq_off);
            // "CPU hotplug". acquire: pairs with the release store of the request in cpu_offline().
            if (me.hotplug.load(std::memory_order_acquire) != HotplugState::running) handle_hotplug(owner);
            found_work = idle_step(owner);  // run_loop.cpp: re-check, steal, spin, else halt
        }
        if (found_work) schedule(PickReason::idle);
    }
}

}  // namespace sched
