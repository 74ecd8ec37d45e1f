// ACPI RSDP, SDT header, XSDT/RSDT, MADT, FADT and \_S5 parsers over hand-built tables.
#include "builders.h"
#include "samples.h"
#include <acpi/acpi.h>
#include <gtest/gtest.h>

using namespace testbytes;
using acpi::Error;

namespace {

Error parse_rsdp(const Bytes& bytes, acpi::Rsdp& out)
{
    ExactBuffer buffer(bytes);
    return acpi::parse_rsdp(buffer.span(), out);
}

struct MadtResult {
    Error error;
    std::unique_ptr<acpi::Madt> madt;
};

MadtResult parse_madt(const Bytes& bytes)
{
    ExactBuffer buffer(bytes);
    auto madt = std::make_unique<acpi::Madt>();
    const Error error = acpi::parse_madt(buffer.span(), *madt);
    return { error, std::move(madt) };
}

} // namespace

// ---------------------------------------------------------------- checksums, RSDP

TEST(Acpi, checksum_sums_to_zero)
{
    EXPECT_TRUE(acpi::checksum_ok({}));
    const uint8_t good[] = { 0x10, 0xf0, 0x00 };
    const uint8_t bad[] = { 0x10, 0xf1 };
    EXPECT_TRUE(acpi::checksum_ok(good));
    EXPECT_FALSE(acpi::checksum_ok(bad));
}

TEST(Acpi, rsdp_v1_gives_the_rsdt)
{
    acpi::Rsdp r;
    ASSERT_EQ(parse_rsdp(make_rsdp_v1(0x0ffe1a2b), r), Error::none);
    EXPECT_EQ(r.revision, 0);
    EXPECT_EQ(r.rsdt_phys, 0x0ffe1a2bu);
    EXPECT_EQ(r.xsdt_phys, 0u);
}

