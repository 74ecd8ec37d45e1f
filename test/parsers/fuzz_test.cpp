// Deterministic mutation fuzzing of every parser: valid inputs, then ~100k mutated copies
// each (bit flips, byte overwrites, truncation, size/length fields forced to extremes,
// appended junk). The assertions are only "no crash, outputs sane"; run under ASan+UBSan
// (make test does) every out-of-bounds read or misaligned load becomes a hard failure.
// Inputs live in exact-size heap buffers so a read one byte past the end is caught.
#include "builders.h"
#include "samples.h"
#include <acpi/acpi.h>
#include <boot/cmdline.h>
#include <boot/multiboot2.h>
#include <gtest/gtest.h>
#include <algorithm>
#include <cstring>
#include <random>

using namespace testbytes;

namespace {

constexpr int kIterations = 100'000;
constexpr uint64_t kSeed = 0x5eed'1f2e'3d4c'5b6a;

// Offsets of the 32-bit size fields in a valid multiboot2 block: total_size and every
// tag's size.
std::vector<size_t> multiboot_size_fields(const Bytes& b)
{
    std::vector<size_t> offsets { 0 };
    for (size_t offset = 8; offset + 8 <= b.size();) {
        offsets.push_back(offset + 4);
        const uint32_t type = get_u32(b, offset);
        const uint32_t size = get_u32(b, offset + 4);
        if (type == 0)
            break;
        offset += (size + 7) & ~size_t { 7 };
    }
    return offsets;
}

class Mutator {
public:
    explicit Mutator(uint64_t seed)
        : m_rng(seed)
    {
    }

    size_t below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(m_rng); }
    bool chance(int percent) { return below(100) < static_cast<size_t>(percent); }

    // One to three mutations of `seed`. `u32_fields` / `u8_fields` are the offsets of
    // length-like fields worth forcing to extremes.
    Bytes mutate(const Bytes& seed, const std::vector<size_t>& u32_fields, const std::vector<size_t>& u8_fields)
    {
        Bytes b = seed;
        const size_t rounds = 1 + below(3);
        for (size_t round = 0; round < rounds; ++round) {
            switch (below(6)) {
            case 0:  // flip a few bits
                for (size_t i = 0, n = 1 + below(4); i < n && !b.empty(); ++i)
                    b[below(b.size())] ^= static_cast<uint8_t>(1u << below(8));
                break;
            case 1:  // overwrite a byte
                if (!b.empty())
                    b[below(b.size())] = static_cast<uint8_t>(below(256));
                break;
            case 2:  // truncate
                b.resize(below(b.size() + 1));
                break;
            case 3: {  // a 32-bit size field to an extreme
                if (u32_fields.empty())
                    break;
                const size_t at = u32_fields[below(u32_fields.size())];
                if (at + 4 > b.size())
                    break;
                const uint32_t extremes[] = { 0, 1, 7, 8, 9, 35, 36, 37, 0x7fffffff, 0x80000000, 0xfffffff8,
                    0xffffffff, static_cast<uint32_t>(b.size()), static_cast<uint32_t>(b.size() + 1),
                    static_cast<uint32_t>(b.size() - 1), static_cast<uint32_t>(below(4096)) };
                set_u32(b, at, extremes[below(std::size(extremes))]);
                break;
            }
            case 4: {  // an 8-bit length field to an extreme
                if (u8_fields.empty())
                    break;
                const size_t at = u8_fields[below(u8_fields.size())];
                if (at >= b.size())
                    break;
                const uint8_t extremes[] = { 0, 1, 2, 3, 0x7f, 0x80, 0xff, static_cast<uint8_t>(below(256)) };
                b[at] = extremes[below(std::size(extremes))];
                break;
            }
            case 5:  // append junk
                for (size_t i = 0, n = 1 + below(16); i < n; ++i)
                    b.push_back(static_cast<uint8_t>(below(256)));
                break;
            }
        }
        return b;
    }

private:
    std::mt19937_64 m_rng;
};

