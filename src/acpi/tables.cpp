// The pure half of ACPI: RSDP, the generic SDT header, XSDT/RSDT, MADT, FADT and \_S5, parsed
// from byte spans the caller has mapped. Firmware tables are input like any other: every
// length is checked against the span before a byte is read, and every multi-byte field
// is assembled byte by byte (tables are packed; entries sit at odd addresses).
#include <acpi/acpi.h>
#include <lib/le_bytes.h>

namespace acpi {
namespace {

constexpr size_t kRsdpV1Size = 20;
constexpr size_t kRsdpV2Size = 36;
constexpr size_t kSdtHeaderSize = sizeof(SdtHeader);
constexpr size_t kMadtEntriesOffset = kSdtHeaderSize + 8;  // after local APIC address, flags
constexpr uint32_t kMadtPcatCompat = 1u << 0;
constexpr uint32_t kCpuEnabled = 1u << 0;
constexpr uint32_t kCpuOnlineCapable = 1u << 1;
constexpr uint8_t kXapicBroadcastId = 0xFF;

constexpr size_t kFadtDsdt = 40;  // u32
constexpr size_t kFadtPm1aControl = 64;  // u32 I/O port
constexpr size_t kFadtFlags = 112;  // u32
constexpr uint32_t kFadtResetRegSupported = 1u << 10;
constexpr size_t kFadtResetReg = 116;  // generic address
constexpr size_t kFadtResetValue = 128;  // u8
constexpr size_t kFadtXDsdt = 140;  // u64
constexpr size_t kFadtXPm1aControl = 172;  // generic address: space id, width, offset, size, u64
constexpr size_t kGenericAddressSize = 12;
constexpr uint8_t kAddressSpaceSystemIo = 1;
constexpr uint64_t kMaxIoPort = 0xFFFF;

enum AmlOpcode : uint8_t {
    aml_zero = 0x00,
    aml_one = 0x01,
    aml_name = 0x08,
    aml_byte_prefix = 0x0A,
    aml_word_prefix = 0x0B,
    aml_dword_prefix = 0x0C,
    aml_package = 0x12,
    aml_root_prefix = '\\',
};

enum MadtEntryType : uint8_t {
    entry_local_apic = 0,
    entry_io_apic = 1,
    entry_interrupt_override = 2,
    entry_local_apic_nmi = 4,
    entry_local_apic_address_override = 5,
    entry_local_x2apic = 9,
    entry_local_x2apic_nmi = 0xA,
};

// Smallest length each interpreted entry type needs for the fields read below.
constexpr size_t minimum_entry_length(uint8_t type) {
    switch (type) {
        case entry_local_apic:
            return 8;
        case entry_io_apic:
            return 12;
        case entry_interrupt_override:
            return 10;
        case entry_local_apic_nmi:
            return 6;
        case entry_local_apic_address_override:
            return 12;
        case entry_local_x2apic:
            return 16;
        case entry_local_x2apic_nmi:
            return 12;
        default:
            return 2;
    }
}

bool has_signature(std::span<const uint8_t> bytes, const char* signature, size_t length) {
    for (size_t i = 0; i < length; ++i) {
        // A shorter expected signature ends at its NUL, which no table byte may match.
        if (signature[i] == '\0' || bytes[i] != static_cast<uint8_t>(signature[i])) return false;
    }
    return true;
}

bool usable(const MadtCpu& cpu) { return cpu.enabled || cpu.online_capable; }

// One entry per APIC ID. Firmware may list a CPU twice (an xAPIC and an x2APIC entry)
// or list unpopulated sockets as disabled placeholders sharing an ID; starting a CPU
// twice would be far worse than missing a placeholder, so a usable listing wins and
// later duplicates are dropped.
void add_cpu(Madt& out, const MadtCpu& cpu) {
    for (size_t i = 0; i < out.cpu_count; ++i) {
        if (out.cpus[i].apic_id != cpu.apic_id) continue;
        if (!usable(out.cpus[i]) && usable(cpu)) out.cpus[i] = cpu;
        return;
    }
    if (out.cpu_count == kMaxMadtCpus) {
        out.cpus_truncated = true;
        return;
    }
    out.cpus[out.cpu_count++] = cpu;
}

template <typename T, size_t N>
void append(T (&array)[N], size_t& count, const T& value, bool& truncated) {
    if (count == N) {
        truncated = true;
        return;
    }
    array[count++] = value;
}

MadtCpu cpu_from_flags(uint32_t apic_id, uint32_t acpi_uid, uint32_t flags, bool x2apic_entry) {
    return MadtCpu{
        .apic_id = apic_id,
        .acpi_uid = acpi_uid,
        .enabled = (flags & kCpuEnabled) != 0,
        // Only meaningful when not enabled (ACPI 6.3+), kept as found.
        .online_capable = (flags & kCpuOnlineCapable) != 0,
        .x2apic_entry = x2apic_entry,
    };
}

// `entry` spans exactly the entry's length, which is at least minimum_entry_length(type).
void parse_madt_entry(std::span<const uint8_t> entry, Madt& out) {
    const uint8_t* p = entry.data();
    switch (p[0]) {
        case entry_local_apic: {
            // 0xFF is the xAPIC broadcast ID, used by some firmware for empty sockets; an
            // IPI to it would reach every CPU, so such an entry is never usable.
            const uint32_t flags = p[3] == kXapicBroadcastId ? 0 : lib::load_le32(p + 4);
            add_cpu(out, cpu_from_flags(p[3], p[2], flags, false));
            return;
        }
        case entry_local_x2apic:
            add_cpu(out, cpu_from_flags(lib::load_le32(p + 4), lib::load_le32(p + 12), lib::load_le32(p + 8), true));
            return;
        case entry_io_apic:
            append(out.ioapics, out.ioapic_count,
                   MadtIoApic{.id = p[2], .address = lib::load_le32(p + 4), .gsi_base = lib::load_le32(p + 8)},
                   out.lists_truncated);
            return;
        case entry_interrupt_override:
            append(out.overrides, out.override_count,
                   MadtOverride{
                       .bus = p[2], .source_irq = p[3], .gsi = lib::load_le32(p + 4), .flags = lib::load_le16(p + 8)},
                   out.lists_truncated);
            return;
        case entry_local_apic_nmi:
            append(out.nmis, out.nmi_count,
                   MadtNmi{.acpi_uid = p[2], .flags = lib::load_le16(p + 3), .lint = p[5], .all_cpus = p[2] == 0xFF},
                   out.lists_truncated);
            return;
        case entry_local_x2apic_nmi: {
            const uint32_t uid = lib::load_le32(p + 4);
            append(
                out.nmis, out.nmi_count,
                MadtNmi{.acpi_uid = uid, .flags = lib::load_le16(p + 2), .lint = p[8], .all_cpus = uid == 0xFFFFFFFF},
                out.lists_truncated);
            return;
        }
        case entry_local_apic_address_override:
            out.lapic_address_override = lib::load_le64(p + 4);
            return;
        default:
            ++out.unknown_entries;
            return;
    }
}

void reset(Madt& out) {
    out.lapic_address = 0;
    out.lapic_address_override = 0;
    out.has_8259 = false;
    out.cpu_count = 0;
    out.cpus_truncated = false;
    out.ioapic_count = 0;
    out.override_count = 0;
    out.nmi_count = 0;
    out.unknown_entries = 0;
    out.lists_truncated = false;
}

}  // namespace

const char* to_string(Error e) {
    switch (e) {
        case Error::none:
            return "ok";
        case Error::too_short:
            return "shorter than its fixed header";
        case Error::bad_signature:
            return "bad signature";
        case Error::bad_checksum:
            return "bad checksum";
        case Error::bad_length:
            return "length field too small or past the mapped bytes";
        case Error::bad_revision:
            return "unsupported revision";
        case Error::not_found:
            return "not found";
        case Error::truncated_entry:
            return "an entry is truncated or malformed";
    }
    return "unknown error";
}

bool checksum_ok(std::span<const uint8_t> bytes) {
    uint8_t sum = 0;
    for (uint8_t byte : bytes) sum = static_cast<uint8_t>(sum + byte);
    return sum == 0;
}

Error parse_rsdp(std::span<const uint8_t> bytes, Rsdp& out) {
    out = Rsdp{};
    if (bytes.size() < kRsdpV1Size) return Error::too_short;
    if (!has_signature(bytes, "RSD PTR ", 8)) return Error::bad_signature;
    if (!checksum_ok(bytes.first(kRsdpV1Size))) return Error::bad_checksum;
    const uint8_t revision = bytes[15];
    const uint32_t rsdt_phys = lib::load_le32(bytes.data() + 16);

    // An ACPI 2.0+ RSDP handed over as its 20-byte v1 prefix (GRUB's "old RSDP" tag on
    // newer firmware) is still a valid v1 RSDP: the RSDT it names is covered by the
    // first checksum. Only the XSDT address is unknown.
    if (revision >= 2 && bytes.size() >= kRsdpV2Size) {
        const uint32_t length = lib::load_le32(bytes.data() + 20);
        if (length < kRsdpV2Size || length > bytes.size()) return Error::bad_length;
        if (!checksum_ok(bytes.first(length))) return Error::bad_checksum;
        out.xsdt_phys = lib::load_le64(bytes.data() + 24);
    }
    out.revision = revision;
    out.rsdt_phys = rsdt_phys;
    return Error::none;
}

Error validate_table(std::span<const uint8_t> bytes, const char* signature) {
    if (bytes.size() < kSdtHeaderSize) return Error::too_short;
    if (signature && !has_signature(bytes, signature, 4)) return Error::bad_signature;
    const uint32_t length = lib::load_le32(bytes.data() + 4);
    if (length < kSdtHeaderSize || length > bytes.size()) return Error::bad_length;
    if (!checksum_ok(bytes.first(length))) return Error::bad_checksum;
    return Error::none;
}

Error parse_root_table(std::span<const uint8_t> bytes, bool is_xsdt, RootTable& out) {
    out.count = 0;
    out.truncated = false;
    if (const Error error = validate_table(bytes, is_xsdt ? "XSDT" : "RSDT"); error != Error::none) return error;
    const size_t entry_size = is_xsdt ? 8 : 4;
    const auto entries = bytes.first(lib::load_le32(bytes.data() + 4)).subspan(kSdtHeaderSize);
    for (size_t offset = 0; entries.size() - offset >= entry_size; offset += entry_size) {
        if (out.count == kMaxRootEntries) {
            out.truncated = true;
            break;
        }
        const uint8_t* entry = entries.data() + offset;
        out.entries[out.count++] = is_xsdt ? lib::load_le64(entry) : lib::load_le32(entry);
    }
    return entries.size() % entry_size == 0 ? Error::none : Error::truncated_entry;
}

Error parse_madt(std::span<const uint8_t> bytes, Madt& out) {
    reset(out);
    if (const Error error = validate_table(bytes, "APIC"); error != Error::none) return error;
    const auto table = bytes.first(lib::load_le32(bytes.data() + 4));
    if (table.size() < kMadtEntriesOffset) return Error::bad_length;
    out.lapic_address = lib::load_le32(table.data() + kSdtHeaderSize);
    out.has_8259 = (lib::load_le32(table.data() + kSdtHeaderSize + 4) & kMadtPcatCompat) != 0;

    // Entries are {u8 type, u8 length, ...}. A length that cannot even cover those two
    // bytes would stall the walk, and one past the end would read outside the table:
    // both end the walk, keeping what came before.
    size_t offset = kMadtEntriesOffset;
    while (offset < table.size()) {
        if (table.size() - offset < 2) return Error::truncated_entry;
        const uint8_t type = table[offset];
        const uint8_t length = table[offset + 1];
        if (length < 2 || length < minimum_entry_length(type) || length > table.size() - offset)
            return Error::truncated_entry;
        parse_madt_entry(table.subspan(offset, length), out);
        offset += length;
    }
    return Error::none;
}

Error parse_fadt(std::span<const uint8_t> bytes, Fadt& out) {
    out = Fadt{};
    if (const Error error = validate_table(bytes, "FACP"); error != Error::none) return error;
    const auto table = bytes.first(lib::load_le32(bytes.data() + 4));
    if (table.size() < kFadtDsdt + 4) return Error::bad_length;
    out.dsdt_phys = lib::load_le32(table.data() + kFadtDsdt);
    if (table.size() >= kFadtXDsdt + 8) {
        if (const uint64_t x_dsdt = lib::load_le64(table.data() + kFadtXDsdt); x_dsdt != 0) out.dsdt_phys = x_dsdt;
    }
    if (table.size() >= kFadtPm1aControl + 4) {
        const uint32_t port = lib::load_le32(table.data() + kFadtPm1aControl);
        if (port <= kMaxIoPort) out.pm1a_control_port = static_cast<uint16_t>(port);
    }
    if (table.size() >= kFadtXPm1aControl + kGenericAddressSize) {
        const uint8_t* gas = table.data() + kFadtXPm1aControl;
        const uint64_t port = lib::load_le64(gas + 4);
        if (gas[0] == kAddressSpaceSystemIo && port != 0 && port <= kMaxIoPort)
            out.pm1a_control_port = static_cast<uint16_t>(port);
    }
    if (table.size() > kFadtResetValue &&
        (lib::load_le32(table.data() + kFadtFlags) & kFadtResetRegSupported) != 0) {
        const uint8_t* gas = table.data() + kFadtResetReg;
        out.reset_space = gas[0];
        out.reset_address = lib::load_le64(gas + 4);
        out.reset_value = table[kFadtResetValue];
        out.has_reset = out.reset_address != 0;
        if (!out.has_reset) out.reset_space = out.reset_value = 0;
    }
    return Error::none;
}

Error find_s5(std::span<const uint8_t> bytes, uint32_t& slp_typa) {
    slp_typa = 0;
    if (const Error error = validate_table(bytes, "DSDT"); error != Error::none) return error;
    const auto aml = bytes.first(lib::load_le32(bytes.data() + 4)).subspan(kSdtHeaderSize);
    const size_t n = aml.size();
    for (size_t i = 1; i + 4 <= n; ++i) {
        if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_') continue;
        const bool name_op = aml[i - 1] == aml_name || (i >= 2 && aml[i - 1] == aml_root_prefix && aml[i - 2] == aml_name);
        if (!name_op || i + 4 >= n || aml[i + 4] != aml_package) continue;

        // PkgLength (ACPI 6.5 §20.2.4): bits 7-6 of the lead byte count the bytes that
        // follow it (0-3); with none, bits 5-0 are the length, else bits 3-0 are its low
        // nibble and each following byte adds 8 bits. The length counts itself and
        // everything after it in the package.
        const size_t length_at = i + 5;
        if (length_at >= n) return Error::truncated_entry;
        const uint8_t lead = aml[length_at];
        const size_t follow = lead >> 6;
        if (n - length_at <= follow) return Error::truncated_entry;
        uint32_t length = follow == 0 ? (lead & 0x3F) : (lead & 0x0F);
        for (size_t k = 1; k <= follow; ++k) length |= static_cast<uint32_t>(aml[length_at + k]) << (4 + 8 * (k - 1));
        if (length > n - length_at) return Error::truncated_entry;
        const auto package = aml.subspan(length_at, length);

        // NumElements, then the first element.
        size_t at = 1 + follow;
        if (at >= package.size() || package[at] == 0) return Error::truncated_entry;
        ++at;
        if (at >= package.size()) return Error::truncated_entry;
        const uint8_t op = package[at];
        const size_t rest = package.size() - at - 1;
        switch (op) {
            case aml_zero:
            case aml_one:
                slp_typa = op;
                return Error::none;
            case aml_byte_prefix:
                if (rest < 1) return Error::truncated_entry;
                slp_typa = package[at + 1];
                return Error::none;
            case aml_word_prefix:
                if (rest < 2) return Error::truncated_entry;
                slp_typa = lib::load_le16(package.data() + at + 1);
                return Error::none;
            case aml_dword_prefix:
                if (rest < 4) return Error::truncated_entry;
                slp_typa = lib::load_le32(package.data() + at + 1);
                return Error::none;
            default:
                return Error::truncated_entry;
        }
    }
    return Error::not_found;
}

}  // namespace acpi
