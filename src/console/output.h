// Console output: formatted lines to serial and the screen, and the raw per-sink writes the
// line redraw and `top` need (ANSI sequences go to serial only).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "drivers/console.h"  // Colour

namespace console {

void out(const char* fmt, ...) __attribute__((format(printf, 1, 2)));  // both sinks
void out_text(std::string_view text);  // both sinks
void out_serial(std::string_view text);
void out_screen(std::string_view text);

// Clears both: ANSI "erase display, home" on serial, a blank screen, cursor top left.
void clear_screens();
// The screen alone: blank it, cursor top left.
void clear_screen_only();

// Screen only: `text` in these colours.
void out_screen_coloured(std::string_view text, Colour foreground, Colour background);

}  // namespace console
