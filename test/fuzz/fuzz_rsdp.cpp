// libFuzzer target: acpi::parse_rsdp. A success must mean what the kernel relies on: the
// signature and the v1 checksum hold, the addresses are the bytes at their offsets, and
// the XSDT address is only taken from a v2 structure whose extended checksum holds.
// Failure leaves nothing behind.
#include "fuzz_check.h"
#include <acpi/acpi.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::span<const uint8_t> bytes(data, size);
    acpi::Rsdp rsdp;
    rsdp.revision = 0xAA;  // stale values the parser must clear
    rsdp.rsdt_phys = rsdp.xsdt_phys = ~0ull;
    const acpi::Error error = acpi::parse_rsdp(bytes, rsdp);

    if (error != acpi::Error::none) {
        FUZZ_CHECK(rsdp.revision == 0 && rsdp.rsdt_phys == 0 && rsdp.xsdt_phys == 0);
        return 0;
    }
    FUZZ_CHECK(size >= 20);
    FUZZ_CHECK(std::memcmp(data, "RSD PTR ", 8) == 0);
    FUZZ_CHECK(acpi::checksum_ok(bytes.first(20)));
    FUZZ_CHECK(rsdp.revision == data[15]);
    FUZZ_CHECK(rsdp.rsdt_phys == fuzz::le32(bytes, 16));
    if (rsdp.xsdt_phys != 0) {
        FUZZ_CHECK(rsdp.revision >= 2 && size >= 36);
        const uint32_t length = fuzz::le32(bytes, 20);
        FUZZ_CHECK(length >= 36 && length <= size && acpi::checksum_ok(bytes.first(length)));
        FUZZ_CHECK(rsdp.xsdt_phys == fuzz::le64(bytes, 24));
    }
    // Promised in acpi.h: a v2 RSDP cut to its 20-byte v1 prefix is still a valid v1.
    acpi::Rsdp prefix;
    FUZZ_CHECK(acpi::parse_rsdp(bytes.first(20), prefix) == acpi::Error::none);
    FUZZ_CHECK(prefix.rsdt_phys == rsdp.rsdt_phys && prefix.xsdt_phys == 0);
    return 0;
}
