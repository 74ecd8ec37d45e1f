// The scheduler timeline, kernel half ("Ready-queue variants and trace hooks"; the ring and the hooks are in trace.h):
// allocating the rings, starting and stopping every CPU's recording, and the serial dump.
#include "sched/trace/trace.h"

#include <atomic>
#include <cstdarg>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "drivers/console.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "mm/heap.h"
#include "smp/smp.h"

namespace sched::trace {
namespace {

// Task names seen by one CPU's spawns: a spawn record carries the index (arg) and the dump
// prints the table, so the converter can name each task. Owner-only, like the ring.
constexpr uint32_t kMaxNames = 64;
constexpr uint32_t kNameChars = sizeof(Task::name);
struct NameTable {
    char names[kMaxNames][kNameChars];
    uint32_t count;
};

// Everything one CPU records into, allocated in one piece: the name table, then the
// records from kRecordsOffset on.
struct Buffer {
    NameTable names;
};
constexpr size_t kRecordsOffset = (sizeof(Buffer) + 63) / 64 * 64;
Record* records_of(Buffer* buffer) {
    return reinterpret_cast<Record*>(reinterpret_cast<char*>(buffer) + kRecordsOffset);
}

struct Staged {
    Buffer* buffer = nullptr;
    uint64_t capacity = 0;
};

// The buffers in use (read by the dump and the restart after a stop) and the ones a
// restart hands to each CPU's handler. Written only by the task that calls start/restart/
// stop (the init task, in practice), which the handshake orders with the handlers.
Buffer* g_buffers[kMaxCpus];
uint64_t g_capacity = 0;
Staged g_staged[kMaxCpus];
NameTable* g_names[kMaxCpus];  // owner-only after a handler installs it
bool g_requested_at_boot = false;
uint64_t g_stop_tsc = 0;  // when the last stop() began: the end of the timeline
// relaxed: written by the controlling task only; a flag for recording().
std::atomic<bool> g_recording{false};

Buffer* allocate_buffer(uint64_t capacity) {
    size_t bytes = kRecordsOffset + capacity * sizeof(Record);
    auto* buffer = static_cast<Buffer*>(mm::kmalloc(bytes, 64));
    if (buffer) buffer->names.count = 0;
    return buffer;
}

// On CPU c itself with IF=0 (call-function handler, or before CPU c runs the scheduler):
// the only places a ring's fields change.
void install(uint32_t c, Buffer* buffer, uint64_t capacity) {
    CpuRing& ring = g_rings[c];
    ring.records = records_of(buffer);
    ring.mask = capacity - 1;
    ring.written = 0;
    buffer->names.count = 0;
    g_names[c] = &buffer->names;
    ring.recording = true;
}

void restart_here(void*) {
    uint32_t c = arch::this_cpu()->index;
    if (g_staged[c].buffer) install(c, g_staged[c].buffer, g_staged[c].capacity);
}

void stop_here(void*) { g_rings[arch::this_cpu()->index].recording = false; }

bool is_power_of_two(uint64_t n) { return n && !(n & (n - 1)); }

// The dump goes out in chunks through the serial-only console path: one console write
// per line would take the lock 10^5 times, and the screen cannot show such a dump anyway.
class SerialWriter {
public:
    void line(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        char text[160];
        va_list ap;
        va_start(ap, fmt);
        int n = kvsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        size_t len = n < 0 ? 0 : (size_t(n) < sizeof text - 1 ? size_t(n) : sizeof text - 2);
        text[len++] = '\n';
        if (m_used + len > sizeof m_buffer) flush();
        memcpy(m_buffer + m_used, text, len);
        m_used += len;
    }
    void flush() {
        if (m_used) console::write_serial(m_buffer, m_used);
        m_used = 0;
    }
    ~SerialWriter() { flush(); }

private:
    char m_buffer[2048];
    size_t m_used = 0;
};

}  // namespace

bool start_at_boot(uint32_t cpu_count) {
    g_requested_at_boot = true;
#if !SCHED_TRACE
    (void)cpu_count;
    log_warn("trace: trace=on, but this kernel was built with SCHED_TRACE=0 (hooks compiled out); no trace");
    return false;
#else
    for (uint32_t c = 0; c < cpu_count; ++c) {
        Buffer* buffer = allocate_buffer(kBootCapacity);
        if (!buffer) {
            log_warn("trace: no memory for cpu %u's ring (%u records); no trace", c, kBootCapacity);
            for (uint32_t d = 0; d < c; ++d) {
                mm::kfree(g_buffers[d]);
                g_buffers[d] = nullptr;
            }
            return false;
        }
        g_buffers[c] = buffer;
        // No AP runs scheduler code yet, and start_ap_main() publishes this to each of them.
        install(c, buffer, kBootCapacity);
    }
    g_capacity = kBootCapacity;
    g_recording.store(true, std::memory_order_relaxed);  // relaxed: see g_recording
    g_trace_on.store(true, std::memory_order_relaxed);  // relaxed: see g_trace_on (trace.h)
    log_info("trace: recording, %u records per cpu (%u KiB each); dumped at the end of the run", kBootCapacity,
             unsigned(kBootCapacity * sizeof(Record) / 1024));
    return true;
#endif
}

bool restart(uint32_t capacity) {
    if (!is_power_of_two(capacity)) return false;
    uint32_t count = arch::cpu_count();
    bool fresh = capacity != g_capacity;
    for (uint32_t c = 0; c < count; ++c) {
        Buffer* buffer = fresh ? allocate_buffer(capacity) : g_buffers[c];
        if (!buffer) {
            for (uint32_t d = 0; d < c; ++d)
                if (fresh) mm::kfree(g_staged[d].buffer);
            for (uint32_t d = 0; d < count; ++d) g_staged[d] = Staged{};
            log_warn("trace: no memory for %u-record rings", capacity);
            return false;
        }
        g_staged[c] = Staged{buffer, capacity};
    }
    // Each CPU installs its own buffer between two of its records. The release/acquire of
    // the call-function slots publishes g_staged to the handlers.
    smp::call_on_all(&restart_here, nullptr, true);
    if (fresh) {
        // No CPU writes into the old buffers any more: each one's handler has switched it.
        for (uint32_t c = 0; c < count; ++c) {
            if (g_buffers[c]) mm::kfree(g_buffers[c]);
            g_buffers[c] = g_staged[c].buffer;
        }
        g_capacity = capacity;
    }
    for (uint32_t c = 0; c < count; ++c) g_staged[c] = Staged{};
    g_recording.store(true, std::memory_order_relaxed);  // relaxed: see g_recording
    g_trace_on.store(true, std::memory_order_relaxed);  // relaxed: see g_trace_on (trace.h)
    return true;
}

void stop() {
    g_stop_tsc = platform::now_tsc();
    // Every CPU clears its own flag with IF=0, so none is in the middle of a record; the
    // wait (acquire of each handler's release) makes all their records visible here.
    smp::call_on_all(&stop_here, nullptr, true);
    g_trace_on.store(false, std::memory_order_relaxed);  // relaxed: the flags above already stopped it
    g_recording.store(false, std::memory_order_relaxed);
}

bool recording() { return g_recording.load(std::memory_order_relaxed); }  // relaxed: see g_recording
bool requested_at_boot() { return g_requested_at_boot; }

void record_spawn_slow(uint32_t cpu, const Task* task) {
    NameTable* table = g_names[cpu];
    if (!g_rings[cpu].recording || !table) return;
    uint32_t index = 0;
    while (index < table->count && strncmp(table->names[index], task->name, kNameChars) != 0) ++index;
    if (index == table->count && table->count < kMaxNames) {
        memcpy(table->names[index], task->name, kNameChars);
        table->names[index][kNameChars - 1] = '\0';
        ++table->count;
    }
    // A full table names the rest "?" (index kMaxNames).
    record_slow(cpu, Event::spawn, uint32_t(task->id), uint16_t(index));
}

void dump() {
    uint32_t count = arch::cpu_count();
    uint64_t records = 0, lost = 0;
    for (uint32_t c = 0; c < count; ++c) {
        records += g_rings[c].kept();
        lost += g_rings[c].lost();
    }
    if (lost) log_warn("trace: the rings wrapped: %llu oldest records were overwritten", (unsigned long long)lost);
    SerialWriter out;
    out.line("TRACE-BEGIN cpus=%u tsc_hz=%llu capacity=%llu records=%llu lost=%llu end_tsc=%llu", count,
             (unsigned long long)arch::tsc_hz(), (unsigned long long)g_capacity, (unsigned long long)records,
             (unsigned long long)lost, (unsigned long long)g_stop_tsc);
    for (uint32_t c = 0; c < count; ++c) {
        const CpuRing& ring = g_rings[c];
        out.line("TRACE-CPU %u records=%llu lost=%llu", c, (unsigned long long)ring.kept(),
                 (unsigned long long)ring.lost());
        if (const NameTable* table = g_names[c])
            for (uint32_t i = 0; i < table->count; ++i) out.line("N %u %u %s", c, i, table->names[i]);
        for (uint64_t i = 0; i < ring.kept(); ++i) {
            const Record& r = ring.kept_record(i);
            out.line("T %u %llu %s %u %u", unsigned(r.cpu), (unsigned long long)r.tsc, event_name(r.event),
                     unsigned(r.task), unsigned(r.arg));
        }
    }
    out.line("TRACE-END records=%llu lost=%llu", (unsigned long long)records, (unsigned long long)lost);
}

bool finish() {
    if (!recording()) return false;
    stop();
    log_info("trace: dumping the rings over serial (bench/trace2perfetto.py reads them)");
    dump();
    return true;
}

}  // namespace sched::trace
