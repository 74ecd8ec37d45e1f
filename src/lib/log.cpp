// Log lines: "[cpu N  s.uuuuuu] message". Each line is formatted into a local buffer and
// handed to the console in one write, so lines from different CPUs never interleave.
#include "lib/log.h"

#include <atomic>
#include <cstdint>

namespace klog {
namespace {

constexpr size_t kLineMax = 512;
// relaxed: a level change only needs to become visible eventually; it orders nothing.
std::atomic<Level> g_min_level{Level::info};
// Both set once at boot (kmain, before any other CPU runs).
Sink g_sink = nullptr;
StampSource g_stamp = nullptr;

void emit(const char* text, size_t length) {
    if (g_sink) g_sink(text, length);
}

const char* level_tag(Level level) {
    switch (level) {
        case Level::warn:
            return "warning: ";
        case Level::error:
            return "error: ";
        default:
            return "";
    }
}

// Appends "\n", marking truncation with "..." so a cut line is recognisable.
void finish_line(char* line, size_t len) {
    if (len > kLineMax - 2) {
        len = kLineMax - 2;
        line[len - 3] = line[len - 2] = line[len - 1] = '.';
    }
    line[len] = '\n';
    line[len + 1] = '\0';
    emit(line, len + 1);
}

}  // namespace

void set_level(Level min) { g_min_level.store(min, std::memory_order_relaxed); }
void set_sink(Sink sink) { g_sink = sink; }
void set_stamp(StampSource source) { g_stamp = source; }

void vlog(Level level, const char* fmt, va_list ap) {
    if (level < g_min_level.load(std::memory_order_relaxed)) return;
    char line[kLineMax];
    Stamp stamp = g_stamp ? g_stamp() : Stamp{0, 0};
    uint64_t ns = stamp.ns_since_boot;
    int n = ksnprintf(line, kLineMax, "[cpu %-2u %llu.%06llu] %s", stamp.cpu, (unsigned long long)(ns / 1'000'000'000),
                      (unsigned long long)(ns / 1000 % 1'000'000), level_tag(level));
    size_t len = size_t(n) < kLineMax ? size_t(n) : kLineMax - 1;
    int m = kvsnprintf(line + len, kLineMax - len, fmt, ap);
    len += size_t(m);
    finish_line(line, len < kLineMax ? len : kLineMax);
}

void log(Level level, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void print(const char* fmt, ...) {
    char buf[kLineMax];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    emit(buf, size_t(n) < sizeof buf ? size_t(n) : sizeof buf - 1);
}

}  // namespace klog
