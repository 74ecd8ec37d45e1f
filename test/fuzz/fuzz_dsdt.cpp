// libFuzzer target: acpi::find_s5. Each input is parsed twice: as it is, and made a valid
// DSDT (signature, length = the input's size, checksum fixed) so that the AML search runs
// on almost every input. Checked against an independent reading of the AML grammar's few
// rules involved (ACPI 6.5 §20.2): the first `Name(_S5_, Package ...)` of the AML decides;
// not_found exactly when there is none; a success gives the first element's value with
// every byte it read inside the package and the package inside the table; failures leave
// 0; bytes past the table's length never change the result.
#include "fuzz_check.h"
#include <acpi/acpi.h>
#include <optional>
#include <vector>

namespace {

// Offset in `aml` of the first "_S5_" named by a NameOp (0x08, or 0x08 '\') and followed
// by a PackageOp (0x12).
std::optional<size_t> first_named_package(std::span<const uint8_t> aml)
{
    for (size_t i = 1; i + 5 <= aml.size(); ++i) {
        if (std::memcmp(aml.data() + i, "_S5_", 4) != 0 || aml[i + 4] != 0x12)
            continue;
        if (aml[i - 1] == 0x08 || (i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == 0x08))
            return i;
    }
    return std::nullopt;
}

// The value of the first element of the package whose PkgLength starts at `at`, or
// nothing when the package or the element does not fit.
std::optional<uint32_t> first_element(std::span<const uint8_t> aml, size_t at)
{
    if (at >= aml.size())
        return std::nullopt;
    const size_t extra = aml[at] >> 6;
    uint64_t length = extra ? aml[at] & 0x0F : aml[at] & 0x3F;
    for (size_t k = 0; k < extra; ++k) {
        if (at + 1 + k >= aml.size())
            return std::nullopt;
        length += uint64_t(aml[at + 1 + k]) << (4 + 8 * k);
    }
    const uint64_t end = at + length;  // PkgLength counts its own bytes
    if (end > aml.size())
        return std::nullopt;
    const uint64_t count_at = at + 1 + extra, element = count_at + 1;
    if (element >= end || aml[count_at] == 0)
        return std::nullopt;
    auto value = [&](size_t bytes) -> std::optional<uint32_t> {
        if (element + bytes >= end)
            return std::nullopt;
        uint32_t v = 0;
        for (size_t k = 0; k < bytes; ++k)
            v |= uint32_t(aml[element + 1 + k]) << (8 * k);
        return v;
    };
    switch (aml[element]) {
    case 0x00: return 0u;
    case 0x01: return 1u;
    case 0x0A: return value(1);
    case 0x0B: return value(2);
    case 0x0C: return value(4);
    default: return std::nullopt;
    }
}

void check(std::span<const uint8_t> bytes)
{
    uint32_t slp_typa = 0xA5A5A5A5;  // a stale value the parser must clear
    const acpi::Error error = acpi::find_s5(bytes, slp_typa);
    const acpi::Error header = acpi::validate_table(bytes, "DSDT");
    if (header != acpi::Error::none) {
        FUZZ_CHECK(error == header && slp_typa == 0);
        return;
    }
    const size_t length = fuzz::le32(bytes, 4);
    const auto aml = bytes.first(length).subspan(sizeof(acpi::SdtHeader));
    const auto name = first_named_package(aml);
    if (!name) {
        FUZZ_CHECK(error == acpi::Error::not_found && slp_typa == 0);
    } else if (const auto value = first_element(aml, *name + 5)) {
        FUZZ_CHECK(error == acpi::Error::none && slp_typa == *value);
    } else {
        FUZZ_CHECK(error == acpi::Error::truncated_entry && slp_typa == 0);
    }

    std::vector<uint8_t> longer(bytes.begin(), bytes.begin() + length);
    longer.resize(length + 64, 0x12);  // PackageOps past the end must not be read
    uint32_t again = 0;
    FUZZ_CHECK(acpi::find_s5(longer, again) == error && again == slp_typa);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    check(std::span<const uint8_t>(data, size));
    if (size >= sizeof(acpi::SdtHeader))
        check(fuzz::as_valid_table(data, size, "DSDT"));
    return 0;
}
