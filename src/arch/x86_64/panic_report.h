// The panic report: what lib/panic hands a message to. Prints it once (message, CPU,
// registers when known, symbolized backtrace), stops every other CPU, then ends the run
// (a test run exits QEMU with a failure) or halts. It knows the CPU; what the layers
// above it add (the console, stopping CPUs, the test verdict) they register here.
#pragma once
#include <cstddef>

struct InterruptFrame;

namespace arch {

// Registers the report with lib/panic and the CPU/time stamp of log lines with lib/log.
// First thing in kmain, so every panic and log line has them.
void reporting_init();

// Exceptions that nothing handled end here (exceptions.cpp).
[[noreturn]] void panic_from_exception(const InterruptFrame& frame, const char* what);
// The report's description of an interrupted context, for other reports (the lockup
// detector's): rip with its symbol, rsp, the registers and the symbolized backtrace.
// Raw console lines, no locks of its own.
void print_interrupted_context(const InterruptFrame& frame);
// True once some CPU has started a panic (an NMI handler uses it to park the CPU).
bool panic_in_progress();

// What the report needs from above, each registered by its owner at its init; a hook not
// (yet) registered is skipped.
//   console::init_serial: the console stops waiting for a lock its own CPU holds, and a
//                         raw COM1 write for a panic inside the report
void set_panic_console(void (*enter_panic_mode)(), void (*write_raw)(const char* text, size_t length));
//   smp::init: stops every other CPU (NMI)
void set_panic_stop_other_cpus(void (*stop_other_cpus)());
//   ktest::set_active: a panic ends the test run with a failure (never returns)
void set_panic_end_run(void (*end_run)());

}  // namespace arch
