// libFuzzer target: acpi::parse_fadt. Each input is parsed twice: as it is, and made a
// valid FADT (signature "FACP", length = the input's size, checksum fixed) so that the
// fields behind the header are reached on almost every input. A success must give exactly
// the fields ACPI 6.5 §5.2.9 places inside the table's own length: X_DSDT over DSDT when
// present and nonzero; PM1a_CNT_BLK, or X_PM1a_CNT_BLK when present, in system I/O space
// and nonzero; a port only when it fits 16 bits. A failure leaves both fields zero, and
// bytes past the table's length never change the result.
#include "fuzz_check.h"
#include <acpi/acpi.h>
#include <vector>

namespace {

// The fields as the spec's table layout gives them, read straight from the bytes.
acpi::Fadt expected(std::span<const uint8_t> table)
{
    acpi::Fadt f;
    const size_t n = table.size();
    f.dsdt_phys = fuzz::le32(table, 40);
    if (n >= 148 && fuzz::le64(table, 140) != 0)
        f.dsdt_phys = fuzz::le64(table, 140);
    if (n >= 68 && fuzz::le32(table, 64) < 0x10000)
        f.pm1a_control_port = static_cast<uint16_t>(fuzz::le32(table, 64));
    if (n >= 184 && table[172] == 1 && fuzz::le64(table, 176) != 0 && fuzz::le64(table, 176) < 0x10000)
        f.pm1a_control_port = static_cast<uint16_t>(fuzz::le64(table, 176));
    return f;
}

void check(std::span<const uint8_t> bytes)
{
    acpi::Fadt fadt;
    fadt.dsdt_phys = ~0ull;  // stale values the parser must clear
    fadt.pm1a_control_port = 0xA5A5;
    const acpi::Error error = acpi::parse_fadt(bytes, fadt);
    const acpi::Error header = acpi::validate_table(bytes, "FACP");
    if (header != acpi::Error::none) {
        FUZZ_CHECK(error == header);
    } else {
        const size_t length = fuzz::le32(bytes, 4);
        FUZZ_CHECK((error == acpi::Error::none) == (length >= 44));
        if (error == acpi::Error::none) {
            const acpi::Fadt want = expected(bytes.first(length));
            FUZZ_CHECK(fadt.dsdt_phys == want.dsdt_phys);
            FUZZ_CHECK(fadt.pm1a_control_port == want.pm1a_control_port);

            // Bytes after the table's length are not the table's.
            std::vector<uint8_t> longer(bytes.begin(), bytes.begin() + length);
            longer.resize(length + 200, 0xFF);
            acpi::Fadt again;
            FUZZ_CHECK(acpi::parse_fadt(longer, again) == acpi::Error::none);
            FUZZ_CHECK(again.dsdt_phys == fadt.dsdt_phys && again.pm1a_control_port == fadt.pm1a_control_port);
            return;
        }
        FUZZ_CHECK(error == acpi::Error::bad_length);
    }
    FUZZ_CHECK(fadt.dsdt_phys == 0 && fadt.pm1a_control_port == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    check(std::span<const uint8_t>(data, size));
    if (size >= sizeof(acpi::SdtHeader)) {
        std::vector<uint8_t> valid(data, data + size);
        std::memcpy(valid.data(), "FACP", 4);
        const uint32_t length = static_cast<uint32_t>(size);
        std::memcpy(valid.data() + 4, &length, 4);
        valid[9] = 0;
        uint8_t sum = 0;
        for (uint8_t byte : valid)
            sum = static_cast<uint8_t>(sum + byte);
        valid[9] = static_cast<uint8_t>(-sum);
        check(valid);
    }
    return 0;
}
