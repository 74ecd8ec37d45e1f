// kmain: the boot sequence, in order. Each step lives in its own subsystem; this file
// only says what comes after what, and why where it is not obvious.
#include <cstdint>
#include <span>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/panic_report.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "boot/cmdline.h"
#include "boot/multiboot2.h"
#include "console/console.h"
#include "drivers/console.h"
#include "ktest/ktest.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "mm/fault_hooks.h"
#include "mm/frames.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/paging.h"
#include "kbench/bench_sched.h"
#include "sched/scheduler.h"
#include "sched/trace/trace.h"
#include "smp/smp.h"
#include "torture/torture.h"

extern "C" void (*const __init_array_start[])();
extern "C" void (*const __init_array_end[])();

namespace {

// Large, so static rather than on the 32 KiB boot stack; both live for the whole run.
boot::BootInfo g_boot_info;
boot::Options g_options;

// The info block must be reachable through the boot direct map (low 4 GiB) and of a
// sane size; the parser then checks every byte of it against this span.
constexpr uint64_t kMaxInfoBytes = 1u << 20;

void run_global_constructors() {
    for (auto* ctor = __init_array_start; ctor < __init_array_end; ++ctor) (*ctor)();
}

void parse_boot_info(uint64_t info_phys) {
    if (info_phys == 0 || info_phys % 8 != 0 || info_phys + 8 > (4ull << 30))
        panic("multiboot2: boot information at 0x%llx is unusable", (unsigned long long)info_phys);
    uint32_t total_size = *mm::phys_to_ptr<const uint32_t>(info_phys);
    uint64_t span_size = total_size < kMaxInfoBytes ? total_size : kMaxInfoBytes;
    if (info_phys + span_size > (4ull << 30)) span_size = (4ull << 30) - info_phys;
    boot::parse_multiboot2({mm::phys_to_ptr<const uint8_t>(info_phys), span_size}, g_boot_info);
    g_boot_info.info_phys = info_phys;
    g_boot_info.total_size = uint32_t(span_size);  // what frames_init must keep reserved
    if (g_boot_info.error != boot::ParseError::none)
        log_warn("multiboot2: %s (total_size %u); using the %zu memory regions parsed before it",
                 boot::to_string(g_boot_info.error), total_size, g_boot_info.memory_count);
    if (g_boot_info.memory_truncated)
        log_warn("multiboot2: more than %zu memory regions; the rest are ignored", boot::kMaxMemoryRegions);
    if (g_boot_info.memory_count == 0) panic("multiboot2: no memory map in the boot information");
}

// The parser words its warnings in full ("cmdline: unknown option ..."), one line each.
void cmdline_warning(void*, const char* message) { log_warn("%s", message); }

klog::Level to_log_level(boot::LogLevel level) {
    switch (level) {
        case boot::LogLevel::debug:
            return klog::Level::debug;
        case boot::LogLevel::warn:
            return klog::Level::warn;
        case boot::LogLevel::error:
            return klog::Level::error;
        default:
            return klog::Level::info;
    }
}

// What the loader handed over that frames_init must leave alone: the information block
// itself and the modules.
std::span<const mm::PhysRange> loader_ranges_in_use(const boot::BootInfo& info) {
    static_assert(1 + boot::kMaxModules <= mm::kMaxLoaderRanges);
    static mm::PhysRange ranges[1 + boot::kMaxModules];
    size_t n = 0;
    ranges[n++] = {info.info_phys, info.info_phys + info.total_size};
    for (size_t i = 0; i < info.module_count; ++i) ranges[n++] = {info.modules[i].start, info.modules[i].end};
    return {ranges, n};
}

smp::Config smp_config(const boot::BootInfo& info, const boot::Options& options) {
    return {
        .loader_rsdp = std::span<const uint8_t>(info.rsdp, info.rsdp_size),
        .x2apic = options.x2apic,
        .max_cpus = options.max_cpus,
        .ap_timeout_ms = options.ap_timeout_ms,
        .expect_ap_failure = options.expect_ap_failure,
    };
}

sched::Config sched_config(const boot::Options& options) {
    return {
        .timeslice_us = options.timeslice_us,
        .spin_us = options.spin_us,
        .backend = options.sched,
        .trace = options.trace,
        .watchdog_s = options.watchdog ? options.watchdog_s : 0,
        // Test mode: the hung-test watchdog is polled from CPU 0's scheduler tick.
        .on_cpu0_tick = ktest::active() ? &ktest::watchdog_poll : nullptr,
    };
}

uint64_t usable_memory_bytes(const boot::BootInfo& info) {
    uint64_t total = 0;
    for (size_t i = 0; i < info.memory_count; ++i)
        if (info.memory[i].type == boot::MemoryType::usable) total += info.memory[i].length;
    return total;
}

}  // namespace