// A string result is either the parser's static "" or lies inside the input, with its
// NUL inside the input too.
void expect_string_inside(const char* s, const ExactBuffer& buffer)
{
    const auto* p = reinterpret_cast<const uint8_t*>(s);
    if (p >= buffer.begin() && p < buffer.end()) {
        ASSERT_NE(std::memchr(p, 0, static_cast<size_t>(buffer.end() - p)), nullptr);
    } else {
        ASSERT_EQ(s[0], '\0');
    }
}

// After a truncation or append, makes the self-described length agree with the bytes
// again (as a loader or firmware that cut the data consistently would), so the walk
// runs right up to the new end instead of stopping at the length check.
void fit_length_field(Bytes& b, size_t length_at, size_t minimum_size)
{
    if (b.size() >= minimum_size)
        set_u32(b, length_at, static_cast<uint32_t>(b.size()));
}

// Fixes an SDT's checksum over what it claims to cover, so mutations reach the entry
// walk instead of all dying at the checksum.
void fix_sdt_checksum(Bytes& b)
{
    if (b.size() < 36)
        return;
    fix_checksum(b, 9, std::min<size_t>(get_u32(b, 4), b.size()));
}

// Structure-aware inputs built from scratch: random tags or entries with random (often
// too small) sizes, the end of the block falling anywhere. Mutating valid seeds rarely
// puts a short tag right at the end, which is where a missing per-type length check
// would read past the buffer.
Bytes random_multiboot(Mutator& m)
{
    MultibootBuilder b;
    for (size_t i = 0, n = m.below(8); i < n; ++i) {
        const uint32_t type = m.chance(90) ? static_cast<uint32_t>(1 + m.below(22)) : 0xffff;
        Bytes payload(m.below(48));
        for (auto& byte : payload)
            byte = m.chance(30) ? 0 : static_cast<uint8_t>(m.below(256));
        if (type == 6 && payload.size() >= 4 && m.chance(70))
            payload[0] = static_cast<uint8_t>(m.chance(50) ? 24 : m.below(48));
        b.tag(type, payload);
    }
    if (m.chance(80))
        b.end();
    Bytes out = b.build();
    if (m.chance(30))
        out.resize(m.below(out.size() + 1));
    if (m.chance(50))
        fit_length_field(out, 0, 8);
    return out;
}

Bytes random_madt(Mutator& m)
{
    static constexpr uint8_t kTypes[] = { 0, 1, 2, 3, 4, 5, 9, 0xA, 0xB, 0x7F };
    static constexpr uint8_t kNaturalLength[] = { 8, 12, 10, 8, 6, 12, 16, 12, 6, 4 };
    MadtBuilder b(0xFEE00000, static_cast<uint32_t>(m.below(4)));
    for (size_t i = 0, n = m.below(12); i < n; ++i) {
        const size_t which = m.below(std::size(kTypes));
        const size_t length = m.chance(60) ? kNaturalLength[which] : m.below(20);
        Bytes entry(length < 2 ? 2 : length);
        for (auto& byte : entry)
            byte = static_cast<uint8_t>(m.below(256));
        entry[0] = kTypes[which];
        entry[1] = static_cast<uint8_t>(length);
        b.raw(entry);
    }
    Bytes out = b.finish();
    if (m.chance(40)) {
        out.resize(m.below(out.size() + 1));
        fit_length_field(out, 4, 36);
    }
    fix_sdt_checksum(out);
    return out;
}

} // namespace

