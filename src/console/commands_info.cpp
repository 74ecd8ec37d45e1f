// Commands that show things: help, cpus, ps, mem, uptime, version, log, clear.
#include <atomic>

#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "console/commands.h"
#include "console/input.h"
#include "console/output.h"
#include "console/sched_view.h"
#include "lib/log.h"
#include "mm/frames.h"
#include "mm/kstack.h"
#include "sched/kernel/task_memory.h"
#include "sched/scheduler.h"

namespace console {
namespace {
BootFacts g_facts;
constexpr size_t kUsageColumns = 38;
constexpr size_t kPsRows = 40;
}  // namespace

void set_boot_facts(const BootFacts& facts) { g_facts = facts; }
const BootFacts& boot_facts() { return g_facts; }

void usage_error(const ParsedCommand& command, const char* what) { out("%s; usage: %s\n", what, command.spec->usage); }

void cmd_help(const ParsedCommand& command) {
    if (command.argument_count() == 1) {
        const CommandSpec* spec = find_command(command.argument(0));
        if (!spec) {
            char line[128];
            size_t length = 0;
            append_text(line, sizeof line, &length, "help: unknown command ");
            append_quoted(line, sizeof line, &length, command.argument(0));
            append_text(line, sizeof line, &length, "; type help for the list");
            out("%s\n", line);
            return;
        }
        out("usage: %s\n  %s\n", spec->usage, spec->summary);
        return;
    }
    // A usage too long for its column gets the summary on a line of its own.
    for (const CommandSpec& spec : command_table()) {
        if (std::string_view(spec.usage).size() > kUsageColumns)
            out("  %s\n  %-*s %s\n", spec.usage, int(kUsageColumns), "", spec.summary);
        else
            out("  %-*s %s\n", int(kUsageColumns), spec.usage, spec.summary);
    }
    out("keys: left/right/home/end edit, up/down history, Ctrl-C stops a command, Ctrl-L clears\n");
}

void cmd_cpus(const ParsedCommand&) {
    const uint32_t count = sched_cpu_count();
    uint32_t online = 0;
    for (uint32_t i = 0; i < count; ++i) {
        CpuView view;
        sched_cpu_view(i, view);
        const arch::PerCpu& cpu = arch::cpu(i);
        online += view.online;
        out("cpu %-3u apic %-3u package %u core %u thread %u  %s\n", i, cpu.apic_id, cpu.topology.package,
            cpu.topology.core, cpu.topology.thread,
            view.online   ? "online"
            : view.parked ? "offline"
                          : "changing");
    }
    out("%u cpus, %u online\n", count, online);
}

void cmd_ps(const ParsedCommand&) {
    static TaskView rows[kPsRows];  // console task only; too big for its stack
    TaskTotals totals;
    const size_t shown = sched_task_views(rows, kPsRows, totals);
    out("%8s  %-16s %-8s %3s  %-8s %-12s %12s\n", "id", "name", "state", "cpu", "class", "affinity", "cpu ms");
    for (size_t i = 0; i < shown; ++i) {
        const TaskView& t = rows[i];
        out("%8llu  %-16.16s %-8s %3u  %-8s %-12s %8llu.%03llu\n", (unsigned long long)t.id, t.name, t.state, t.cpu,
            t.klass, t.affinity, (unsigned long long)(t.cpu_us / 1000), (unsigned long long)(t.cpu_us % 1000));
    }
    out("%zu tasks: %zu running, %zu ready, %zu blocked, %zu sleeping%s; plus one idle task per cpu\n", totals.tasks,
        totals.running, totals.ready, totals.blocked, totals.sleeping,
        totals.tasks > shown ? " (first ones shown)" : "");
    list_workloads();
    // spawned - exited: the console itself is offset by the init task's exit at boot.
    out("%llu tasks alive besides the console\n", (unsigned long long)sched_live_tasks());
}

void cmd_mem(const ParsedCommand&) {
    const uint64_t free_frames = mm::free_frame_count(), total_frames = mm::total_frame_count();
    out("memory: %llu MiB usable at boot; frames %llu free of %llu (%llu MiB free)\n",
        (unsigned long long)(g_facts.usable_memory_bytes >> 20), (unsigned long long)free_frames,
        (unsigned long long)total_frames, (unsigned long long)(free_frames * 4096 >> 20));
    // Exited tasks' stacks stay cached, still mapped, until trim_task_memory(): after a big
    // fork-join run most of the "used" frames are this cache, not a leak.
    const mm::KernelStackStats stacks = mm::kernel_stack_stats();
    out("task stacks: %zu allocated (peak %zu), %zu of them cached for reuse\n", stacks.in_use, stacks.peak,
        sched::cached_task_memory());
}

void cmd_uptime(const ParsedCommand&) {
    const uint64_t ns = arch::ns_since_boot();
    const uint64_t s = ns / 1000000000;
    out("up %llu:%02llu:%02llu (%llu.%03llu s)\n", (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60),
        (unsigned long long)(s % 60), (unsigned long long)s, (unsigned long long)(ns / 1000000 % 1000));
}

void cmd_version(const ParsedCommand&) {
    out("lfkernel (x86-64, multiboot2), built " __DATE__ " " __TIME__ " with gcc " __VERSION__ "\n");
}

void cmd_log(const ParsedCommand& command) {
    static constexpr struct {
        const char* name;
        klog::Level level;
    } kLevels[] = {{"debug", klog::Level::debug},
                   {"info", klog::Level::info},
                   {"warn", klog::Level::warn},
                   {"error", klog::Level::error}};
    for (const auto& choice : kLevels) {
        if (std::string_view(choice.name) == command.argument(0)) {
            klog::set_level(choice.level);
            out("log level %s\n", choice.name);
            return;
        }
    }
    usage_error(command, "log: unknown level");
}

void cmd_clear(const ParsedCommand&) { clear_screens(); }

}  // namespace console