TEST(Acpi, rsdp_v2_gives_both_roots)
{
    acpi::Rsdp r;
    ASSERT_EQ(parse_rsdp(make_rsdp_v2(0x7fb7e014, 0x1'7fb7e0e8), r), Error::none);
    EXPECT_EQ(r.revision, 2);
    EXPECT_EQ(r.rsdt_phys, 0x7fb7e014u);
    EXPECT_EQ(r.xsdt_phys, 0x1'7fb7e0e8u);
}

TEST(Acpi, rsdp_v1_bad_checksum_is_rejected)
{
    Bytes b = make_rsdp_v1(0x1000);
    b[16] ^= 1;
    acpi::Rsdp r;
    EXPECT_EQ(parse_rsdp(b, r), Error::bad_checksum);
    EXPECT_EQ(r.rsdt_phys, 0u);
}

TEST(Acpi, rsdp_v2_bad_extended_checksum_is_rejected)
{
    Bytes b = make_rsdp_v2(0x1000, 0x2000);
    b[24] ^= 0x40;  // inside the XSDT address: only the extended checksum covers it
    acpi::Rsdp r;
    EXPECT_EQ(parse_rsdp(b, r), Error::bad_checksum);
    EXPECT_EQ(r.xsdt_phys, 0u);
}

TEST(Acpi, rsdp_v2_bad_first_checksum_is_rejected)
{
    Bytes b = make_rsdp_v2(0x1000, 0x2000);
    b[8] ^= 1;
    fix_checksum(b, 32, 36);  // extended one still fine
    acpi::Rsdp r;
    EXPECT_EQ(parse_rsdp(b, r), Error::bad_checksum);
}

TEST(Acpi, rsdp_with_a_bad_signature_is_rejected)
{
    Bytes b = make_rsdp_v1(0x1000);
    b[0] = 'X';
    fix_checksum(b, 8, 20);
    acpi::Rsdp r;
    EXPECT_EQ(parse_rsdp(b, r), Error::bad_signature);
}

TEST(Acpi, rsdp_spans_shorter_than_20_bytes_are_too_short)
{
    const Bytes b = make_rsdp_v2(0x1000, 0x2000);
    for (size_t n = 0; n < 20; ++n) {
        acpi::Rsdp r;
        EXPECT_EQ(parse_rsdp(Bytes(b.begin(), b.begin() + n), r), Error::too_short) << n;
    }
}

TEST(Acpi, rsdp_v2_seen_through_a_20_byte_window_falls_back_to_the_rsdt)
{
    // GRUB's old-RSDP tag on ACPI 2.0 firmware: the first 20 bytes, revision 2.
    const Bytes b = make_rsdp_v2(0x1000, 0x2000);
    for (size_t n = 20; n < 36; ++n) {
        acpi::Rsdp r;
        ASSERT_EQ(parse_rsdp(Bytes(b.begin(), b.begin() + n), r), Error::none) << n;
        EXPECT_EQ(r.revision, 2);
        EXPECT_EQ(r.rsdt_phys, 0x1000u);
        EXPECT_EQ(r.xsdt_phys, 0u);
    }
}

TEST(Acpi, rsdp_v2_length_must_cover_36_bytes_and_fit_the_span)
{
    for (uint32_t length : { 0u, 20u, 35u, 37u, 0xffffffffu }) {
        Bytes b = make_rsdp_v2(0x1000, 0x2000);
        set_u32(b, 20, length);
        fix_checksum(b, 8, 20);
        fix_checksum(b, 32, 36);
        acpi::Rsdp r;
        EXPECT_EQ(parse_rsdp(b, r), Error::bad_length) << length;
    }
}

TEST(Acpi, rsdp_v2_extended_checksum_covers_a_longer_length)
{
    Bytes b = make_rsdp_v2(0x1000, 0x2000);
    b.resize(40, 0x5a);
    set_u32(b, 20, 40);
    fix_checksum(b, 8, 20);
    fix_checksum(b, 32, 40);
    acpi::Rsdp r;
    EXPECT_EQ(parse_rsdp(b, r), Error::none);
    b[39] ^= 1;
    EXPECT_EQ(parse_rsdp(b, r), Error::bad_checksum);
}

// ---------------------------------------------------------------- SDT header, roots

TEST(Acpi, validate_table_checks_signature_length_and_checksum)
{
    Bytes t = make_root_table(true, { 0x1000 });
    EXPECT_EQ(acpi::validate_table(t, "XSDT"), Error::none);
    EXPECT_EQ(acpi::validate_table(t, nullptr), Error::none);
    EXPECT_EQ(acpi::validate_table(t, "RSDT"), Error::bad_signature);
    EXPECT_EQ(acpi::validate_table(t, "XSD"), Error::bad_signature);
    EXPECT_EQ(acpi::validate_table(std::span(t).first(35), "XSDT"), Error::too_short);

    Bytes bad = t;
    bad[40] ^= 1;
    EXPECT_EQ(acpi::validate_table(bad, "XSDT"), Error::bad_checksum);

    Bytes short_length = t;
    set_u32(short_length, 4, 35);
    fix_checksum(short_length, 9, short_length.size());
    EXPECT_EQ(acpi::validate_table(short_length, "XSDT"), Error::bad_length);
}

TEST(Acpi, a_table_longer_than_the_span_is_rejected)
{
    Bytes t = make_root_table(true, { 0x1000, 0x2000 });
    EXPECT_EQ(acpi::validate_table(std::span(t).first(t.size() - 1), "XSDT"), Error::bad_length);
    set_u32(t, 4, 0xffffffff);
    EXPECT_EQ(acpi::validate_table(t, "XSDT"), Error::bad_length);
}

TEST(Acpi, xsdt_entries_are_64_bit_addresses)
{
    Bytes t = make_root_table(true, { 0x7fb7d000, 0x1'0000'1000, 0xfffff000 });
    acpi::RootTable root;
    ASSERT_EQ(acpi::parse_root_table(t, true, root), Error::none);
    ASSERT_EQ(root.count, 3u);
    EXPECT_EQ(root.entries[0], 0x7fb7d000u);
    EXPECT_EQ(root.entries[1], 0x1'0000'1000u);
    EXPECT_EQ(root.entries[2], 0xfffff000u);
    EXPECT_FALSE(root.truncated);
}

TEST(Acpi, rsdt_entries_are_32_bit_addresses)
{
    Bytes t = make_root_table(false, { 0x0ffe1000, 0x0ffe2000 });
    acpi::RootTable root;
    ASSERT_EQ(acpi::parse_root_table(t, false, root), Error::none);
    ASSERT_EQ(root.count, 2u);
    EXPECT_EQ(root.entries[0], 0x0ffe1000u);
    EXPECT_EQ(root.entries[1], 0x0ffe2000u);
}

TEST(Acpi, root_table_entries_are_read_at_odd_addresses)
{
    // The table starts one byte into the buffer: every 8-byte entry is misaligned.
    Bytes t = make_root_table(true, { 0x1122334455667788, 0x99 });
    Bytes shifted(t.size() + 1, 0xee);
    std::copy(t.begin(), t.end(), shifted.begin() + 1);
    acpi::RootTable root;
    ASSERT_EQ(acpi::parse_root_table(std::span(shifted).subspan(1), true, root), Error::none);
    EXPECT_EQ(root.entries[0], 0x1122334455667788u);
}

TEST(Acpi, root_table_with_the_wrong_signature_is_rejected)
{
    acpi::RootTable root;
    EXPECT_EQ(acpi::parse_root_table(make_root_table(false, { 1 }), true, root), Error::bad_signature);
    EXPECT_EQ(acpi::parse_root_table(make_root_table(true, { 1 }), false, root), Error::bad_signature);
}

TEST(Acpi, a_trailing_partial_entry_is_an_error_after_the_whole_ones)
{
    for (bool xsdt : { true, false }) {
        SdtBuilder b(xsdt ? "XSDT" : "RSDT");
        put_u64(b.body(), 0x1000);  // one XSDT entry, or two RSDT entries
        put_u16(b.body(), 0xbeef);  // then two stray bytes
        acpi::RootTable root;
        EXPECT_EQ(acpi::parse_root_table(b.finish(), xsdt, root), Error::truncated_entry);
        EXPECT_EQ(root.count, xsdt ? 1u : 2u);
        EXPECT_EQ(root.entries[0], 0x1000u);
    }
}

TEST(Acpi, root_table_length_past_the_span_is_rejected)
{
    Bytes t = make_root_table(true, { 0x1000, 0x2000 });
    acpi::RootTable root;
    EXPECT_EQ(acpi::parse_root_table(std::span(t).first(t.size() - 8), true, root), Error::bad_length);
    EXPECT_EQ(root.count, 0u);
}

TEST(Acpi, root_table_with_more_entries_than_the_array_is_flagged)
{
    std::vector<uint64_t> many;
    for (uint64_t i = 0; i < acpi::kMaxRootEntries + 3; ++i)
        many.push_back(0x1000 * (i + 1));
    acpi::RootTable root;
    EXPECT_EQ(acpi::parse_root_table(make_root_table(true, many), true, root), Error::none);
    EXPECT_EQ(root.count, acpi::kMaxRootEntries);
    EXPECT_TRUE(root.truncated);
}

TEST(Acpi, an_empty_root_table_is_valid)
{
    acpi::RootTable root;
    EXPECT_EQ(acpi::parse_root_table(make_root_table(true, {}), true, root), Error::none);
    EXPECT_EQ(root.count, 0u);
}

// ---------------------------------------------------------------- MADT

TEST(Acpi, madt_from_a_qemu_like_machine)
{
    auto [error, madt] = parse_madt(qemu_like_madt().finish());
    ASSERT_EQ(error, Error::none);
    EXPECT_EQ(madt->lapic_address, 0xFEE00000u);
    EXPECT_EQ(madt->lapic_address_override, 0u);
    EXPECT_TRUE(madt->has_8259);
    ASSERT_EQ(madt->cpu_count, 4u);
    for (uint32_t i = 0; i < 4; ++i) {
        EXPECT_EQ(madt->cpus[i].apic_id, i);
        EXPECT_EQ(madt->cpus[i].acpi_uid, i);
        EXPECT_TRUE(madt->cpus[i].enabled);
        EXPECT_FALSE(madt->cpus[i].x2apic_entry);
    }
    ASSERT_EQ(madt->ioapic_count, 1u);
    EXPECT_EQ(madt->ioapics[0].address, 0xFEC00000u);
    EXPECT_EQ(madt->ioapics[0].gsi_base, 0u);
    ASSERT_EQ(madt->override_count, 5u);
    EXPECT_EQ(madt->overrides[0].source_irq, 0);
    EXPECT_EQ(madt->overrides[0].gsi, 2u);
    EXPECT_EQ(madt->overrides[1].flags, 0x000d);
    ASSERT_EQ(madt->nmi_count, 1u);
    EXPECT_TRUE(madt->nmis[0].all_cpus);
    EXPECT_EQ(madt->nmis[0].lint, 1);
    EXPECT_FALSE(madt->cpus_truncated);
    EXPECT_FALSE(madt->lists_truncated);
    EXPECT_EQ(madt->unknown_entries, 0u);
}

TEST(Acpi, madt_with_every_interpreted_entry_type)
{
    MadtBuilder b(0xFEE00000, 0);
    b.local_apic(0, 0).x2apic(0x100, 7).io_apic(2, 0xFEC01000, 24).interrupt_override(0, 9, 20, 0x000f);
    b.local_apic_nmi(0, 0x0005, 0).x2apic_nmi(0xFFFFFFFF, 0x0001, 1).x2apic_nmi(7, 0, 0);
    b.address_override(0x1'FEE0'0000);
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    EXPECT_FALSE(madt->has_8259);
    EXPECT_EQ(madt->lapic_address_override, 0x1'FEE0'0000u);
    ASSERT_EQ(madt->cpu_count, 2u);
    EXPECT_EQ(madt->cpus[1].apic_id, 0x100u);
    EXPECT_EQ(madt->cpus[1].acpi_uid, 7u);
    EXPECT_TRUE(madt->cpus[1].x2apic_entry);
    EXPECT_TRUE(madt->cpus[1].enabled);
    EXPECT_EQ(madt->ioapics[0].id, 2);
    EXPECT_EQ(madt->ioapics[0].gsi_base, 24u);
    EXPECT_EQ(madt->overrides[0].gsi, 20u);
    EXPECT_EQ(madt->overrides[0].flags, 0x000f);
    ASSERT_EQ(madt->nmi_count, 3u);
    EXPECT_EQ(madt->nmis[0].acpi_uid, 0u);
    EXPECT_FALSE(madt->nmis[0].all_cpus);
    EXPECT_EQ(madt->nmis[0].flags, 0x0005);
    EXPECT_TRUE(madt->nmis[1].all_cpus);
    EXPECT_EQ(madt->nmis[1].lint, 1);
    EXPECT_EQ(madt->nmis[2].acpi_uid, 7u);
    EXPECT_FALSE(madt->nmis[2].all_cpus);
}

TEST(Acpi, disabled_and_online_capable_cpus_are_reported_with_their_flags)
{
    MadtBuilder b;
    b.local_apic(0, 0, 1).local_apic(1, 1, 0).local_apic(2, 2, 2).x2apic(300, 3, 0);
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    ASSERT_EQ(madt->cpu_count, 4u);
    EXPECT_TRUE(madt->cpus[0].enabled);
    EXPECT_FALSE(madt->cpus[1].enabled);
    EXPECT_FALSE(madt->cpus[1].online_capable);
    EXPECT_FALSE(madt->cpus[2].enabled);
    EXPECT_TRUE(madt->cpus[2].online_capable);
    EXPECT_FALSE(madt->cpus[3].enabled);
}

TEST(Acpi, an_xapic_entry_with_the_broadcast_id_is_never_usable)
{
    MadtBuilder b;
    b.local_apic(0, 0).local_apic(1, 0xFF, 1).local_apic(2, 0xFF, 2);
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    ASSERT_EQ(madt->cpu_count, 2u);
    EXPECT_EQ(madt->cpus[1].apic_id, 0xFFu);
    EXPECT_FALSE(madt->cpus[1].enabled);
    EXPECT_FALSE(madt->cpus[1].online_capable);
}

TEST(Acpi, non_contiguous_apic_ids_are_kept_as_listed)
{
    // 2 sockets x 3 cores: QEMU leaves a hole after each socket's cores.
    MadtBuilder b;
    const uint8_t ids[] = { 0, 1, 2, 4, 5, 6 };
    for (uint8_t i = 0; i < 6; ++i)
        b.local_apic(i, ids[i]);
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    ASSERT_EQ(madt->cpu_count, 6u);
    for (size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(madt->cpus[i].apic_id, ids[i]);
        EXPECT_EQ(madt->cpus[i].acpi_uid, i);
    }
}

TEST(Acpi, a_cpu_listed_as_xapic_and_x2apic_is_kept_once)
{
    MadtBuilder b;
    b.local_apic(0, 0).local_apic(1, 1).x2apic(0, 0).x2apic(1, 1).x2apic(2, 2);
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    ASSERT_EQ(madt->cpu_count, 3u);
    EXPECT_FALSE(madt->cpus[0].x2apic_entry);
    EXPECT_TRUE(madt->cpus[2].x2apic_entry);
}

TEST(Acpi, a_usable_listing_replaces_a_disabled_placeholder_with_the_same_id)
{
    MadtBuilder b;
    b.local_apic(0, 0).local_apic(5, 1, 0).local_apic(1, 1, 1).local_apic(6, 1, 0);
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    ASSERT_EQ(madt->cpu_count, 2u);
    EXPECT_TRUE(madt->cpus[1].enabled);
    EXPECT_EQ(madt->cpus[1].acpi_uid, 1u);
}

TEST(Acpi, three_hundred_cpus_fill_the_array_and_flag_truncation)
{
    MadtBuilder b;
    for (uint32_t i = 0; i < 300; ++i)
        b.x2apic(i * 2, i);  // even IDs, as with two threads per core and SMT off
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    EXPECT_EQ(madt->cpu_count, acpi::kMaxMadtCpus);
    EXPECT_TRUE(madt->cpus_truncated);
    EXPECT_EQ(madt->cpus[255].apic_id, 510u);
}

TEST(Acpi, full_ioapic_override_and_nmi_lists_are_flagged)
{
    MadtBuilder b;
    for (uint8_t i = 0; i < acpi::kMaxIoApics + 1; ++i)
        b.io_apic(i, 0xFEC00000 + i * 0x1000, i * 24);
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    EXPECT_EQ(madt->ioapic_count, acpi::kMaxIoApics);
    EXPECT_TRUE(madt->lists_truncated);
}

TEST(Acpi, unknown_entry_types_are_skipped_by_their_length)
{
    MadtBuilder b;
    b.local_apic(0, 0);
    b.raw({ 0x0B, 6, 1, 2, 3, 4 });  // GICC-like, not ours
    b.raw({ 0x80, 2 });              // OEM reserved, minimal
    b.raw({ 3, 8, 0, 0, 0, 0, 0, 0 });  // NMI source: known to ACPI, not interpreted here
    b.local_apic(1, 1);
    auto [error, madt] = parse_madt(b.finish());
    ASSERT_EQ(error, Error::none);
    EXPECT_EQ(madt->cpu_count, 2u);
    EXPECT_EQ(madt->unknown_entries, 3u);
}

TEST(Acpi, a_zero_length_entry_stops_the_walk_keeping_earlier_entries)
{
    for (uint8_t bad_length : { 0, 1 }) {
        MadtBuilder b;
        b.local_apic(0, 0).io_apic(0, 0xFEC00000, 0);
        b.raw({ 0, bad_length, 0, 0, 0, 0, 0, 0 });
        b.local_apic(1, 1);
        auto [error, madt] = parse_madt(b.finish());
        EXPECT_EQ(error, Error::truncated_entry);
        EXPECT_EQ(madt->cpu_count, 1u);
        EXPECT_EQ(madt->ioapic_count, 1u);
    }
}

TEST(Acpi, an_entry_shorter_than_its_type_needs_is_truncated)
{
    MadtBuilder b;
    b.local_apic(0, 0);
    b.raw({ 9, 8, 0, 0, 1, 0, 0, 0 });  // x2APIC entry needs 16 bytes
    auto [error, madt] = parse_madt(b.finish());
    EXPECT_EQ(error, Error::truncated_entry);
    EXPECT_EQ(madt->cpu_count, 1u);
}

TEST(Acpi, an_entry_running_past_the_table_is_truncated)
{
    MadtBuilder b;
    b.local_apic(0, 0);
    b.raw({ 1, 12, 0, 0, 0, 0 });  // IOAPIC claiming 12 bytes with 6 left
    auto [error, madt] = parse_madt(b.finish());
    EXPECT_EQ(error, Error::truncated_entry);
    EXPECT_EQ(madt->cpu_count, 1u);
    EXPECT_EQ(madt->ioapic_count, 0u);

    MadtBuilder c;
    c.local_apic(0, 0).raw({ 0 });  // a lone type byte at the end
    EXPECT_EQ(parse_madt(c.finish()).error, Error::truncated_entry);
}

TEST(Acpi, a_madt_length_larger_than_the_span_is_rejected)
{
    Bytes t = qemu_like_madt().finish();
    auto [error, madt] = parse_madt(Bytes(t.begin(), t.end() - 4));
    EXPECT_EQ(error, Error::bad_length);
    EXPECT_EQ(madt->cpu_count, 0u);
}

TEST(Acpi, a_madt_too_short_for_its_fixed_fields_is_rejected)
{
    SdtBuilder b("APIC");
    put_u32(b.body(), 0xFEE00000);  // flags missing
    EXPECT_EQ(parse_madt(b.finish()).error, Error::bad_length);
}

TEST(Acpi, a_madt_with_a_bad_checksum_or_signature_is_rejected)
{
    Bytes t = qemu_like_madt().finish();
    t[50] ^= 1;
    EXPECT_EQ(parse_madt(t).error, Error::bad_checksum);
    Bytes s = make_root_table(true, {});
    EXPECT_EQ(parse_madt(s).error, Error::bad_signature);
}

TEST(Acpi, madt_reuse_clears_the_previous_result)
{
    acpi::Madt madt;
    const Bytes t = qemu_like_madt().finish();
    ASSERT_EQ(acpi::parse_madt(t, madt), Error::none);
    EXPECT_EQ(acpi::parse_madt(std::span(t).first(10), madt), Error::too_short);
    EXPECT_EQ(madt.cpu_count, 0u);
    EXPECT_EQ(madt.override_count, 0u);
}

TEST(Acpi, every_error_has_a_readable_name)
{
    for (auto e : { Error::none, Error::too_short, Error::bad_signature, Error::bad_checksum, Error::bad_length,
             Error::bad_revision, Error::not_found, Error::truncated_entry }) {
        EXPECT_GT(std::strlen(acpi::to_string(e)), 1u);
    }
}

// ---------------------------------------------------------------- FADT

namespace {

Error parse_fadt(const Bytes& bytes, acpi::Fadt& out)
{
    ExactBuffer buffer(bytes);
    return acpi::parse_fadt(buffer.span(), out);
}

Error find_s5(const Bytes& aml, uint32_t& slp_typa)
{
    ExactBuffer buffer(make_dsdt(aml));
    return acpi::find_s5(buffer.span(), slp_typa);
}

} // namespace

TEST(Acpi, an_acpi_1_fadt_gives_the_32_bit_dsdt_and_port)
{
    acpi::Fadt fadt;
    ASSERT_EQ(parse_fadt(make_fadt(116, { .dsdt = 0x7fe0040, .pm1a_control = 0x604 }), fadt), Error::none);
    EXPECT_EQ(fadt.dsdt_phys, 0x7fe0040u);
    EXPECT_EQ(fadt.pm1a_control_port, 0x604);
}

TEST(Acpi, the_x_fields_of_a_newer_fadt_win_when_nonzero)
{
    acpi::Fadt fadt;
    const FadtFields both { .dsdt = 0x1000, .pm1a_control = 0x604, .x_dsdt = 0x1'2345'6000, .x_pm1a_control = 0xb004 };
    ASSERT_EQ(parse_fadt(make_fadt(276, both), fadt), Error::none);
    EXPECT_EQ(fadt.dsdt_phys, 0x1'2345'6000u);
    EXPECT_EQ(fadt.pm1a_control_port, 0xb004);

    const FadtFields zero_x { .dsdt = 0x1000, .pm1a_control = 0x604 };
    ASSERT_EQ(parse_fadt(make_fadt(276, zero_x), fadt), Error::none);
    EXPECT_EQ(fadt.dsdt_phys, 0x1000u);
    EXPECT_EQ(fadt.pm1a_control_port, 0x604);
}

TEST(Acpi, an_x_pm1a_register_in_memory_space_or_beyond_the_io_ports_is_not_a_port)
{
    acpi::Fadt fadt;
    FadtFields memory { .pm1a_control = 0x604, .x_pm1a_space = 0, .x_pm1a_control = 0xfed0'0000 };
    ASSERT_EQ(parse_fadt(make_fadt(276, memory), fadt), Error::none);
    EXPECT_EQ(fadt.pm1a_control_port, 0x604);  // the 32-bit field stands

    FadtFields wide_x { .pm1a_control = 0x604, .x_pm1a_control = 0x1'0000 };
    ASSERT_EQ(parse_fadt(make_fadt(276, wide_x), fadt), Error::none);
    EXPECT_EQ(fadt.pm1a_control_port, 0x604);  // an X port above 0xFFFF is no port: the 32-bit field stands

    FadtFields wide { .pm1a_control = 0x1'0604, .x_pm1a_control = 0x1'0000 };
    ASSERT_EQ(parse_fadt(make_fadt(276, wide), fadt), Error::none);
    EXPECT_EQ(fadt.pm1a_control_port, 0);  // neither fits an I/O port
}

TEST(Acpi, the_fadt_reset_register_needs_its_flag_its_value_and_an_address)
{
    FadtFields f { .dsdt = 0x1000 };
    Bytes table = make_fadt(244, f);
    auto put = [&](size_t at, uint64_t v, size_t size) {
        for (size_t i = 0; i < size; ++i)
            table[at + i] = uint8_t(v >> (8 * i));
        fix_checksum(table, 9, table.size());
    };
    acpi::Fadt fadt;
    put(116, 1, 1);  // RESET_REG: system I/O
    put(120, 0xcf9, 8);  // at 0xCF9
    put(128, 0x06, 1);  // RESET_VALUE
    ASSERT_EQ(parse_fadt(table, fadt), Error::none);
    EXPECT_FALSE(fadt.has_reset);  // RESET_REG_SUP clear
    put(112, 1u << 10, 4);
    ASSERT_EQ(parse_fadt(table, fadt), Error::none);
    EXPECT_TRUE(fadt.has_reset);
    EXPECT_EQ(fadt.reset_space, 1);
    EXPECT_EQ(fadt.reset_address, 0xcf9u);
    EXPECT_EQ(fadt.reset_value, 0x06);
    put(120, 0, 8);
    ASSERT_EQ(parse_fadt(table, fadt), Error::none);
    EXPECT_FALSE(fadt.has_reset);  // no address
    EXPECT_EQ(fadt.reset_space, 0);

    // An ACPI 1.0 FADT ends at 116: no reset register even with the flag.
    Bytes old = make_fadt(116, f);
    old[113] = 1 << 2;  // RESET_REG_SUP, Flags bit 10: inside the 116 bytes
    fix_checksum(old, 9, old.size());
    ASSERT_EQ(parse_fadt(old, fadt), Error::none);
    EXPECT_FALSE(fadt.has_reset);
}

TEST(Acpi, fadt_fields_past_its_length_are_absent)
{
    acpi::Fadt fadt;
    // 148 bytes hold X_DSDT but not X_PM1a_CNT_BLK; 60 hold the DSDT but not PM1a_CNT_BLK.
    ASSERT_EQ(parse_fadt(make_fadt(148, { .dsdt = 1, .pm1a_control = 2, .x_dsdt = 3, .x_pm1a_control = 4 }), fadt),
        Error::none);
    EXPECT_EQ(fadt.dsdt_phys, 3u);
    EXPECT_EQ(fadt.pm1a_control_port, 2);
    ASSERT_EQ(parse_fadt(make_fadt(60, { .dsdt = 1, .pm1a_control = 2 }), fadt), Error::none);
    EXPECT_EQ(fadt.dsdt_phys, 1u);
    EXPECT_EQ(fadt.pm1a_control_port, 0);
}

TEST(Acpi, a_fadt_too_short_for_the_dsdt_field_or_invalid_is_rejected_and_cleared)
{
    acpi::Fadt fadt;
    fadt.dsdt_phys = 99;
    fadt.pm1a_control_port = 99;
    EXPECT_EQ(parse_fadt(make_fadt(43, { .dsdt = 1 }), fadt), Error::bad_length);
    EXPECT_EQ(fadt.dsdt_phys, 0u);
    EXPECT_EQ(fadt.pm1a_control_port, 0);
    Bytes bad = make_fadt(116, { .dsdt = 1 });
    bad[50] ^= 1;
    EXPECT_EQ(parse_fadt(bad, fadt), Error::bad_checksum);
    EXPECT_EQ(parse_fadt(make_root_table(false, {}), fadt), Error::bad_signature);
}

// ---------------------------------------------------------------- \_S5 in the DSDT

TEST(Acpi, s5_as_qemu_writes_it)
{
    // Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero }), after an unrelated method.
    uint32_t slp = 99;
    const Bytes aml { 0x14, 0x08, '_', 'P', 'T', 'S', 0x01, 0x70, 0x68, 0x60, 0x08, '_', 'S', '5', '_', 0x12, 0x06,
        0x04, 0x00, 0x00, 0x00, 0x00 };
    ASSERT_EQ(find_s5(aml, slp), Error::none);
    EXPECT_EQ(slp, 0u);
}

TEST(Acpi, s5_with_a_root_prefix_and_constant_prefixes)
{
    uint32_t slp = 0;
    ASSERT_EQ(find_s5({ 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a, 0x05 }, slp), Error::none);
    EXPECT_EQ(slp, 5u);
    ASSERT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x07, 0x00 }, slp), Error::none);
    EXPECT_EQ(slp, 7u);
    ASSERT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x01, 0x0c, 0x09, 0x00, 0x00, 0x00 }, slp), Error::none);
    EXPECT_EQ(slp, 9u);  // reported as is; the kernel refuses a value over 7
    ASSERT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x01 }, slp), Error::none);
    EXPECT_EQ(slp, 1u);
}

