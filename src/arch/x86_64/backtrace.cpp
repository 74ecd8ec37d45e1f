// Symbol lookup is a binary search over the sorted address table that gen_ksyms.sh emits;
// the backtrace follows the saved-rbp chain: [rbp] = caller's rbp, [rbp + 8] = return address.
#include "arch/x86_64/backtrace.h"

#include "lib/log.h"

extern "C" const uint64_t ksyms_count;
extern "C" const uint64_t ksyms_addrs[];
extern "C" const uint32_t ksyms_name_offsets[];
extern "C" const char ksyms_names[];
extern "C" const char _text_start[], _text_end[];

namespace ksyms {

bool lookup(uint64_t address, const char** name, uint64_t* offset) {
    uint64_t text_start = reinterpret_cast<uint64_t>(_text_start);
    uint64_t text_end = reinterpret_cast<uint64_t>(_text_end);
    if (ksyms_count == 0 || address < ksyms_addrs[0] || address < text_start || address >= text_end) return false;
    // Last entry with addrs[i] <= address.
    uint64_t lo = 0, hi = ksyms_count;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ksyms_addrs[mid] <= address)
            lo = mid;
        else
            hi = mid;
    }
    *name = ksyms_names + ksyms_name_offsets[lo];
    *offset = address - ksyms_addrs[lo];
    return true;
}

void format(uint64_t address, char* buf, size_t size) {
    const char* name;
    uint64_t offset;
    if (lookup(address, &name, &offset))
        ksnprintf(buf, size, "%s+0x%llx", name, (unsigned long long)offset);
    else
        ksnprintf(buf, size, "?");
}

namespace {
// Set once at boot (kmain, before any other CPU runs), read by the panic path.
VirtToPhys g_virt_to_phys = nullptr;

bool canonical(uint64_t address) {
    int64_t high = int64_t(address) >> 47;
    return high == 0 || high == -1;
}

bool readable(uint64_t address) {
    return g_virt_to_phys != nullptr && address % 8 == 0 && canonical(address) && canonical(address + 8) &&
           g_virt_to_phys(address) != ~0ull && g_virt_to_phys(address + 8) != ~0ull;
}
}  // namespace

void set_address_probe(VirtToPhys virt_to_phys) { g_virt_to_phys = virt_to_phys; }

size_t capture_backtrace(uint64_t rbp, uint64_t* return_addresses, size_t max) {
    size_t count = 0;
    while (count < max) {
        if (rbp == 0 || !readable(rbp)) break;
        auto frame = reinterpret_cast<const uint64_t*>(rbp);
        uint64_t return_address = frame[1];
        if (return_address == 0) break;
        return_addresses[count++] = return_address;
        uint64_t next = frame[0];
        if (next <= rbp) break;  // stacks grow down, so callers' frames are above ours
        rbp = next;
    }
    return count;
}

void print_backtrace(uint64_t rbp, int max_frames) {
    constexpr int kMaxFrames = 64;
    uint64_t addresses[kMaxFrames];
    size_t limit = max_frames <= 0 ? 0 : max_frames < kMaxFrames ? size_t(max_frames) : size_t(kMaxFrames);
    size_t count = capture_backtrace(rbp, addresses, limit);
    uint64_t previous = 0;
    int repeats = 0;  // runaway recursion: one line per distinct frame, then a count
    for (size_t i = 0; i < count; ++i) {
        uint64_t return_address = addresses[i];
        if (return_address == previous) {
            ++repeats;
            continue;
        }
        if (repeats > 0) klog::print("      (same frame %d more times)\n", repeats);
        repeats = 0;
        char symbol[160];
        // The call instruction is just before the return address: symbolize that byte,
        // so a call at the very end of a function is not attributed to the next one.
        format(return_address - 1, symbol, sizeof symbol);
        klog::print("  #%-2d 0x%016llx %s\n", int(i), (unsigned long long)return_address, symbol);
        previous = return_address;
    }
    if (repeats > 0) klog::print("      (same frame %d more times)\n", repeats);
}

}  // namespace ksyms
