// EGA/VGA text mode console (BIOS boots where GRUB left text mode on).
#pragma once
#include <cstddef>
#include <cstdint>

namespace vga_text {
// `phys` is the text buffer (0xb8000), reached through the direct map.
void init(uint64_t phys, uint32_t columns, uint32_t rows);
void write(const char* s, size_t n);
}  // namespace vga_text
