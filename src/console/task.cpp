// The console task: banner, prompt, then read a key, edit, run a command, forever. It
// sleeps in input::pop() (a semaphore) whenever nothing is typed.
#include "console/console.h"

#include "arch/x86_64/percpu.h"
#include "console/editing/command_line.h"
#include "console/commands.h"
#include "console/editing/escape_decoder.h"
#include "console/input.h"
#include "console/editing/line_editor.h"
#include "console/output.h"
#include "console/sched_view.h"
#include "lib/log.h"
#include "sched/scheduler.h"

namespace console {
namespace {

constexpr std::string_view kPrompt = "lfk> ";
constexpr size_t kColumns = 80;  // what we assume of the terminal and use of the screen
constexpr size_t kLineColumns = kColumns - kPrompt.size();

struct Dispatch {
    std::string_view name;
    CommandHandler handler;
};
constexpr Dispatch kHandlers[] = {
    {"help", cmd_help},     {"cpus", cmd_cpus},         {"ps", cmd_ps},         {"mem", cmd_mem},
    {"uptime", cmd_uptime}, {"version", cmd_version},   {"log", cmd_log},       {"offline", cmd_offline},
    {"online", cmd_online}, {"sched", cmd_sched},       {"run", cmd_run},       {"load", cmd_load},
    {"bench", cmd_bench},   {"trace", cmd_trace},       {"stress", cmd_stress}, {"top", cmd_top},
    {"clear", cmd_clear},   {"poweroff", cmd_poweroff}, {"reboot", cmd_reboot}, {"torture", cmd_torture},
};

// Only the console task uses these (they are large for a 16 KiB task stack).
LineEditor g_editor;
EscapeDecoder g_decoders[2];  // per input::Source, so interleaved sources cannot mix sequences

// What the prompt line shows now, to echo a typed character instead of redrawing.
struct Shown {
    char text[kColumns] = {};
    size_t length = 0, cursor = 0;
} g_shown;

void prompt() {
    g_shown = Shown{};
    out_text(kPrompt);
}

void redraw() {
    const LineEditor::View view = g_editor.view(kLineColumns);
    const std::string_view visible(g_editor.line().data() + view.first, view.length);
    const bool appended =
        visible.size() == g_shown.length + 1 && view.cursor_column == visible.size() &&
        g_shown.cursor == g_shown.length &&
        std::string_view(visible.data(), g_shown.length) == std::string_view(g_shown.text, g_shown.length);
    if (appended) {
        out_text(std::string_view(visible.data() + g_shown.length, 1));
    } else {
        char serial[kColumns * 2 + 32];
        ksnprintf(serial, sizeof serial, "\r%s", kPrompt.data());
        size_t n = kPrompt.size() + 1;
        for (char c : visible) serial[n++] = c;
        n += size_t(ksnprintf(serial + n, sizeof serial - n, "\x1b[K\r\x1b[%zuC", kPrompt.size() + view.cursor_column));
        out_serial(std::string_view(serial, n));
        // The screen: overwrite, blank what is left of the old line, then write up to the
        // cursor again so the hardware cursor lands on it.
        char screen[kColumns * 3 + 8];
        size_t m = 0;
        screen[m++] = '\r';
        for (char c : kPrompt) screen[m++] = c;
        for (char c : visible) screen[m++] = c;
        for (size_t i = visible.size(); i < g_shown.length; ++i) screen[m++] = ' ';
        screen[m++] = '\r';
        for (char c : kPrompt) screen[m++] = c;
        for (size_t i = 0; i < view.cursor_column; ++i) screen[m++] = visible[i];
        out_screen(std::string_view(screen, m));
    }
    for (size_t i = 0; i < visible.size(); ++i) g_shown.text[i] = visible[i];
    g_shown.length = visible.size();
    g_shown.cursor = view.cursor_column;
}

// Stacks the console leaves cached between commands: enough for the next small run to
// start without mm, little enough not to matter (4 MiB of 16 KiB stacks).
constexpr size_t kCachedStacksKept = 256;

void run_line(std::string_view line) {
    const ParsedCommand command = parse_command(line);
    if (command.status == ParseStatus::empty) return;
    if (command.status != ParseStatus::ok) {
        char error[160];
        describe_parse_error(command, error, sizeof error);
        out("%s\n", error);
        return;
    }
    input::clear_interrupt();
    for (const Dispatch& d : kHandlers) {
        if (d.name == command.spec->name) {
            d.handler(command);
            break;
        }
    }
    // A Ctrl-C that stopped the command is also queued as a byte: drop what was typed
    // while the command ran, so it does not abort the next line too.
    if (input::interrupted()) {
        while (input::try_pop()) {}
        input::clear_interrupt();
    }
    // A big run (run uts t3: ~10k tasks alive at its peak) leaves that many stacks cached;
    // with nothing running any more, memory goes back to what `mem` showed before it.
    if (!workloads_running()) sched_release_cached_stacks(kCachedStacksKept);
}

void banner() {
    CpuView view;
    uint32_t online = 0;
    for (uint32_t i = 0; i < sched_cpu_count(); ++i) online += sched_cpu_view(i, view) && view.online;
    out("\nlfkernel console: %u cpus online, %llu MiB memory, %s scheduler, input: serial%s. Type help.\n", online,
        (unsigned long long)(boot_facts().usable_memory_bytes >> 20), sched::backend_name(),
        input::keyboard_present() ? " + PS/2 keyboard" : "");
}

int64_t console_main(void*) {
    banner();
    prompt();
    for (;;) {
        const input::Byte byte = input::pop();
        const Key key = g_decoders[size_t(byte.source)].feed(byte.value);
        if (key.code == KeyCode::none) continue;
        switch (g_editor.feed(key)) {
            case LineEditor::Action::none:
                break;
            case LineEditor::Action::changed:
                redraw();
                break;
            case LineEditor::Action::submit:
                out_text("\n");
                run_line(g_editor.line());
                g_editor.clear();
                prompt();
                break;
            case LineEditor::Action::abort:
                out_text("^C\n");
                g_editor.clear();
                input::clear_interrupt();
                prompt();
                break;
            case LineEditor::Action::clear_screen:
                clear_screens();
                prompt();
                g_shown = Shown{};
                redraw();
                break;
        }
    }
}

}  // namespace

CommandHandler handler_for(const CommandSpec& spec) {
    for (const Dispatch& d : kHandlers)
        if (d.name == spec.name) return d.handler;
    return nullptr;
}

bool start(uint64_t usable_memory_bytes) {
    for (const CommandSpec& spec : command_table())
        if (!handler_for(spec)) log_warn("console: command %s has no handler", spec.usage);
    set_boot_facts(BootFacts{usable_memory_bytes});
    input::init();
    auto r = sched::spawn(console_main, nullptr, {.name = "console", .detached = true});
    if (!r.ok()) {
        log_warn("console: cannot start the console task: %s", sched::to_string(r.error));
        return false;
    }
    return true;
}

}  // namespace console
