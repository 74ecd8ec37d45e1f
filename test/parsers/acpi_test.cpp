// ACPI RSDP, SDT header, XSDT/RSDT and MADT parsers over hand-built tables.
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
