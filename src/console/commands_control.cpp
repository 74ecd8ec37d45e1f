// Commands that change the machine: offline, online, sched, torture, poweroff, reboot.
#include "arch/x86_64/tsc.h"
#include "console/commands.h"
#include "console/output.h"
#include "console/power.h"
#include "console/sched_view.h"
#include "sched/scheduler.h"
#include "torture/torture.h"

namespace console {
namespace {

using HotplugOp = sched::HotplugError (*)(uint32_t cpu);

void hotplug(const ParsedCommand& command, HotplugOp op, const char* done) {
    const auto cpu = parse_number(command.argument(0), 255);
    if (!cpu) {
        char what[96];
        size_t length = 0;
        append_text(what, sizeof what, &length, command.spec->name);
        append_text(what, sizeof what, &length, ": ");
        append_quoted(what, sizeof what, &length, command.argument(0));
        append_text(what, sizeof what, &length, " is not a CPU number");
        usage_error(command, what);
        return;
    }
    const uint64_t start_ns = arch::ns_since_boot();
    const sched::HotplugError error = op(uint32_t(*cpu));
    const uint64_t us = (arch::ns_since_boot() - start_ns) / 1000;
    if (error != sched::HotplugError::none) {
        out("%s %u: %s\n", command.spec->name == "offline" ? "offline" : "online", unsigned(*cpu),
            sched::to_string(error));
        return;
    }
    out("cpu %u %s in %llu.%03llu ms\n", unsigned(*cpu), done, (unsigned long long)(us / 1000),
        (unsigned long long)(us % 1000));
}

}  // namespace

void cmd_offline(const ParsedCommand& command) { hotplug(command, &sched::cpu_offline, "offline"); }
void cmd_online(const ParsedCommand& command) { hotplug(command, &sched::cpu_online, "online"); }

void cmd_sched(const ParsedCommand& command) {
    if (command.argument_count() == 0) {
        out("sched: %s ready queues\n", sched::backend_name());
        return;
    }
    sched::Backend kind;
    if (command.argument(0) == "lockfree")
        kind = sched::Backend::lockfree;
    else if (command.argument(0) == "locked")
        kind = sched::Backend::locked;
    else {
        usage_error(command, "sched: unknown variant");
        return;
    }
    // select_backend logs the reason of a refusal in one line of its own.
    if (sched::select_backend(kind))
        out("sched: %s ready queues\n", sched::backend_name());
    else
        out("sched: cannot switch now (stop the workloads first: load stop); still %s\n", sched::backend_name());
}

// The torture from the console task: the same run as torture= at boot, without fault
// injection (boot-time faults belong on the command line). Its pauses must be quiescent for
// the live switches of the ready queues, so the console's workloads must be stopped first.
void cmd_torture(const ParsedCommand& command) {
    const bool seed_given = command.argument_count() > 1;
    const auto seconds = parse_number(command.argument(0), 604800);
    const auto seed = seed_given ? parse_number(command.argument(1), UINT64_MAX) : std::optional<uint64_t>(0);
    if (!seconds || *seconds == 0 || !seed) {
        usage_error(command, "torture: SECONDS is 1..604800, SEED a decimal number");
        return;
    }
    if (sched_live_tasks() != 0) {
        out("torture: %llu tasks are alive besides the console; stop the workloads first (load stop)\n",
            (unsigned long long)sched_live_tasks());
        return;
    }
    const bool pass =
        torture::run({.seconds = uint32_t(*seconds), .seed = *seed, .seed_given = seed_given, .fail = {}});
    out("torture: %s\n", pass ? "PASS" : "FAIL (the lines above name the failed checks)");
}

void cmd_poweroff(const ParsedCommand&) { power_off(); }
void cmd_reboot(const ParsedCommand&) { reboot(); }

}  // namespace console
