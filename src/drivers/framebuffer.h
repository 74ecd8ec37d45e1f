// Linear framebuffer text console (UEFI, or BIOS when GRUB sets a VBE mode), drawn with
// the built-in 8x16 font. Supports direct-colour framebuffers of 16, 24 and 32 bpp.
#pragma once
#include <cstddef>
#include <cstdint>

#include "drivers/framebuffer_info.h"

namespace fbcon {

constexpr int kFontWidth = 8;
constexpr int kFontHeight = 16;
constexpr int kFontFirst = 0x20;  // glyphs cover printable ASCII 0x20..0x7e
constexpr int kFontGlyphs = 0x7f - kFontFirst;
extern const uint8_t g_font8x16[kFontGlyphs][kFontHeight];

// Returns false (and draws nothing) for formats it cannot drive; the reason is in `why`.
bool init(const FramebufferInfo& fb, const char** why);
void write(const char* s, size_t n);
// Colours of the text written from now on, as VGA palette indices (0-15, the same colours
// VGA text mode shows); reset_colours() goes back to light grey on black.
void set_colours(uint8_t foreground, uint8_t background);
void reset_colours();
// Blanks the screen and puts the cursor top left.
void clear();

}  // namespace fbcon