extern "C" [[noreturn]] void kmain(uint32_t magic, uint64_t info_phys) {
    arch::tsc_mark_boot();
    run_global_constructors();  // before anything else: they must not allocate
    // Reporting before anything can fail: arch stamps log lines and writes panic reports,
    // mm tells those reports about addresses, the console carries the text (each layer
    // registers with the one below; smp and ktest add theirs at their own init).
    arch::reporting_init();
    mm::fault_hooks_init();
    console::init_serial();
    log_info("lfkernel: starting (multiboot2 magic 0x%x, info at 0x%llx)", magic, (unsigned long long)info_phys);

    // CPU 0's own GDT/TSS (IST stacks for #DF, NMI, #MC), GS, and the IDT: from here on a
    // fault produces a panic report instead of a triple fault.
    arch::PerCpu& bsp = arch::bsp_percpu();
    arch::percpu_install(bsp);
    arch::idt_init();
    arch::idt_load();
    arch::percpu_register_online(bsp);

    if (magic != boot::kMultiboot2BootloaderMagic) panic("not booted by a multiboot2 loader (magic 0x%x)", magic);
    parse_boot_info(info_phys);
    const char* screen = console::init_screen(g_boot_info.framebuffer, g_boot_info.efi_boot);
    log_info("console: serial COM1, screen %s", screen);

    boot::parse_cmdline(g_boot_info.cmdline, g_options, cmdline_warning, nullptr);
    klog::set_level(to_log_level(g_options.log));
    // A panic now ends the run as a failure (QEMU exits 35): tests and the torture.
    if (g_options.test[0] != '\0' || g_options.torture_s) ktest::set_active();

    mm::frames_init({g_boot_info.memory, g_boot_info.memory_count}, loader_ranges_in_use(g_boot_info));
    mm::paging_init();
    mm::heap_init();

    log_info("lfkernel: booted by %s, %llu MiB usable memory, %s firmware, cmdline \"%s\"",
             g_boot_info.bootloader_name[0] ? g_boot_info.bootloader_name : "an unnamed loader",
             (unsigned long long)(usable_memory_bytes(g_boot_info) >> 20), g_boot_info.efi_boot ? "UEFI" : "BIOS",
             g_boot_info.cmdline);

    smp::init(smp_config(g_boot_info, g_options));

    // Platform tests run before the scheduler exists: they take over the APs' main loops and
    // the tick. From sched::start() on, this context is the init task, pinned to CPU 0.
    if (g_options.test[0] != '\0') {
        ktest::run(ktest::Phase::platform, g_options.test);
        sched::start(sched_config(g_options));
        ktest::set_watchdog_dump(&sched::dump_state);
        ktest::run(ktest::Phase::sched, g_options.test);
        bool benched = g_options.bench[0] == '\0' || sched::run_benchmarks(g_options.bench);
        sched::dump_metrics();
        sched::trace::finish();  // trace=on: the rings over serial
        ktest::exit_qemu(ktest::finish(g_options.test) && benched);
    }
    sched::start(sched_config(g_options));
    log_info("lfkernel: boot finished, %u cpus online", arch::cpu_count());
    // bench=: the benchmarks instead of the demo, then the run ends (exit status 33 when
    // every benchmark completed) so that `make bench` can boot one after another.
    if (g_options.bench[0] != '\0') {
        bool ok = sched::run_benchmarks(g_options.bench);
        sched::dump_metrics();
        sched::trace::finish();
        ktest::exit_qemu(ok);
    }
    // torture=: the torture instead of the demo and the console (docs/reliability.md), then
    // the run ends: QEMU exits 33 when every check held, 35 otherwise.
    if (g_options.torture_s) {
        bool pass = torture::run({.seconds = g_options.torture_s,
                                  .seed = g_options.torture_seed,
                                  .seed_given = g_options.torture_seed_given,
                                  .fail = g_options.fail});
        sched::dump_metrics();
        ktest::exit_qemu(pass);
    }
    if (g_options.demo) sched::run_demo();
    // trace=on: dump the rings and end the run (`make trace` waits for QEMU to exit);
    // a failure status when no trace could be recorded (no memory, SCHED_TRACE=0).
    if (g_options.trace) ktest::exit_qemu(sched::trace::finish());
    // console=on (default): a prompt on serial and the screen, in a task of its own.
    if (g_options.console) console::start(usable_memory_bytes(g_boot_info));
    sched::exit(0);  // CPU 0 goes on in its idle task
}
