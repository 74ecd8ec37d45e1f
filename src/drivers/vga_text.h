// EGA/VGA text mode console (BIOS boots where GRUB left text mode on).
#pragma once
#include <cstddef>
#include <cstdint>

namespace vga_text {
// `phys` is the text buffer (0xb8000), reached through the direct map.
void init(uint64_t phys, uint32_t columns, uint32_t rows);
void write(const char* s, size_t n);
// Colours (VGA palette indices 0-15) of the text written from now on; reset: grey on black.
void set_colours(uint8_t foreground, uint8_t background);
void reset_colours();
// Blanks the screen and puts the cursor top left.
void clear();
}  // namespace vga_text
