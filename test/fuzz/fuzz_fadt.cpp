// libFuzzer target: acpi::parse_fadt. Each input is parsed twice: as it is, and made a
// valid FADT (signature "FACP", length = the input's size, checksum fixed) so that the
// fields behind the header are reached on almost every input. A success must give exactly
// the fields ACPI 6.5 §5.2.9 places inside the table's own length, read here from a table
// of offsets and sizes: X_DSDT over DSDT when present and nonzero; PM1a_CNT_BLK, or
// X_PM1a_CNT_BLK when present, in system I/O space and nonzero; a port only when it fits
// 16 bits; the reset register only when RESET_REG_SUP is set. A failure leaves every field
// zero, and bytes past the table's length never change the result.
#include "fuzz_check.h"
#include <acpi/acpi.h>
#include <optional>
#include <vector>

namespace {

// A field of ACPI 6.5 Table 5.9 by offset and size; absent when it does not end inside
// the table.
struct Field {
    size_t offset, size;
};
constexpr Field kDsdt { 40, 4 }, kPm1aControl { 64, 4 }, kFlags { 112, 4 }, kResetReg { 116, 12 },
    kResetValue { 128, 1 }, kXDsdt { 140, 8 }, kXPm1aControl { 172, 12 };

std::optional<uint64_t> field(std::span<const uint8_t> table, Field f, size_t at = 0, size_t size = 0)
{
    if (f.offset + f.size > table.size())
        return std::nullopt;
    uint64_t v = 0;
    for (size_t k = 0; k < (size ? size : f.size); ++k)
        v |= uint64_t(table[f.offset + at + k]) << (8 * k);
    return v;
}

// The fields as the spec's table gives them: X_DSDT over DSDT when nonzero; X_PM1a_CNT_BLK
// over PM1a_CNT_BLK when it is a system-I/O (space 1) port; any port only below 0x10000;
// RESET_REG when Flags bit 10 (RESET_REG_SUP) is set, RESET_VALUE exists and the address
// is nonzero.
acpi::Fadt expected(std::span<const uint8_t> table)
{
    acpi::Fadt f;
    f.dsdt_phys = *field(table, kDsdt);
    if (const auto x = field(table, kXDsdt); x && *x)
        f.dsdt_phys = *x;
    if (const auto port = field(table, kPm1aControl); port && *port < 0x10000)
        f.pm1a_control_port = uint16_t(*port);
    const auto x_space = field(table, kXPm1aControl, 0, 1), x_port = field(table, kXPm1aControl, 4, 8);
    if (x_space && *x_space == 1 && *x_port != 0 && *x_port < 0x10000)
        f.pm1a_control_port = uint16_t(*x_port);
    const auto flags = field(table, kFlags);
    if (field(table, kResetValue) && (*flags >> 10 & 1) && *field(table, kResetReg, 4, 8) != 0) {
        f.has_reset = true;
        f.reset_space = uint8_t(*field(table, kResetReg, 0, 1));
        f.reset_address = *field(table, kResetReg, 4, 8);
        f.reset_value = uint8_t(*field(table, kResetValue));
    }
    return f;
}

bool same(const acpi::Fadt& a, const acpi::Fadt& b)
{
    return a.dsdt_phys == b.dsdt_phys && a.pm1a_control_port == b.pm1a_control_port && a.has_reset == b.has_reset
        && a.reset_space == b.reset_space && a.reset_address == b.reset_address && a.reset_value == b.reset_value;
}

void check(std::span<const uint8_t> bytes)
{
    acpi::Fadt fadt;
    std::memset(static_cast<void*>(&fadt), 0xA5, sizeof fadt);  // stale values the parser must clear
    const acpi::Error error = acpi::parse_fadt(bytes, fadt);
    const acpi::Error header = acpi::validate_table(bytes, "FACP");
    if (header != acpi::Error::none) {
        FUZZ_CHECK(error == header);
    } else {
        const size_t length = fuzz::le32(bytes, 4);
        FUZZ_CHECK((error == acpi::Error::none) == (length >= 44));
        if (error == acpi::Error::none) {
            FUZZ_CHECK(same(fadt, expected(bytes.first(length))));

            // Bytes after the table's length are not the table's.
            std::vector<uint8_t> longer(bytes.begin(), bytes.begin() + length);
            longer.resize(length + 200, 0xFF);
            acpi::Fadt again;
            FUZZ_CHECK(acpi::parse_fadt(longer, again) == acpi::Error::none);
            FUZZ_CHECK(same(again, fadt));
            return;
        }
        FUZZ_CHECK(error == acpi::Error::bad_length);
    }
    FUZZ_CHECK(same(fadt, acpi::Fadt {}));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    check(std::span<const uint8_t>(data, size));
    if (size >= sizeof(acpi::SdtHeader))
        check(fuzz::as_valid_table(data, size, "FACP"));
    return 0;
}
