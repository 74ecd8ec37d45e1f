// Panic: prints a report once (message, CPU, registers when known, symbolized
// backtrace), stops every other CPU with an NMI, then exits QEMU (isa-debug-exit,
// failure) or halts.
#pragma once

struct InterruptFrame;

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void panic_from_exception(const InterruptFrame& frame, const char* what);
// True once some CPU has started a panic (an NMI handler uses it to park the CPU).
bool panic_in_progress();

#define KASSERT(cond)                                                                  \
    do {                                                                               \
        if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
    } while (0)
