// libFuzzer target: acpi::parse_madt. Checked against an independent walk of the entry
// list written from the ACPI spec's entry layouts: every I/O APIC, override and NMI the
// parser reports is the entry at that position of the list, inside the table's length,
// nothing is invented or reordered, the lists stop at their capacities, and the CPU list
// holds each APIC ID at most once, each taken from a processor entry of the table.
#include "fuzz_check.h"
#include <acpi/acpi.h>
#include <vector>

namespace {

struct Entry {
    size_t offset;
    uint8_t type;
};

// The spec's length of each entry type the kernel interprets; 2 (type + length) for
// the rest.
size_t spec_length(uint8_t type)
{
    switch (type) {
    case 0: return 8;    // processor local APIC
    case 1: return 12;   // I/O APIC
    case 2: return 10;   // interrupt source override
    case 4: return 6;    // local APIC NMI
    case 5: return 12;   // local APIC address override
    case 9: return 16;   // processor local x2APIC
    case 0xA: return 12; // local x2APIC NMI
    default: return 2;
    }
}

// Entries from offset 44 to the table's length; stops at the first that does not fit.
// Returns false when it stopped early.
bool walk(std::span<const uint8_t> table, std::vector<Entry>& entries)
{
    for (size_t offset = 44; offset < table.size();) {
        if (table.size() - offset < 2)
            return false;
        const uint8_t type = table[offset], length = table[offset + 1];
        if (length < spec_length(type) || length > table.size() - offset)
            return false;
        entries.push_back({ offset, type });
        offset += length;
    }
    return true;
}

template<typename T>
size_t capped(size_t count, const T& array)
{
    const size_t capacity = sizeof array / sizeof array[0];
    return count < capacity ? count : capacity;
}

void check_against_walk(std::span<const uint8_t> table, const acpi::Madt& madt, bool walk_complete,
    const std::vector<Entry>& entries, acpi::Error error)
{
    FUZZ_CHECK((error == acpi::Error::none) == walk_complete);
    size_t ioapics = 0, overrides = 0, nmis = 0, unknown = 0;
    std::vector<uint32_t> cpu_ids;
    for (const Entry& e : entries) {
        const auto at = [&](size_t field) { return e.offset + field; };
        switch (e.type) {
        case 0:
            cpu_ids.push_back(table[at(3)]);
            break;
        case 9:
            cpu_ids.push_back(fuzz::le32(table, at(4)));
            break;
        case 1:
            if (ioapics < acpi::kMaxIoApics) {
                const acpi::MadtIoApic& io = madt.ioapics[ioapics];
                FUZZ_CHECK(io.id == table[at(2)] && io.address == fuzz::le32(table, at(4)));
                FUZZ_CHECK(io.gsi_base == fuzz::le32(table, at(8)));
            }
            ++ioapics;
            break;
        case 2:
            if (overrides < acpi::kMaxOverrides) {
                const acpi::MadtOverride& o = madt.overrides[overrides];
                FUZZ_CHECK(o.bus == table[at(2)] && o.source_irq == table[at(3)]);
                FUZZ_CHECK(o.gsi == fuzz::le32(table, at(4)));
            }
            ++overrides;
            break;
        case 4:
        case 0xA:
            if (nmis < acpi::kMaxNmis) {
                const acpi::MadtNmi& n = madt.nmis[nmis];
                FUZZ_CHECK(n.acpi_uid == (e.type == 4 ? table[at(2)] : fuzz::le32(table, at(4))));
                FUZZ_CHECK(n.lint == table[at(e.type == 4 ? 5 : 8)]);
            }
            ++nmis;
            break;
        case 5:
            break;
        default:
            ++unknown;
        }
    }
    FUZZ_CHECK(madt.ioapic_count == capped(ioapics, madt.ioapics));
    FUZZ_CHECK(madt.override_count == capped(overrides, madt.overrides));
    FUZZ_CHECK(madt.nmi_count == capped(nmis, madt.nmis));
    FUZZ_CHECK(madt.lists_truncated == (ioapics > acpi::kMaxIoApics || overrides > acpi::kMaxOverrides
                                           || nmis > acpi::kMaxNmis));
    FUZZ_CHECK(madt.unknown_entries == unknown);
    FUZZ_CHECK(madt.cpu_count <= cpu_ids.size());
    for (size_t i = 0; i < madt.cpu_count; ++i) {
        bool listed = false;
        for (uint32_t id : cpu_ids)
            listed = listed || id == madt.cpus[i].apic_id;
        FUZZ_CHECK(listed);
        for (size_t j = 0; j < i; ++j)
            FUZZ_CHECK(madt.cpus[j].apic_id != madt.cpus[i].apic_id);
        // 0xFF is the xAPIC broadcast ID: never a CPU to start.
        if (!madt.cpus[i].x2apic_entry && madt.cpus[i].apic_id == 0xFF)
            FUZZ_CHECK(!madt.cpus[i].enabled && !madt.cpus[i].online_capable);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::span<const uint8_t> bytes(data, size);
    static acpi::Madt madt;  // large; starts dirty so a field left unreset shows
    std::memset(static_cast<void*>(&madt), 0xA5, sizeof madt);
    const acpi::Error error = acpi::parse_madt(bytes, madt);

    FUZZ_CHECK(madt.cpu_count <= acpi::kMaxMadtCpus);
    FUZZ_CHECK(madt.ioapic_count <= acpi::kMaxIoApics);
    FUZZ_CHECK(madt.override_count <= acpi::kMaxOverrides);
    FUZZ_CHECK(madt.nmi_count <= acpi::kMaxNmis);
    const acpi::Error header = acpi::validate_table(bytes, "APIC");
    if (header != acpi::Error::none) {
        FUZZ_CHECK(error == header);
        FUZZ_CHECK(madt.cpu_count == 0 && madt.ioapic_count == 0 && madt.override_count == 0);
        FUZZ_CHECK(madt.nmi_count == 0 && madt.unknown_entries == 0 && madt.lapic_address == 0);
        return 0;
    }
    const auto table = bytes.first(fuzz::le32(bytes, 4));
    if (table.size() < 44) {
        FUZZ_CHECK(error == acpi::Error::bad_length);
        return 0;
    }
    FUZZ_CHECK(madt.lapic_address == fuzz::le32(table, 36));
    FUZZ_CHECK(madt.has_8259 == ((table[40] & 1) != 0));
    std::vector<Entry> entries;
    const bool complete = walk(table, entries);
    // A full CPU list drops later CPUs: the comparison with the walk still holds, since
    // it only asks that each reported CPU be listed.
    check_against_walk(table, madt, complete, entries, error);
    return 0;
}
