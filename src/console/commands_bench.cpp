// `bench NAMES`: the kernel benchmarks of bench=, from the prompt; `trace on|off|dump`: the
// scheduler timeline of trace=on (docs/tracing.md), from the prompt.
#include "console/commands.h"
#include "console/input.h"
#include "console/output.h"
#include "kbench/bench_sched.h"
#include "sched/scheduler.h"
#include "sched/trace/trace.h"

namespace console {
namespace {

// Records per CPU for `trace on`: what trace=on uses (1 MiB per CPU).
constexpr uint32_t kTraceCapacity = sched::trace::kBootCapacity;

// Whether `trace on` has recorded anything since boot that `trace dump` can show. Only the
// console task touches it.
bool g_trace_recorded = false;

}  // namespace

void cmd_bench(const ParsedCommand& command) {
    // The words join into bench='s comma list: "bench spawn fib" is bench=spawn,fib.
    char list[kMaxWords * 16];
    size_t length = 0;
    for (size_t i = 0; i < command.argument_count(); ++i) {
        if (i > 0) append_text(list, sizeof list, &length, ",");
        append_text(list, sizeof list, &length, command.argument(i));
    }
    if (!sched::valid_benchmark_list(list)) {
        char what[96];
        size_t n = 0;
        append_text(what, sizeof what, &n, "bench: unknown benchmark in ");
        append_quoted(what, sizeof what, &n, list);
        usage_error(command, what);
        return;
    }
    if (workloads_running()) {
        out("bench: the benchmarks need a quiet machine (they switch variants and take CPUs offline); "
            "load stop first\n");
        return;
    }
    out("bench: %s (Ctrl-C stops after the run in flight)\n", list);
    const bool ok = sched::run_benchmarks(list, &input::interrupted);
    if (input::interrupted())
        out("bench: stopped by Ctrl-C; every cpu back online, %s ready queues\n", sched::backend_name());
    else
        out("bench: %s; %s ready queues\n", ok ? "done" : "a benchmark failed (see above)", sched::backend_name());
}

void cmd_trace(const ParsedCommand& command) {
    const std::string_view what = command.argument(0);
    if (command.argument_count() == 0) {
        out("trace: %s\n", sched::trace::recording() ? "recording (trace off stops, trace dump shows it)"
                           : g_trace_recorded        ? "stopped; trace dump shows what was recorded"
                                                     : "off (trace on starts recording)");
        return;
    }
    if (what == "on") {
        if (!SCHED_TRACE) {
            out("trace: this kernel was built with SCHED_TRACE=0 (hooks compiled out)\n");
            return;
        }
        if (!sched::trace::restart(kTraceCapacity)) {
            out("trace: no memory for %u-record rings\n", kTraceCapacity);
            return;
        }
        g_trace_recorded = true;
        out("trace: recording, %u records per cpu (the newest are kept); trace off stops, trace dump shows it\n",
            kTraceCapacity);
    } else if (what == "off") {
        if (!sched::trace::recording()) {
            out("trace: not recording\n");
            return;
        }
        sched::trace::stop();
        out("trace: stopped; trace dump writes it to serial\n");
    } else if (what == "dump") {
        if (!g_trace_recorded) {
            out("trace: nothing recorded (trace on starts)\n");
            return;
        }
        if (sched::trace::recording()) sched::trace::stop();
        out("trace: dumping over serial (bench/trace2perfetto.py LOG turns it into a timeline)\n");
        sched::trace::dump();
        out("trace: dump done\n");
    } else {
        usage_error(command, "trace: on, off or dump");
    }
}

}  // namespace console
