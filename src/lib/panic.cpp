// panic(): the message is formatted here, on the panicking CPU's stack; what happens next
// is the registered reporter's (arch/x86_64/panic_report.cpp).
#include "lib/panic.h"

#include <cstdarg>

#include "lib/log.h"

namespace {
// Set once, first thing in kmain, before any other CPU runs.
PanicReporter g_reporter = nullptr;
}  // namespace

void set_panic_reporter(PanicReporter reporter) { g_reporter = reporter; }

void panic(const char* fmt, ...) {
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (g_reporter) g_reporter(message, reinterpret_cast<uint64_t>(__builtin_frame_address(0)));
    // No reporter yet (or one that returned): nothing can be said, so stop here.
    __builtin_trap();
}
