// panic(): formats the message and hands it to the reporter the platform registered
// (arch/x86_64/panic_report.h: prints the CPU, registers and a backtrace, stops every
// other CPU, then exits QEMU in a test run or halts). Never returns.
#pragma once
#include <cstdint>

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Receives the formatted message and the frame address of panic() itself (the start of
// the backtrace); must not return. Registered first thing in kmain.
using PanicReporter = void (*)(const char* message, uint64_t caller_frame);
void set_panic_reporter(PanicReporter reporter);

#define KASSERT(cond)                                                                  \
    do {                                                                               \
        if (!(cond)) panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
    } while (0)
