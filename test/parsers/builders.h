// Byte builders for the parser tests: every test spells out the bytes it feeds, in the
// on-disk/in-memory little-endian layout the firmware or boot loader would produce.
#pragma once
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace testbytes {

using Bytes = std::vector<uint8_t>;

inline void put_u8(Bytes& b, uint8_t v) { b.push_back(v); }
inline void put_u16(Bytes& b, uint16_t v)
{
    for (int i = 0; i < 2; ++i)
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_u32(Bytes& b, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_u64(Bytes& b, uint64_t v)
{
    for (int i = 0; i < 8; ++i)
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_text(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
inline void set_u32(Bytes& b, size_t offset, uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        b.at(offset + i) = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t get_u32(const Bytes& b, size_t offset)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v |= static_cast<uint32_t>(b.at(offset + i)) << (8 * i);
    return v;
}

// Sets b[checksum_at] so that bytes [0, length) sum to zero mod 256.
inline void fix_checksum(Bytes& b, size_t checksum_at, size_t length)
{
    b.at(checksum_at) = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i)
        sum = static_cast<uint8_t>(sum + b.at(i));
    b.at(checksum_at) = static_cast<uint8_t>(-sum);
}

// A heap copy of exactly `size` bytes, so AddressSanitizer reports any read past the end
// (a std::vector may own spare capacity that hides such a read).
class ExactBuffer {
public:
    explicit ExactBuffer(std::span<const uint8_t> bytes)
        : m_data(new uint8_t[bytes.size() ? bytes.size() : 1])
        , m_size(bytes.size())
    {
        if (!bytes.empty())
            std::memcpy(m_data.get(), bytes.data(), bytes.size());
    }
    std::span<const uint8_t> span() const { return { m_data.get(), m_size }; }
    const uint8_t* begin() const { return m_data.get(); }
    const uint8_t* end() const { return m_data.get() + m_size; }

private:
    std::unique_ptr<uint8_t[]> m_data;
    size_t m_size;
};

// ---------------------------------------------------------------- multiboot2

struct MemoryEntry {
    uint64_t base, length;
    uint32_t type;
};

class MultibootBuilder {
public:
    MultibootBuilder()
    {
        put_u32(m_bytes, 0);  // total_size, patched by build()
        put_u32(m_bytes, 0);  // reserved
    }

    // A tag whose size field is header + payload (unless size_override), padded to 8.
    MultibootBuilder& tag(uint32_t type, const Bytes& payload, std::optional<uint32_t> size_override = {})
    {
        put_u32(m_bytes, type);
        put_u32(m_bytes, size_override.value_or(static_cast<uint32_t>(8 + payload.size())));
        m_bytes.insert(m_bytes.end(), payload.begin(), payload.end());
        while (m_bytes.size() % 8)
            m_bytes.push_back(0);
        return *this;
    }

    MultibootBuilder& string_tag(uint32_t type, std::string_view text, bool terminate = true)
    {
        Bytes payload;
        put_text(payload, text);
        if (terminate)
            payload.push_back(0);
        return tag(type, payload);
    }
    MultibootBuilder& cmdline(std::string_view text, bool terminate = true) { return string_tag(1, text, terminate); }
    MultibootBuilder& bootloader_name(std::string_view text) { return string_tag(2, text); }

    MultibootBuilder& module(uint32_t start, uint32_t end, std::string_view name)
    {
        Bytes payload;
        put_u32(payload, start);
        put_u32(payload, end);
        put_text(payload, name);
        payload.push_back(0);
        return tag(3, payload);
    }

    MultibootBuilder& basic_meminfo(uint32_t lower_kib, uint32_t upper_kib)
    {
        Bytes payload;
        put_u32(payload, lower_kib);
        put_u32(payload, upper_kib);
        return tag(4, payload);
    }

    MultibootBuilder& memory_map(const std::vector<MemoryEntry>& entries, uint32_t entry_size = 24)
    {
        Bytes payload;
        put_u32(payload, entry_size);
        put_u32(payload, 0);  // entry_version
        for (const auto& e : entries) {
            const size_t start = payload.size();
            put_u64(payload, e.base);
            put_u64(payload, e.length);
            put_u32(payload, e.type);
            put_u32(payload, 0);
            while (payload.size() - start < entry_size)
                payload.push_back(0xAB);  // future fields the parser must skip
        }
        return tag(6, payload);
    }

    MultibootBuilder& framebuffer_rgb(uint64_t addr, uint32_t pitch, uint32_t width, uint32_t height, uint8_t bpp)
    {
        Bytes payload;
        put_u64(payload, addr);
        put_u32(payload, pitch);
        put_u32(payload, width);
        put_u32(payload, height);
        put_u8(payload, bpp);
        put_u8(payload, 1);  // RGB
        put_u16(payload, 0);
        for (uint8_t v : { 16, 8, 8, 8, 0, 8 })
            put_u8(payload, v);
        return tag(8, payload);
    }

    MultibootBuilder& rsdp_tag(uint32_t type, const Bytes& rsdp) { return tag(type, rsdp); }

    MultibootBuilder& u64_tag(uint32_t type, uint64_t value)
    {
        Bytes payload;
        put_u64(payload, value);
        return tag(type, payload);
    }

    MultibootBuilder& end() { return tag(0, {}); }

    // Patches total_size (to the real size unless overridden).
    Bytes build(std::optional<uint32_t> total_size = {}) const
    {
        Bytes out = m_bytes;
        set_u32(out, 0, total_size.value_or(static_cast<uint32_t>(out.size())));
        return out;
    }

    size_t size() const { return m_bytes.size(); }

private:
    Bytes m_bytes;
};

// ---------------------------------------------------------------- ACPI

inline Bytes make_rsdp_v1(uint32_t rsdt, uint8_t revision = 0)
{
    Bytes b;
    put_text(b, "RSD PTR ");
    put_u8(b, 0);  // checksum
    put_text(b, "BOCHS ");
    put_u8(b, revision);
    put_u32(b, rsdt);
    fix_checksum(b, 8, 20);
    return b;
}

inline Bytes make_rsdp_v2(uint32_t rsdt, uint64_t xsdt)
{
    Bytes b = make_rsdp_v1(rsdt, 2);
    put_u32(b, 36);
    put_u64(b, xsdt);
    put_u8(b, 0);  // extended checksum
    put_u8(b, 0);
    put_u8(b, 0);
    put_u8(b, 0);
    fix_checksum(b, 8, 20);
    fix_checksum(b, 32, 36);
    return b;
}

// Any SDT: a 36-byte header, then the body; finish() fills length and checksum.
class SdtBuilder {
public:
    explicit SdtBuilder(std::string_view signature)
    {
        put_text(m_bytes, signature.substr(0, 4));
        put_u32(m_bytes, 0);  // length
        put_u8(m_bytes, 1);   // revision
        put_u8(m_bytes, 0);   // checksum
        put_text(m_bytes, "LFKTST");
        put_text(m_bytes, "PARSERS ");
        put_u32(m_bytes, 1);
        put_u32(m_bytes, 0x4C464B20);
        put_u32(m_bytes, 1);
    }

    Bytes& body() { return m_bytes; }

    Bytes finish() const
    {
        Bytes out = m_bytes;
        set_u32(out, 4, static_cast<uint32_t>(out.size()));
        fix_checksum(out, 9, out.size());
        return out;
    }

protected:
    Bytes m_bytes;
};

class MadtBuilder : public SdtBuilder {
public:
    explicit MadtBuilder(uint32_t lapic_address = 0xFEE00000, uint32_t flags = 1)
        : SdtBuilder("APIC")
    {
        put_u32(m_bytes, lapic_address);
        put_u32(m_bytes, flags);
    }

    MadtBuilder& local_apic(uint8_t uid, uint8_t apic_id, uint32_t flags = 1)
    {
        put_u8(m_bytes, 0);
        put_u8(m_bytes, 8);
        put_u8(m_bytes, uid);
        put_u8(m_bytes, apic_id);
        put_u32(m_bytes, flags);
        return *this;
    }
    MadtBuilder& io_apic(uint8_t id, uint32_t address, uint32_t gsi_base)
    {
        put_u8(m_bytes, 1);
        put_u8(m_bytes, 12);
        put_u8(m_bytes, id);
        put_u8(m_bytes, 0);
        put_u32(m_bytes, address);
        put_u32(m_bytes, gsi_base);
        return *this;
    }
    MadtBuilder& interrupt_override(uint8_t bus, uint8_t source, uint32_t gsi, uint16_t flags)
    {
        put_u8(m_bytes, 2);
        put_u8(m_bytes, 10);
        put_u8(m_bytes, bus);
        put_u8(m_bytes, source);
        put_u32(m_bytes, gsi);
        put_u16(m_bytes, flags);
        return *this;
    }
    MadtBuilder& local_apic_nmi(uint8_t uid, uint16_t flags, uint8_t lint)
    {
        put_u8(m_bytes, 4);
        put_u8(m_bytes, 6);
        put_u8(m_bytes, uid);
        put_u16(m_bytes, flags);
        put_u8(m_bytes, lint);
        return *this;
    }
    MadtBuilder& address_override(uint64_t address)
    {
        put_u8(m_bytes, 5);
        put_u8(m_bytes, 12);
        put_u16(m_bytes, 0);
        put_u64(m_bytes, address);
        return *this;
    }
    MadtBuilder& x2apic(uint32_t apic_id, uint32_t uid, uint32_t flags = 1)
    {
        put_u8(m_bytes, 9);
        put_u8(m_bytes, 16);
        put_u16(m_bytes, 0);
        put_u32(m_bytes, apic_id);
        put_u32(m_bytes, flags);
        put_u32(m_bytes, uid);
        return *this;
    }
    MadtBuilder& x2apic_nmi(uint32_t uid, uint16_t flags, uint8_t lint)
    {
        put_u8(m_bytes, 0xA);
        put_u8(m_bytes, 12);
        put_u16(m_bytes, flags);
        put_u32(m_bytes, uid);
        put_u8(m_bytes, lint);
        put_u8(m_bytes, 0);
        put_u16(m_bytes, 0);
        return *this;
    }
    MadtBuilder& raw(const Bytes& entry)
    {
        m_bytes.insert(m_bytes.end(), entry.begin(), entry.end());
        return *this;
    }
};

inline Bytes make_root_table(bool xsdt, const std::vector<uint64_t>& entries)
{
    SdtBuilder b(xsdt ? "XSDT" : "RSDT");
    for (uint64_t e : entries) {
        if (xsdt)
            put_u64(b.body(), e);
        else
            put_u32(b.body(), static_cast<uint32_t>(e));
    }
    return b.finish();
}

// An FADT of `length` bytes (116: ACPI 1.0; 276: ACPI 6.x) with the fields the kernel
// reads; fields past `length` are left out.
struct FadtFields {
    uint32_t dsdt = 0;
    uint32_t pm1a_control = 0;
    uint64_t x_dsdt = 0;
    uint8_t x_pm1a_space = 1;  // 1 = system I/O, 0 = memory
    uint64_t x_pm1a_control = 0;
    uint32_t flags = 0;  // bit 10: RESET_REG_SUP
    uint8_t reset_space = 1;
    uint64_t reset_address = 0;
    uint8_t reset_value = 0;
};

inline Bytes make_fadt(size_t length, const FadtFields& f)
{
    SdtBuilder b("FACP");
    Bytes& t = b.body();
    t.resize(std::max<size_t>(length, 36), 0);
    auto put_at = [&](size_t at, uint64_t v, size_t size) {
        for (size_t i = 0; i < size && at + i < t.size(); ++i)
            t[at + i] = static_cast<uint8_t>(v >> (8 * i));
    };
    put_at(40, f.dsdt, 4);
    put_at(64, f.pm1a_control, 4);
    put_at(112, f.flags, 4);
    put_at(116, f.reset_space, 1);
    put_at(117, 8, 1);  // register bit width
    put_at(120, f.reset_address, 8);
    put_at(128, f.reset_value, 1);
    put_at(140, f.x_dsdt, 8);
    put_at(172, f.x_pm1a_space, 1);
    put_at(173, 16, 1);  // register bit width
    put_at(176, f.x_pm1a_control, 8);
    return b.finish();
}

// A DSDT whose AML is `aml`, e.g. the bytes of `Name(_S5, Package(){ 5, 0 })`.
inline Bytes make_dsdt(const Bytes& aml)
{
    SdtBuilder b("DSDT");
    b.body().insert(b.body().end(), aml.begin(), aml.end());
    return b.finish();
}

} // namespace testbytes
