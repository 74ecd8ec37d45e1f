// The console's commands (docs/console.md has the list). Each handler prints its reply,
// one line per problem; none may leave a task or memory behind when it returns.
#pragma once
#include <cstdint>

#include "console/editing/command_line.h"

namespace boot {
struct Options;
}

namespace console {

using CommandHandler = void (*)(const ParsedCommand& command);
// The handler of a command in command_table(); nullptr if none (a bug: the table test
// in the boot checks every entry has one).
CommandHandler handler_for(const CommandSpec& spec);

// Facts the banner and `mem` need, from the boot.
struct BootFacts {
    uint64_t usable_memory_bytes = 0;
};
void set_boot_facts(const BootFacts& facts);
const BootFacts& boot_facts();

// Prints "<what>; usage: <usage of the command>" as one line.
void usage_error(const ParsedCommand& command, const char* what);

// commands_info.cpp
void cmd_help(const ParsedCommand&);
void cmd_cpus(const ParsedCommand&);
void cmd_ps(const ParsedCommand&);
void cmd_mem(const ParsedCommand&);
void cmd_uptime(const ParsedCommand&);
void cmd_version(const ParsedCommand&);
void cmd_log(const ParsedCommand&);
void cmd_clear(const ParsedCommand&);
// commands_control.cpp
void cmd_offline(const ParsedCommand&);
void cmd_online(const ParsedCommand&);
void cmd_sched(const ParsedCommand&);
void cmd_poweroff(const ParsedCommand&);
void cmd_reboot(const ParsedCommand&);
void cmd_torture(const ParsedCommand&);
// workloads.cpp
void cmd_run(const ParsedCommand&);
void cmd_load(const ParsedCommand&);
void cmd_top(const ParsedCommand&);
// commands_bench.cpp
void cmd_bench(const ParsedCommand&);
void cmd_trace(const ParsedCommand&);
// Whether any `load` workload runs (the benchmarks need a quiet machine).
bool workloads_running();
// stress.cpp
void cmd_stress(const ParsedCommand&);
// The console's background workloads, for `ps`.
void list_workloads();

// Waits up to `ms` for a key (any byte) and consumes it with what follows it at once
// (an escape sequence). True when a key came. For `top`.
bool wait_for_key_ms(uint64_t ms);

}  // namespace console
