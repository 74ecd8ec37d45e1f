// Little-endian loads from byte buffers that may sit at any alignment. The parsers of
// untrusted bytes (multiboot2, ACPI) read every multi-byte field through these instead
// of casting to a wider pointer, which would be undefined behaviour when misaligned
// (UBSan flags it on the host) and hides the bounds check the caller must do first.
// Freestanding and host-compiled: no includes beyond <cstdint>.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lib {

// The caller guarantees that [p, p + N) is inside its buffer.
inline uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

inline uint32_t load_le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
           (static_cast<uint32_t>(p[3]) << 24);
}

inline uint64_t load_le64(const uint8_t* p) {
    return static_cast<uint64_t>(load_le32(p)) | (static_cast<uint64_t>(load_le32(p + 4)) << 32);
}

}  // namespace lib
