// libFuzzer target: acpi::parse_root_table, each input read as an XSDT and as an RSDT
// (their signatures differ, so at most one read may succeed). Every entry reported must
// be the bytes at its slot inside the table's own length, in order, none skipped.
#include "fuzz_check.h"
#include <acpi/acpi.h>

namespace {

void check_root(std::span<const uint8_t> bytes, bool is_xsdt, acpi::Error error, const acpi::RootTable& root)
{
    FUZZ_CHECK(root.count <= acpi::kMaxRootEntries);
    if (error != acpi::Error::none && error != acpi::Error::truncated_entry) {
        FUZZ_CHECK(root.count == 0 && !root.truncated);
        return;
    }
    FUZZ_CHECK(acpi::validate_table(bytes, is_xsdt ? "XSDT" : "RSDT") == acpi::Error::none);
    const size_t entry_size = is_xsdt ? 8 : 4;
    const size_t body = fuzz::le32(bytes, 4) - sizeof(acpi::SdtHeader);
    const size_t slots = body / entry_size;
    FUZZ_CHECK((error == acpi::Error::truncated_entry) == (body % entry_size != 0));
    FUZZ_CHECK(root.count == (slots < acpi::kMaxRootEntries ? slots : acpi::kMaxRootEntries));
    FUZZ_CHECK(root.truncated == (slots > acpi::kMaxRootEntries));
    for (size_t i = 0; i < root.count; ++i) {
        const size_t at = sizeof(acpi::SdtHeader) + i * entry_size;
        FUZZ_CHECK(root.entries[i] == (is_xsdt ? fuzz::le64(bytes, at) : fuzz::le32(bytes, at)));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::span<const uint8_t> bytes(data, size);
    acpi::RootTable xsdt, rsdt;  // dirty, so a count or flag left unreset shows
    std::memset(static_cast<void*>(&xsdt), 0xA5, sizeof xsdt);
    std::memset(static_cast<void*>(&rsdt), 0xA5, sizeof rsdt);
    const acpi::Error xsdt_error = acpi::parse_root_table(bytes, true, xsdt);
    const acpi::Error rsdt_error = acpi::parse_root_table(bytes, false, rsdt);
    check_root(bytes, true, xsdt_error, xsdt);
    check_root(bytes, false, rsdt_error, rsdt);
    const auto parsed = [](acpi::Error e) { return e == acpi::Error::none || e == acpi::Error::truncated_entry; };
    FUZZ_CHECK(!(parsed(xsdt_error) && parsed(rsdt_error)));
    return 0;
}
