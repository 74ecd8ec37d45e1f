// ACPI glue: locate the tables in physical memory, hand their bytes to the pure parsers in
// tables.cpp, keep the MADT and the few FADT/DSDT facts the kernel uses. Table bytes come
// from firmware and are untrusted: every length is checked before the bytes it covers are
// mapped or read, and every failure is one log line and a fallback, never a crash.
#include <cstring>
#include <span>

#include "acpi/platform.h"
#include "arch/x86_64/cpu.h"
#include "lib/log.h"
#include "mm/layout.h"
#include "mm/paging.h"

namespace acpi {
namespace {

Platform g_platform;

constexpr uint64_t kMaxPhys = 1ull << 46;  // the direct map spans 64 TiB
constexpr uint32_t kMaxRootLength = 36 + 8 * 4096;  // far more entries than we keep
constexpr uint32_t kMaxTableLength = 1u << 20;  // MADT/FADT
constexpr uint32_t kMaxDsdtLength = 4u << 20;

// Direct-map view of [phys, phys+len). The kernel's direct map may leave firmware regions
// out, so any missing page is mapped read-only and non-executable first.
const uint8_t* map_phys(uint64_t phys, size_t len) {
    if (len == 0 || phys >= kMaxPhys || len > kMaxPhys - phys) return nullptr;
    for (uint64_t page = mm::align_down(phys, mm::kPageSize); page < phys + len; page += mm::kPageSize) {
        uint64_t virt = reinterpret_cast<uint64_t>(mm::phys_to_virt(page));
        if (mm::virt_to_phys(virt) != ~0ull) continue;
        if (!mm::map_page(virt, page, mm::kPageNoExecute)) return nullptr;
    }
    return mm::phys_to_ptr<const uint8_t>(phys);
}

template <typename T>
T read_at(const uint8_t* p) {
    T v;
    memcpy(&v, p, sizeof v);
    return v;
}

// Maps the header, checks the length against `max_len`, maps the rest, validates.
Error map_table(uint64_t phys, const char* signature, uint32_t max_len, std::span<const uint8_t>& out) {
    const uint8_t* header = map_phys(phys, sizeof(SdtHeader));
    if (!header) return Error::not_found;
    uint32_t length = read_at<uint32_t>(header + 4);
    if (length < sizeof(SdtHeader) || length > max_len) return Error::bad_length;
    const uint8_t* bytes = map_phys(phys, length);
    if (!bytes) return Error::not_found;
    out = std::span<const uint8_t>(bytes, length);
    return validate_table(out, signature);
}

bool find_rsdp_in(uint64_t start, uint64_t end, Rsdp& out) {
    const uint8_t* base = map_phys(start, end - start);
    if (!base) return false;
    for (uint64_t off = 0; off + 20 <= end - start; off += 16) {
        if (memcmp(base + off, "RSD PTR ", 8) != 0) continue;
        size_t avail = end - start - off < 36 ? end - start - off : 36;
        if (parse_rsdp(std::span<const uint8_t>(base + off, avail), out) == Error::none) return true;
    }
    return false;
}

bool find_rsdp(std::span<const uint8_t> loader_rsdp, Rsdp& out) {
    if (loader_rsdp.size() >= 20) {
        Error e = parse_rsdp(loader_rsdp, out);
        if (e == Error::none) return true;
        log_warn("acpi: RSDP from the multiboot2 tag is invalid (%s); scanning memory", to_string(e));
    }
    // BIOS: the first KiB of the EBDA (segment at 0x40e), then the ROM area.
    const uint8_t* bda = map_phys(0x40e, 2);
    uint64_t ebda = bda ? uint64_t(read_at<uint16_t>(bda)) << 4 : 0;
    if (ebda >= 0x80000 && ebda < 0xa0000 && find_rsdp_in(ebda, ebda + 1024, out)) return true;
    return find_rsdp_in(0xe0000, 0x100000, out);
}

}  // namespace

const Platform& platform() { return g_platform; }

namespace {

// Maps the XSDT (or, failing it, the RSDT) that `rsdp` names. False when neither is usable.
bool map_root(const Rsdp& rsdp, std::span<const uint8_t>& root, bool& is_xsdt) {
    Error e = Error::not_found;
    is_xsdt = false;
    if (rsdp.xsdt_phys) {
        e = map_table(rsdp.xsdt_phys, "XSDT", kMaxRootLength, root);
        if (e == Error::none) {
            is_xsdt = true;
            return true;
        }
        log_warn("acpi: XSDT at 0x%lx unusable (%s); trying the RSDT", (unsigned long)rsdp.xsdt_phys, to_string(e));
    }
    e = rsdp.rsdt_phys ? map_table(rsdp.rsdt_phys, "RSDT", kMaxRootLength, root) : Error::not_found;
    if (e != Error::none) {
        log_warn("acpi: RSDT at 0x%lx unusable (%s); booting one CPU", (unsigned long)rsdp.rsdt_phys, to_string(e));
        return false;
    }
    return true;
}

// Parses the MADT at `phys` into g_platform.madt; a truncated table still counts when it
// listed CPUs before its malformed entry.
void read_madt(uint64_t phys) {
    std::span<const uint8_t> table;
    Error e = map_table(phys, "APIC", kMaxTableLength, table);
    if (e == Error::none) e = parse_madt(table, g_platform.madt);
    if (e == Error::truncated_entry && g_platform.madt.cpu_count > 0) {
        // Entries before the malformed one were parsed; boot with those CPUs.
        log_warn("acpi: MADT has a malformed entry (%s); using the %zu CPUs listed before it", to_string(e),
                 g_platform.madt.cpu_count);
        g_platform.has_madt = true;
    } else if (e != Error::none) {
        log_warn("acpi: MADT unusable (%s); booting one CPU", to_string(e));
    } else {
        g_platform.has_madt = true;
    }
}

// Reads the FADT at `phys`: the power-off and reset registers, and the DSDT's address.
void read_fadt_at(uint64_t phys, uint64_t& dsdt_phys) {
    std::span<const uint8_t> table;
    Fadt fadt;
    Error e = map_table(phys, "FACP", kMaxTableLength, table);
    if (e == Error::none) e = parse_fadt(table, fadt);
    if (e != Error::none) {
        log_warn("acpi: FADT unusable (%s); no ACPI power-off or reset register", to_string(e));
        return;
    }
    g_platform.fadt_phys = phys;
    g_platform.fadt = fadt;
    dsdt_phys = fadt.dsdt_phys;
}

// Looks for \_S5 in the DSDT at `phys`. Without it, `poweroff` guesses SLP_TYP.
void read_dsdt(uint64_t phys) {
    std::span<const uint8_t> dsdt;
    Error e = map_table(phys, "DSDT", kMaxDsdtLength, dsdt);
    if (e != Error::none) {
        log_warn("acpi: DSDT at 0x%lx unusable (%s)", (unsigned long)phys, to_string(e));
        return;
    }
    uint32_t slp_typa = 0;
    e = find_s5(dsdt, slp_typa);
    if (e == Error::not_found) return;  // log_platform() says so
    if (e != Error::none) {
        log_warn("acpi: DSDT: \\_S5 unreadable (%s)", to_string(e));
        g_platform.s5 = Platform::S5::unusable;
    } else if (slp_typa > 7) {
        log_warn("acpi: DSDT: \\_S5 SLP_TYPa %u does not fit its 3-bit field", slp_typa);
        g_platform.s5 = Platform::S5::unusable;
    } else {
        g_platform.s5 = Platform::S5::found;
        g_platform.slp_typa_s5 = static_cast<uint8_t>(slp_typa);
    }
}

void log_platform() {
    const Madt& m = g_platform.madt;
    if (g_platform.has_madt) {
        size_t enabled = 0;
        for (size_t i = 0; i < m.cpu_count; ++i) enabled += m.cpus[i].enabled;
        log_info("acpi: MADT: %zu CPUs (%zu enabled)%s, %zu IOAPICs, %zu overrides, %zu NMI entries, LAPIC 0x%lx%s",
                 m.cpu_count, enabled, m.cpus_truncated ? " (list truncated)" : "", m.ioapic_count, m.override_count,
                 m.nmi_count, (unsigned long)(m.lapic_address_override ? m.lapic_address_override : m.lapic_address),
                 m.has_8259 ? ", 8259 present" : "");
    } else {
        log_warn("acpi: no usable MADT; booting one CPU");
    }
    const char* s5 = g_platform.s5 == Platform::S5::unusable ? "unusable" : "not found";
    if (g_platform.fadt.pm1a_control_port && g_platform.s5 == Platform::S5::found)
        log_info("acpi: PM1a_CNT port 0x%x, \\_S5 found (SLP_TYPa %u)", g_platform.fadt.pm1a_control_port,
                 g_platform.slp_typa_s5);
    else if (g_platform.fadt.pm1a_control_port)
        log_info("acpi: PM1a_CNT port 0x%x, \\_S5 %s: poweroff will try the common SLP_TYP values",
                 g_platform.fadt.pm1a_control_port, s5);
    else if (g_platform.fadt_phys)
        log_warn("acpi: the FADT names no usable PM1a_CNT port; no ACPI power-off");
}

}  // namespace

bool discover(std::span<const uint8_t> loader_rsdp) {
    Rsdp rsdp;
    if (!find_rsdp(loader_rsdp, rsdp)) {
        log_warn("acpi: no RSDP found; booting one CPU with default interrupt routing");
        return false;
    }
    std::span<const uint8_t> root;
    bool is_xsdt = false;
    if (!map_root(rsdp, root, is_xsdt)) return false;
    static RootTable entries;  // 512 bytes: keep it off the boot stack
    Error e = parse_root_table(root, is_xsdt, entries);
    if (e == Error::truncated_entry && entries.count > 0) {
        // The parser kept every whole entry before the fault; use them.
        log_warn("acpi: %s has a truncated last entry; using the %zu whole ones", is_xsdt ? "XSDT" : "RSDT",
                 entries.count);
    } else if (e != Error::none) {
        log_warn("acpi: %s entries unreadable (%s); booting one CPU", is_xsdt ? "XSDT" : "RSDT", to_string(e));
        return false;
    }
    log_info("acpi: RSDP revision %u, %s with %zu tables", rsdp.revision, is_xsdt ? "XSDT" : "RSDT", entries.count);

    uint64_t dsdt_phys = 0;
    for (size_t i = 0; i < entries.count; ++i) {
        uint64_t phys = entries.entries[i];
        const uint8_t* header = map_phys(phys, sizeof(SdtHeader));
        if (!header) {
            log_warn("acpi: table %zu at 0x%lx cannot be mapped, skipped", i, (unsigned long)phys);
            continue;
        }
        if (memcmp(header, "APIC", 4) == 0 && !g_platform.has_madt)
            read_madt(phys);
        else if (memcmp(header, "FACP", 4) == 0 && !g_platform.fadt_phys)
            read_fadt_at(phys, dsdt_phys);
    }
    if (dsdt_phys) read_dsdt(dsdt_phys);
    log_platform();
    return g_platform.has_madt;
}

void power_off() {
    if (!g_platform.fadt.pm1a_control_port || g_platform.s5 != Platform::S5::found) return;
    // SLP_TYPx in bits 10-12, SLP_EN is bit 13.
    arch::outw(g_platform.fadt.pm1a_control_port, uint16_t(g_platform.slp_typa_s5 << 10 | 1u << 13));
}

}  // namespace acpi