TEST(Acpi, s5_with_a_multi_byte_package_length)
{
    // PkgLength 0x41 0x01: one following byte, length 0x01 | 0x01 << 4 = 17.
    Bytes aml { 0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x01, 0x02, 0x0a, 0x03 };
    aml.resize(aml.size() + 12, 0x00);  // the rest of the 17 bytes
    uint32_t slp = 0;
    ASSERT_EQ(find_s5(aml, slp), Error::none);
    EXPECT_EQ(slp, 3u);
    // pop_back, not resize(size() - 1): g++ 12 at -O2 with ASan sees a 2^64-2 byte memset on
    // resize's growing path there (a false -Wstringop-overflow, an error with -Werror).
    aml.pop_back();  // now the package runs one byte past the table
    EXPECT_EQ(find_s5(aml, slp), Error::truncated_entry);
}

TEST(Acpi, s5_that_is_not_a_named_package_is_skipped)
{
    uint32_t slp = 0;
    // A reference to _S5_ (no NameOp), then a Name(_S5_) that is not a package, then the real one.
    const Bytes aml { 0x70, '_', 'S', '5', '_', 0x60, 0x08, '_', 'S', '5', '_', 0x0a, 0x01, 0x08, '_', 'S', '5', '_',
        0x12, 0x04, 0x01, 0x0a, 0x06 };
    ASSERT_EQ(find_s5(aml, slp), Error::none);
    EXPECT_EQ(slp, 6u);
    EXPECT_EQ(find_s5({ 0x70, '_', 'S', '5', '_', 0x60 }, slp), Error::not_found);
    EXPECT_EQ(find_s5({}, slp), Error::not_found);
}

