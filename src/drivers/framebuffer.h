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

}  // namespace fbcon
