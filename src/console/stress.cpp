// `stress SECONDS`: the lock-free core's own stress (workloads/core_stress.h) with one
// worker pinned to each online CPU, a progress line each second and a verdict with the
// counts. Ctrl-C ends it after the round in flight; its tasks are joined and its memory
// freed before the prompt returns.
#include "console/commands.h"
#include "console/input.h"
#include "console/output.h"
#include "kbench/core_stress.h"

namespace console {
namespace {

constexpr uint64_t kMaxStressSeconds = 3600;

unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

void progress(void*, const workloads::CoreStressCounts& c, uint64_t elapsed_ns) {
    out("stress: %llu s: %llu rounds, %llu items, %llu stolen, %llu via inboxes; lost %llu, duplicated %llu\n",
        ull(elapsed_ns / 1000000000), ull(c.rounds), ull(c.pushed + c.sent), ull(c.stolen), ull(c.received),
        ull(c.lost), ull(c.duplicated));
}

bool ctrl_c(void*) { return input::interrupted(); }

}  // namespace

void cmd_stress(const ParsedCommand& command) {
    const auto seconds = parse_number(command.argument(0), kMaxStressSeconds);
    if (!seconds || *seconds == 0) {
        usage_error(command, "stress: SECONDS must be a number from 1 to 3600");
        return;
    }
    workloads::CoreStressOptions options;
    options.seconds = *seconds;
    options.progress = &progress;
    options.cancelled = &ctrl_c;
    out("stress: deque, epochs and inboxes on every online cpu for %llu s (Ctrl-C stops)\n", ull(*seconds));
    const workloads::CoreStressResult r = sched::kbench::run_core_stress_on_cpus(options);
    const workloads::CoreStressCounts& c = r.counts;
    out("stress: %u workers, %llu rounds in %llu.%03llu s%s\n", r.workers, ull(c.rounds),
        ull(r.elapsed_ns / 1000000000), ull(r.elapsed_ns / 1000000 % 1000), r.cancelled ? ", stopped by Ctrl-C" : "");
    out("stress: items pushed %llu, sent %llu; taken %llu, stolen %llu (%llu by batch), received %llu\n", ull(c.pushed),
        ull(c.sent), ull(c.taken), ull(c.stolen), ull(c.batch_moved), ull(c.received));
    out("stress: epochs: %llu advances, %llu reads, %llu replaced, %llu freed of %llu retired, %llu freed objects "
        "seen\n",
        ull(c.epoch_advances), ull(c.epoch_reads), ull(c.epoch_replaced), ull(c.freed), ull(c.retired),
        ull(c.epoch_poison_seen));
    out("stress: %s: lost %llu, duplicated %llu, corrupted %llu, inbox out of order %llu\n", workloads::describe(r),
        ull(c.lost), ull(c.duplicated), ull(c.corrupted), ull(c.out_of_order));
}

}  // namespace console