TEST(Acpi, s5_packages_that_end_early_or_hold_other_objects_are_truncated)
{
    uint32_t slp = 0;
    EXPECT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12 }, slp), Error::truncated_entry);  // no PkgLength
    EXPECT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x01 }, slp), Error::truncated_entry);  // no NumElements
    EXPECT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00 }, slp), Error::truncated_entry);  // zero elements
    EXPECT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x0a }, slp), Error::truncated_entry);  // cut byte
    EXPECT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x0a, 0x05 }, slp), Error::truncated_entry);  // past PkgLength
    EXPECT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x0d, 0x00 }, slp), Error::truncated_entry);  // a string
    EXPECT_EQ(find_s5({ 0x08, '_', 'S', '5', '_', 0x12, 0x48 }, slp), Error::truncated_entry);  // length bytes missing
}

TEST(Acpi, s5_ignores_the_header_bytes_before_the_aml)
{
    // A root prefix at the very start of the AML: the byte before it is the header's last
    // byte, which is not AML even when it happens to be a NameOp (0x08).
    Bytes dsdt = make_dsdt({ '\\', '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x01 });
    dsdt[35] = 0x08;
    fix_checksum(dsdt, 9, dsdt.size());
    ExactBuffer buffer(dsdt);
    uint32_t slp = 0;
    EXPECT_EQ(acpi::find_s5(buffer.span(), slp), Error::not_found);
}

TEST(Acpi, s5_needs_a_valid_dsdt)
{
    Bytes dsdt = make_dsdt({ 0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x01 });
    dsdt[40] ^= 0xff;
    ExactBuffer buffer(dsdt);
    uint32_t slp = 0;
    EXPECT_EQ(acpi::find_s5(buffer.span(), slp), Error::bad_checksum);
}
