// `top`: the per-CPU view, redrawn twice a second until a key is pressed.
#include <atomic>

#include "arch/x86_64/tsc.h"
#include "console/commands.h"
#include "console/input.h"
#include "console/output.h"
#include "console/sched_view.h"
#include "lib/cpu_mask.h"
#include "lib/log.h"
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

namespace {

constexpr uint32_t kBarCells = 20;

// Busy share -> bar colour: green while there is room, yellow when busy, red when full.
Colour bar_colour(uint64_t busy_pct) {
    if (busy_pct >= 85) return Colour::red;
    if (busy_pct >= 50) return Colour::yellow;
    return Colour::green;
}
const char* ansi_colour(Colour colour) {
    switch (colour) {
        case Colour::red:
            return "\x1b[31m";
        case Colour::yellow:
            return "\x1b[33m";
        default:
            return "\x1b[32m";
    }
}

// One CPU's line: "<prefix>[<bar>]<suffix>". Serial gets the bar as '#' and '.' in ANSI
// colours; the screen gets solid coloured cells (framebuffer or VGA text colours).
void print_cpu_line(const char* prefix, uint64_t busy_pct, const char* suffix) {
    const uint32_t filled = uint32_t((busy_pct * kBarCells + 50) / 100);
    const Colour colour = bar_colour(busy_pct);
    char bar[kBarCells + 1];
    char line[256];
    for (uint32_t i = 0; i < kBarCells; ++i) bar[i] = i < filled ? '#' : '.';
    bar[kBarCells] = '\0';
    ksnprintf(line, sizeof line, "%s[%s%.*s\x1b[90m%s\x1b[0m] %s\x1b[K\n", prefix, ansi_colour(colour), int(filled),
              bar, bar + filled, suffix);
    out_serial(line);
    char blanks[kBarCells + 1];
    for (uint32_t i = 0; i < kBarCells; ++i) blanks[i] = ' ';
    out_screen(prefix);
    out_screen("[");
    out_screen_coloured(std::string_view(blanks, filled), Colour::white, colour);
    out_screen_coloured(std::string_view(blanks, kBarCells - filled), Colour::white, Colour::dark_grey);
    out_screen("] ");
    out_screen(suffix);
    out_screen("\n");
}

uint64_t per_second(uint64_t count, uint64_t dt_ns) { return count * 1000000000 / dt_ns; }

}  // namespace

void cmd_top(const ParsedCommand&) {
    const uint32_t cpus = sched_cpu_count();
    static CpuView before[kMaxCpus], now[kMaxCpus];  // console task only
    for (uint32_t i = 0; i < cpus; ++i) sched_cpu_view(i, before[i]);
    uint64_t before_ns = arch::ns_since_boot(), before_tsc = arch::rdtsc();
    out_serial("\x1b[2J");
    for (uint32_t frame = 0;; ++frame) {
        if (wait_for_key_ms(500)) break;
        const uint64_t now_ns = arch::ns_since_boot(), now_tsc = arch::rdtsc();
        const uint64_t dt_ns = now_ns - before_ns ? now_ns - before_ns : 1;
        const uint64_t dt_tsc = now_tsc - before_tsc ? now_tsc - before_tsc : 1;
        // Serial redraws in place; the screen is cleared and drawn from the top.
        out_serial("\x1b[H");
        clear_screen_only();
        out("top: %u cpus, %llu tasks besides the console, %s queues, frame %u (any key quits)\x1b[K\n", cpus,
            (unsigned long long)sched_live_tasks(), sched::backend_name(), frame);
        out("cpu state   busy                   busy%% runq dq/pin/inb/rt+bg switch/s steal/try/s ipi-tx/rx halt/s "
            "running\x1b[K\n");
        uint64_t spawned = 0, exited = 0;
        for (uint32_t i = 0; i < cpus; ++i) {
            sched_cpu_view(i, now[i]);
            const uint64_t idle = now[i].idle_cycles - before[i].idle_cycles;
            const uint64_t busy_pct = !now[i].online || idle >= dt_tsc ? 0 : 100 - idle * 100 / dt_tsc;
            char prefix[32], runq[32], suffix[160];
            ksnprintf(prefix, sizeof prefix, "%-3u %-7s ", i, now[i].online ? "online" : "offline");
            if (now[i].split)
                ksnprintf(runq, sizeof runq, "%u/%u/%u/%u", now[i].deque, now[i].pinned, now[i].inbox, now[i].other);
            else
                ksnprintf(runq, sizeof runq, "%u (one queue)", now[i].deque);
            ksnprintf(suffix, sizeof suffix, "%4llu %-18s %8llu %5llu/%-5llu %4llu/%-4llu %6llu %s",
                      (unsigned long long)busy_pct, runq,
                      (unsigned long long)per_second(now[i].switches - before[i].switches, dt_ns),
                      (unsigned long long)per_second(now[i].steals - before[i].steals, dt_ns),
                      (unsigned long long)per_second(now[i].steal_tries - before[i].steal_tries, dt_ns),
                      (unsigned long long)per_second(now[i].ipis_sent - before[i].ipis_sent, dt_ns),
                      (unsigned long long)per_second(now[i].ipis_received - before[i].ipis_received, dt_ns),
                      (unsigned long long)per_second(now[i].halts - before[i].halts, dt_ns), now[i].current);
            print_cpu_line(prefix, busy_pct, suffix);
            spawned += now[i].spawned - before[i].spawned;
            exited += now[i].exited - before[i].exited;
            before[i] = now[i];
        }
        out("tasks: %llu spawned/s, %llu exited/s\x1b[K\n", (unsigned long long)per_second(spawned, dt_ns),
            (unsigned long long)per_second(exited, dt_ns));
        const SystemView system = sched_system_view();
        out("epoch %llu, %llu retired not yet freed; %llu MiB free; task stacks %llu (%llu cached)\x1b[K\n",
            (unsigned long long)system.epoch, (unsigned long long)system.epoch_pending,
            (unsigned long long)(system.free_frames * 4096 >> 20), (unsigned long long)system.task_stacks,
            (unsigned long long)system.cached_stacks);
        list_workloads();
        out_serial("\x1b[J");
        before_ns = now_ns;
        before_tsc = now_tsc;
    }
    out("top: done\n");
}

}  // namespace console