TEST(Fuzz, multiboot2_mutations_never_escape_the_block)
{
    const Bytes seeds[] = { bios_layout(), efi_layout(true), efi_layout(false),
        MultibootBuilder().cmdline("x", false).memory_map(bios_memory_map(), 40).end().build() };
    std::vector<std::vector<size_t>> fields;
    for (const auto& s : seeds)
        fields.push_back(multiboot_size_fields(s));

    Mutator mutator(kSeed);
    auto info = std::make_unique<boot::BootInfo>();
    size_t clean = 0;
    for (int i = 0; i < kIterations; ++i) {
        const size_t which = mutator.below(std::size(seeds));
        Bytes input = mutator.chance(25) ? random_multiboot(mutator) : mutator.mutate(seeds[which], fields[which], {});
        if (mutator.chance(30))
            fit_length_field(input, 0, 8);
        const ExactBuffer buffer(input);
        boot::parse_multiboot2(buffer.span(), *info);

        ASSERT_LE(info->memory_count, boot::kMaxMemoryRegions);
        ASSERT_LE(info->module_count, boot::kMaxModules);
        ASSERT_TRUE(info->rsdp_size == 0 || info->rsdp_size == 20 || info->rsdp_size == 36);
        expect_string_inside(info->cmdline, buffer);
        expect_string_inside(info->bootloader_name, buffer);
        for (size_t m = 0; m < info->module_count; ++m)
            expect_string_inside(info->modules[m].cmdline, buffer);
        if (info->error == boot::ParseError::none) {
            ASSERT_LE(info->total_size, input.size());
            ++clean;
        }
        if (::testing::Test::HasFatalFailure())
            FAIL() << "iteration " << i;
    }
    // The mutations must leave enough inputs valid to exercise the tag handlers.
    EXPECT_GT(clean, static_cast<size_t>(kIterations / 10));
}

TEST(Fuzz, cmdline_mutations_keep_every_option_in_range)
{
    const std::string seeds[] = {
        "test=all bench=deque log=debug timeslice_us=2500 x2apic=off smp.max_cpus=6",
        "smp.ap_timeout_ms=50 demo=off sched=locked trace=on nosmp expect_ap_failure=on",
        "test=all timeslice_us=12abc log=loud smp.max_cpus=0 bogus_option=1 x2apic=maybe",
        "timeslice_us=99999999999999999999 smp.max_cpus=4294967297 \t test=" + std::string(70, 'a'),
    };
    Mutator mutator(kSeed + 1);
    for (int i = 0; i < kIterations; ++i) {
        const std::string& seed = seeds[mutator.below(std::size(seeds))];
        const Bytes input = mutator.mutate(Bytes(seed.begin(), seed.end()), {}, {});
        const ExactBuffer buffer(input);
        boot::Options o;
        size_t seen = 0;
        const size_t warnings = boot::parse_cmdline(
            std::string_view(reinterpret_cast<const char*>(buffer.begin()), input.size()), o,
            [](void* c, const char* message) {
                ++*static_cast<size_t*>(c);
                const size_t length = std::strlen(message);
                ASSERT_GT(length, 9u);
                ASSERT_LT(length, 256u);
                ASSERT_EQ(std::strncmp(message, "cmdline: ", 9), 0);
                for (size_t k = 0; k < length; ++k)
                    ASSERT_TRUE(message[k] >= 0x20 && message[k] < 0x7f) << message;
            },
            &seen);
        ASSERT_EQ(warnings, seen);
        ASSERT_GE(o.timeslice_us, 100u);
        ASSERT_LE(o.timeslice_us, 1000000u);
        ASSERT_GE(o.max_cpus, 1u);
        ASSERT_LE(o.max_cpus, 256u);
        ASSERT_GE(o.ap_timeout_ms, 1u);
        ASSERT_LE(o.ap_timeout_ms, 10000u);
        ASSERT_LE(static_cast<int>(o.log), static_cast<int>(boot::LogLevel::error));
        ASSERT_LE(static_cast<int>(o.sched), static_cast<int>(boot::Options::Sched::locked));
        ASSERT_NE(std::memchr(o.test, 0, sizeof(o.test)), nullptr);
        ASSERT_NE(std::memchr(o.bench, 0, sizeof(o.bench)), nullptr);
        if (::testing::Test::HasFatalFailure())
            FAIL() << "iteration " << i;
    }
}

