// Text mode: 2 bytes per cell (character, attribute). Scrolls by moving rows up.
#include "drivers/vga_text.h"

#include "arch/x86_64/cpu.h"
#include "mm/layout.h"

namespace vga_text {
namespace {

constexpr uint16_t kAttribute = 0x07 << 8;  // light grey on black
uint16_t g_attribute = kAttribute;  // of the text written now
volatile uint16_t* g_cells = nullptr;
uint32_t g_columns = 0, g_rows = 0;
uint32_t g_column = 0, g_row = 0;

void clear_row(uint32_t row) {
    for (uint32_t c = 0; c < g_columns; ++c) g_cells[row * g_columns + c] = kAttribute | ' ';
}

void scroll() {
    for (uint32_t i = 0; i < (g_rows - 1) * g_columns; ++i) g_cells[i] = g_cells[i + g_columns];
    clear_row(g_rows - 1);
}

void newline() {
    g_column = 0;
    if (++g_row == g_rows) {
        scroll();
        g_row = g_rows - 1;
    }
}

// The blinking hardware cursor follows the text (CRT controller registers 0x0e/0x0f).
void move_cursor() {
    uint16_t pos = uint16_t(g_row * g_columns + g_column);
    arch::outb(0x3d4, 0x0f);
    arch::outb(0x3d5, uint8_t(pos));
    arch::outb(0x3d4, 0x0e);
    arch::outb(0x3d5, uint8_t(pos >> 8));
}

}  // namespace

void init(uint64_t phys, uint32_t columns, uint32_t rows) {
    if (columns == 0 || rows == 0 || columns > 256 || rows > 256) return;
    g_cells = mm::phys_to_ptr<uint16_t>(phys);
    g_columns = columns;
    g_rows = rows;
    for (uint32_t r = 0; r < rows; ++r) clear_row(r);
    g_row = g_column = 0;
    move_cursor();
}

void write(const char* s, size_t n) {
    if (g_cells == nullptr) return;
    for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        if (c == '\n') {
            newline();
        } else if (c == '\r') {
            g_column = 0;
        } else {
            if (g_column == g_columns) newline();
            uint8_t ch = (c >= 0x20 && c < 0x7f) ? uint8_t(c) : '?';
            g_cells[g_row * g_columns + g_column++] = uint16_t(g_attribute | ch);
        }
    }
    move_cursor();
}

void set_colours(uint8_t foreground, uint8_t background) {
    g_attribute = uint16_t(((background & 15) << 4 | (foreground & 15)) << 8);
}

void reset_colours() { g_attribute = kAttribute; }

void clear() {
    if (g_cells == nullptr) return;
    for (uint32_t r = 0; r < g_rows; ++r) clear_row(r);
    g_row = g_column = 0;
    move_cursor();
}

}  // namespace vga_text
