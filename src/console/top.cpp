// `top`: the per-CPU view, redrawn twice a second until a key is pressed.
#include <atomic>

#include "arch/x86_64/tsc.h"
#include "console/commands.h"
#include "console/input.h"
#include "console/output.h"
#include "console/sched_view.h"
#include "sched/scheduler.h"

namespace console {

bool wait_for_key_ms(uint64_t ms) {
    const uint64_t deadline = arch::ns_since_boot() + ms * 1000000;
    for (;;) {
        if (input::try_pop()) {
            // The rest of an escape sequence arrives with it; swallow it too.
            sched::sleep_for(20000000);
            while (input::try_pop()) {}
            return true;
        }
        const uint64_t now = arch::ns_since_boot();
        if (now >= deadline) return false;
        const uint64_t step = deadline - now < 50000000 ? deadline - now : 50000000;
        sched::sleep_for(step);
    }
}

void cmd_top(const ParsedCommand&) {
    const uint32_t cpus = sched_cpu_count();
    static CpuView before[256], now[256];
    for (uint32_t i = 0; i < cpus; ++i) sched_cpu_view(i, before[i]);
    uint64_t before_ns = arch::ns_since_boot(), before_tsc = arch::rdtsc();
    out_serial("\x1b[2J");
    for (uint32_t frame = 0;; ++frame) {
        if (wait_for_key_ms(500)) break;
        const uint64_t now_ns = arch::ns_since_boot(), now_tsc = arch::rdtsc();
        const uint64_t dt_ns = now_ns - before_ns ? now_ns - before_ns : 1;
        const uint64_t dt_tsc = now_tsc - before_tsc ? now_tsc - before_tsc : 1;
        out_serial("\x1b[H");
        out("top: %u cpus, %llu tasks besides the console, %s queues, frame %u (any key quits)\x1b[K\n", cpus,
            (unsigned long long)sched_live_tasks(), sched::backend_name(), frame);
        out("cpu  state    busy%%  switch/s  steal/s  running\x1b[K\n");
        for (uint32_t i = 0; i < cpus; ++i) {
            sched_cpu_view(i, now[i]);
            const uint64_t idle = now[i].idle_cycles - before[i].idle_cycles;
            const uint64_t busy_pct = idle >= dt_tsc ? 0 : 100 - idle * 100 / dt_tsc;
            out("%-4u %-8s %4llu  %8llu %8llu  %s\x1b[K\n", i, now[i].online ? "online" : "offline",
                (unsigned long long)(now[i].online ? busy_pct : 0),
                (unsigned long long)((now[i].switches - before[i].switches) * 1000000000 / dt_ns),
                (unsigned long long)((now[i].steals - before[i].steals) * 1000000000 / dt_ns), now[i].current);
            before[i] = now[i];
        }
        list_workloads();
        out_serial("\x1b[J");
        before_ns = now_ns;
        before_tsc = now_tsc;
    }
    out("top: done\n");
}

}  // namespace console