TEST(Fuzz, rsdp_and_root_table_mutations_stay_in_bounds)
{
    const Bytes rsdp_seeds[] = { make_rsdp_v1(0x1000), make_rsdp_v2(0x1000, 0x2000) };
    const Bytes root_seeds[] = { make_root_table(true, { 1, 2, 3, 4 }), make_root_table(false, { 1, 2, 3 }) };
    Mutator mutator(kSeed + 2);
    for (int i = 0; i < kIterations; ++i) {
        {
            const Bytes& seed = rsdp_seeds[mutator.below(2)];
            Bytes input = mutator.mutate(seed, { 16, 20 }, {});
            if (input.size() >= 20 && mutator.chance(50))
                fix_checksum(input, 8, 20);
            if (input.size() >= 36 && mutator.chance(50))
                fix_checksum(input, 32, std::min<size_t>(get_u32(input, 20), input.size()));
            const ExactBuffer buffer(input);
            acpi::Rsdp r;
            const acpi::Error e = acpi::parse_rsdp(buffer.span(), r);
            if (e != acpi::Error::none) {
                ASSERT_EQ(r.rsdt_phys, 0u);
                ASSERT_EQ(r.xsdt_phys, 0u);
            } else {
                ASSERT_GE(input.size(), 20u);
            }
        }
        {
            const size_t which = mutator.below(2);
            Bytes input = mutator.mutate(root_seeds[which], { 4 }, {});
            if (mutator.chance(30))
                fit_length_field(input, 4, 36);
            if (mutator.chance(70))
                fix_sdt_checksum(input);
            const ExactBuffer buffer(input);
            acpi::RootTable root;
            const acpi::Error e = acpi::parse_root_table(buffer.span(), mutator.chance(50), root);
            ASSERT_LE(root.count, acpi::kMaxRootEntries);
            if (e != acpi::Error::none && e != acpi::Error::truncated_entry) {
                ASSERT_EQ(root.count, 0u);
            }
        }
        if (::testing::Test::HasFatalFailure())
            FAIL() << "iteration " << i;
    }
}

TEST(Fuzz, madt_mutations_keep_counts_within_their_arrays)
{
    MadtBuilder rich = qemu_like_madt();
    rich.x2apic(0x100, 9).x2apic(0x101, 10, 0).x2apic_nmi(0xFFFFFFFF, 0, 1).address_override(0xFEE00000);
    rich.raw({ 0x0B, 6, 1, 2, 3, 4 });
    MadtBuilder many;
    for (uint32_t i = 0; i < 260; ++i)
        many.x2apic(i, i);
    const Bytes seeds[] = { qemu_like_madt().finish(), rich.finish(), many.finish() };

    // Entry type and length bytes of each seed, walked from the valid layout.
    std::vector<std::vector<size_t>> u8_fields;
    for (const auto& s : seeds) {
        std::vector<size_t> offsets;
        for (size_t offset = 44; offset + 2 <= s.size(); offset += s[offset + 1]) {
            offsets.push_back(offset);
            offsets.push_back(offset + 1);
        }
        u8_fields.push_back(offsets);
    }

    Mutator mutator(kSeed + 3);
    auto madt = std::make_unique<acpi::Madt>();
    size_t clean = 0;
    for (int i = 0; i < kIterations; ++i) {
        const size_t which = mutator.below(std::size(seeds));
        Bytes input = mutator.mutate(seeds[which], { 4, 36 }, u8_fields[which]);
        if (mutator.chance(30))
            fit_length_field(input, 4, 36);
        if (mutator.chance(80))
            fix_sdt_checksum(input);
        if (mutator.chance(25))
            input = random_madt(mutator);
        const ExactBuffer buffer(input);
        const acpi::Error e = acpi::parse_madt(buffer.span(), *madt);
        ASSERT_LE(madt->cpu_count, acpi::kMaxMadtCpus);
        ASSERT_LE(madt->ioapic_count, acpi::kMaxIoApics);
        ASSERT_LE(madt->override_count, acpi::kMaxOverrides);
        ASSERT_LE(madt->nmi_count, acpi::kMaxNmis);
        // No APIC ID twice: bring-up would start the same CPU twice.
        std::vector<uint32_t> ids;
        for (size_t c = 0; c < madt->cpu_count; ++c)
            ids.push_back(madt->cpus[c].apic_id);
        std::sort(ids.begin(), ids.end());
        ASSERT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
        if (e == acpi::Error::none)
            ++clean;
        if (::testing::Test::HasFatalFailure())
            FAIL() << "iteration " << i;
    }
    EXPECT_GT(clean, static_cast<size_t>(kIterations / 10));
}
