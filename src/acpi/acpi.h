// ACPI table discovery and the MADT. Pure parsers over byte spans (host-tested); the
// kernel glue maps physical memory and hands them the bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace acpi {

enum class Error { none, too_short, bad_signature, bad_checksum, bad_length, bad_revision, not_found, truncated_entry };
const char* to_string(Error e);

bool checksum_ok(std::span<const uint8_t> bytes);

struct Rsdp {
    uint8_t revision = 0;
    uint64_t rsdt_phys = 0;
    uint64_t xsdt_phys = 0;  // 0 when revision < 2
};
// v1 (20 bytes) checks the first checksum; v2 also the extended one over `length`.
Error parse_rsdp(std::span<const uint8_t> bytes, Rsdp& out);

// Header of any SDT; `length` is checked against the span.
struct SdtHeader {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __attribute__((packed));
static_assert(sizeof(SdtHeader) == 36);

// Validates signature (if non-null), length and checksum of a whole table.
Error validate_table(std::span<const uint8_t> bytes, const char* signature);

// Entries of an XSDT (8-byte) or RSDT (4-byte) as physical addresses.
constexpr size_t kMaxRootEntries = 64;
struct RootTable {
    uint64_t entries[kMaxRootEntries];
    size_t count = 0;
    bool truncated = false;  // more than kMaxRootEntries entries; the first ones are kept
};
Error parse_root_table(std::span<const uint8_t> bytes, bool is_xsdt, RootTable& out);

constexpr size_t kMaxMadtCpus = 256;
constexpr size_t kMaxIoApics = 8;
constexpr size_t kMaxOverrides = 16;
constexpr size_t kMaxNmis = 16;

struct MadtCpu {
    uint32_t apic_id;
    uint32_t acpi_uid;
    bool enabled;
    bool online_capable;
    bool x2apic_entry;
};
struct MadtIoApic {
    uint8_t id;
    uint32_t address;
    uint32_t gsi_base;
};
struct MadtOverride {
    uint8_t bus;
    uint8_t source_irq;
    uint32_t gsi;
    uint16_t flags;
};
struct MadtNmi {
    uint32_t acpi_uid;
    uint16_t flags;
    uint8_t lint;
    bool all_cpus;
};

struct Madt {
    uint32_t lapic_address = 0;
    uint64_t lapic_address_override = 0;  // from a type-5 entry, 0 when none
    bool has_8259 = false;  // PCAT_COMPAT
    MadtCpu cpus[kMaxMadtCpus];
    size_t cpu_count = 0;
    bool cpus_truncated = false;
    MadtIoApic ioapics[kMaxIoApics];
    size_t ioapic_count = 0;
    MadtOverride overrides[kMaxOverrides];
    size_t override_count = 0;
    MadtNmi nmis[kMaxNmis];
    size_t nmi_count = 0;
    uint32_t unknown_entries = 0;  // entry types this parser does not interpret
    bool lists_truncated = false;  // an IOAPIC, override or NMI list was full
};
// `bytes` is the whole MADT including its header (validated here).
Error parse_madt(std::span<const uint8_t> bytes, Madt& out);

// The FADT ("FACP") facts the kernel uses for soft-off and reset. Offsets from ACPI 6.5
// §5.2.9: DSDT (u32 at 40), PM1a_CNT_BLK (u32 I/O port at 64), Flags (u32 at 112),
// RESET_REG (12-byte generic address at 116: space id, width, offset, access size, u64
// address), RESET_VALUE (u8 at 128), X_DSDT (u64 at 140), X_PM1a_CNT_BLK (generic address
// at 172). A field past the table's own length is absent (an ACPI 1.0 FADT is 116 bytes).
// X_DSDT wins when nonzero. X_PM1a_CNT_BLK wins only when it names a system-I/O port of at
// most 0xFFFF; otherwise PM1a_CNT_BLK stands, itself a port only when at most 0xFFFF.
struct Fadt {
    uint64_t dsdt_phys = 0;
    uint16_t pm1a_control_port = 0;  // 0: none usable
    // RESET_REG when Flags.RESET_REG_SUP (bit 10) is set, RESET_VALUE is inside the table
    // and the address is nonzero; the caller decides which address spaces it can write.
    bool has_reset = false;
    uint8_t reset_space = 0;  // 0 system memory, 1 system I/O, 2 PCI configuration, ...
    uint64_t reset_address = 0;
    uint8_t reset_value = 0;
};
// `bytes` is the whole FADT including its header (validated here); bad_length when the
// table ends before the DSDT field.
Error parse_fadt(std::span<const uint8_t> bytes, Fadt& out);

// SLP_TYPa for S5 from the DSDT (the whole table, validated here), read without an AML
// interpreter: the first `Name(_S5, Package(){ SLP_TYPa, ... })` of the AML, i.e. NameOp
// (0x08), optionally a root prefix '\', "_S5_", PackageOp (0x12), PkgLength, NumElements,
// then the first element as ZeroOp, OneOp or a Byte/Word/DWord constant. not_found when
// the AML holds no such object; truncated_entry when the package runs past the table,
// holds no element, or its first element is of another kind.
Error find_s5(std::span<const uint8_t> bytes, uint32_t& slp_typa);

// Kernel glue (src/acpi/acpi_kernel.cpp): find RSDP from the multiboot info or by
// scanning the BIOS areas, walk XSDT/RSDT, parse the MADT. Logs one readable line per
// problem; returns false when no usable MADT exists (the caller then boots 1 CPU).
struct Platform {
    Madt madt;
    bool has_madt = false;
    uint64_t fadt_phys = 0;  // 0: no usable FADT
    Fadt fadt;  // PM1a_CNT port (0 when unknown) and the reset register
    enum class S5 : uint8_t { not_found, found, unusable } s5 = S5::not_found;
    uint8_t slp_typa_s5 = 0;  // SLP_TYPa for S5 when s5 == found (0..7)
};

}  // namespace acpi
