#include "console/editing/command_line.h"

namespace console {
namespace {

constexpr CommandSpec kCommands[] = {
    {"help", 0, 1, "help [CMD]", "list the commands, or show how to use one"},
    {"cpus", 0, 0, "cpus", "the CPUs: APIC ID, topology, online or offline, idle or busy"},
    {"ps", 0, 0, "ps", "every live task: id, name, state, CPU, class, affinity, CPU time"},
    {"mem", 0, 0, "mem", "memory: usable, free and total frames"},
    {"uptime", 0, 0, "uptime", "time since boot"},
    {"version", 0, 0, "version", "kernel version and build"},
    {"log", 1, 1, "log debug|info|warn|error", "set the log level"},
    {"offline", 1, 1, "offline N", "take CPU N out of the scheduler (hotplug)"},
    {"online", 1, 1, "online N", "bring CPU N back"},
    {"sched", 0, 1, "sched [lockfree|locked]", "show or switch the ready-queue variant"},
    {"run", 1, 2, "run fib N | run uts t1|t3 | run messaging", "fib(N<=32), UTS or messaging in the foreground"},
    {"load", 0, 2, "load [fib|spin|uts|messaging [N]] | load stop [ID]", "start, list or stop background workloads"},
    {"bench", 1, 7, "bench sched|all|NAME...", "kernel benchmarks: spawn fib uts messaging yield wake"},
    {"trace", 0, 1, "trace [on|off|dump]", "scheduler timeline: record, stop, dump over serial"},
    {"stress", 1, 1, "stress SECONDS", "lock-free core stress (deque, epochs, inbox) on every CPU"},
    {"top", 0, 0, "top", "live per-CPU view, twice a second, until a key is pressed"},
    {"torture", 1, 2, "torture SECONDS [SEED]", "the torture (docs/reliability.md) for SECONDS, no fault injection"},
    {"clear", 0, 0, "clear", "clear the screen"},
    {"poweroff", 0, 0, "poweroff", "power the machine off (ACPI S5)"},
    {"reboot", 0, 0, "reboot", "reset the machine"},
};

constexpr bool is_space(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::span<const CommandSpec> command_table() { return kCommands; }

const CommandSpec* find_command(std::string_view name) {
    for (const CommandSpec& spec : kCommands)
        if (spec.name == name) return &spec;
    return nullptr;
}

Words split_words(std::string_view line) {
    Words words;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        if (i == line.size()) break;
        const size_t start = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        if (words.count == kMaxWords) {
            words.too_many = true;
            break;
        }
        words.at[words.count++] = std::string_view(line.data() + start, i - start);
    }
    return words;
}

std::optional<uint64_t> parse_number(std::string_view text, uint64_t max) {
    if (text.empty()) return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        const uint64_t digit = uint64_t(c - '0');
        if (value > (max - digit) / 10 || value * 10 + digit > max) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

ParsedCommand parse_command(std::string_view line) {
    ParsedCommand parsed;
    parsed.words = split_words(line);
    if (parsed.words.count == 0) {
        parsed.status = ParseStatus::empty;
        return parsed;
    }
    parsed.spec = find_command(parsed.words.at[0]);
    if (!parsed.spec) {
        parsed.status = ParseStatus::unknown_command;
        return parsed;
    }
    const size_t args = parsed.argument_count();
    if (args < parsed.spec->min_args)
        parsed.status = ParseStatus::too_few_arguments;
    else if (parsed.words.too_many || args > parsed.spec->max_args)
        parsed.status = ParseStatus::too_many_arguments;
    else
        parsed.status = ParseStatus::ok;
    return parsed;
}

void append_text(char* out, size_t size, size_t* length, std::string_view text) {
    for (char c : text) {
        if (*length + 1 >= size) break;
        out[(*length)++] = c;
    }
    if (size > 0) out[*length < size ? *length : size - 1] = '\0';
}

void append_quoted(char* out, size_t size, size_t* length, std::string_view text) {
    constexpr size_t kMaxQuoted = 24;
    char shown[kMaxQuoted];
    const size_t n = text.size() < kMaxQuoted ? text.size() : kMaxQuoted;
    for (size_t i = 0; i < n; ++i) shown[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
    append_text(out, size, length, "\"");
    append_text(out, size, length, std::string_view(shown, n));
    if (text.size() > kMaxQuoted) append_text(out, size, length, "...");
    append_text(out, size, length, "\"");
}

size_t describe_parse_error(const ParsedCommand& parsed, char* out, size_t size) {
    size_t length = 0;
    if (size == 0) return 0;
    out[0] = '\0';
    switch (parsed.status) {
        case ParseStatus::ok:
        case ParseStatus::empty:
            break;
        case ParseStatus::unknown_command:
            append_text(out, size, &length, "unknown command ");
            append_quoted(out, size, &length, parsed.words.at[0]);
            append_text(out, size, &length, "; type help for the list");
            break;
        case ParseStatus::too_few_arguments:
        case ParseStatus::too_many_arguments:
            append_text(out, size, &length, parsed.spec->name);
            append_text(
                out, size, &length,
                parsed.status == ParseStatus::too_few_arguments ? ": missing argument" : ": too many arguments");
            append_text(out, size, &length, "; usage: ");
            append_text(out, size, &length, parsed.spec->usage);
            break;
    }
    return length;
}

}  // namespace console
