// Kernel logging. Every line goes to the sink (the console: COM1 and the screen),
// prefixed with "[cpu N   s.uuuuuu] " (CPU index and time since boot, from the stamp the
// platform registers). Formatting supports %d %i %u %x %X %p %s %c %%, flags '0' '-',
// width, and 'l'/'ll'/'z'.
#pragma once
#include <cstdarg>
#include <cstddef>
#include <cstdint>

namespace klog {

// Where finished lines go; registered by console::init_serial(). Lines before that are
// dropped.
using Sink = void (*)(const char* text, size_t length);
void set_sink(Sink sink);
// What each line is stamped with; registered by arch::reporting_init() (cpu 0, time 0
// until then).
struct Stamp {
    uint32_t cpu;
    uint64_t ns_since_boot;
};
using StampSource = Stamp (*)();
void set_stamp(StampSource source);

enum class Level { debug, info, warn, error };
void set_level(Level min);  // from log= on the command line
void log(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vlog(Level level, const char* fmt, va_list ap);
// Raw output without the prefix (continuation of tables, the test protocol lines).
void print(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
}  // namespace klog

#define log_debug(...) ::klog::log(::klog::Level::debug, __VA_ARGS__)
#define log_info(...) ::klog::log(::klog::Level::info, __VA_ARGS__)
#define log_warn(...) ::klog::log(::klog::Level::warn, __VA_ARGS__)
#define log_error(...) ::klog::log(::klog::Level::error, __VA_ARGS__)

// snprintf-style formatter shared by the console and the tests; always NUL-terminates.
int ksnprintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char* buf, size_t size, const char* fmt, va_list ap);
