// Text on a linear framebuffer. The screen is a grid of 8x16 cells; scrolling moves the
// pixel rows up by one text line. The framebuffer is reached through the direct map and
// registered with map_mmio() so paging_init() maps it uncached.
#include "drivers/framebuffer.h"

#include "lib/libc.h"
#include "mm/layout.h"
#include "mm/paging.h"

namespace fbcon {
namespace {

struct Screen {
    uint8_t* base = nullptr;
    uint32_t pitch = 0, width = 0, height = 0;
    uint32_t bytes_per_pixel = 0;
    uint32_t foreground = 0, background = 0;
    uint32_t default_foreground = 0, default_background = 0;
    uint32_t palette[16] = {};  // the VGA colours in this framebuffer's pixel format
    uint32_t columns = 0, rows = 0;
    uint32_t column = 0, row = 0;
};
Screen g_screen;

// The 16 colours of the VGA text-mode palette (RGB), so both screens show the same.
constexpr uint8_t kVgaPalette[16][3] = {
    {0x00, 0x00, 0x00}, {0x00, 0x00, 0xaa}, {0x00, 0xaa, 0x00}, {0x00, 0xaa, 0xaa},
    {0xaa, 0x00, 0x00}, {0xaa, 0x00, 0xaa}, {0xaa, 0x55, 0x00}, {0xaa, 0xaa, 0xaa},
    {0x55, 0x55, 0x55}, {0x55, 0x55, 0xff}, {0x55, 0xff, 0x55}, {0x55, 0xff, 0xff},
    {0xff, 0x55, 0x55}, {0xff, 0x55, 0xff}, {0xff, 0xff, 0x55}, {0xff, 0xff, 0xff},
};

uint32_t scale_channel(uint32_t value8, uint8_t pos, uint8_t size) {
    if (size == 0) return 0;
    uint32_t v = size >= 8 ? value8 << (size - 8) : value8 >> (8 - size);
    return v << pos;
}

uint32_t rgb(const FramebufferInfo& fb, uint8_t r, uint8_t g, uint8_t b) {
    return scale_channel(r, fb.red_pos, fb.red_size) | scale_channel(g, fb.green_pos, fb.green_size) |
           scale_channel(b, fb.blue_pos, fb.blue_size);
}

void put_pixel(uint8_t* p, uint32_t value) {
    switch (g_screen.bytes_per_pixel) {
        case 4:
            *reinterpret_cast<volatile uint32_t*>(p) = value;
            break;
        case 3:
            p[0] = uint8_t(value);
            p[1] = uint8_t(value >> 8);
            p[2] = uint8_t(value >> 16);
            break;
        case 2:
            *reinterpret_cast<volatile uint16_t*>(p) = uint16_t(value);
            break;
    }
}

void fill_rows(uint32_t first_pixel_row, uint32_t count, uint32_t value) {
    for (uint32_t y = first_pixel_row; y < first_pixel_row + count; ++y) {
        uint8_t* line = g_screen.base + size_t(y) * g_screen.pitch;
        for (uint32_t x = 0; x < g_screen.width; ++x) put_pixel(line + x * g_screen.bytes_per_pixel, value);
    }
}

void draw_glyph(uint32_t column, uint32_t row, char c) {
    int index = (c >= kFontFirst && c < kFontFirst + kFontGlyphs) ? c - kFontFirst : '?' - kFontFirst;
    const uint8_t* glyph = g_font8x16[index];
    for (int gy = 0; gy < kFontHeight; ++gy) {
        uint8_t* line = g_screen.base + size_t(row * kFontHeight + gy) * g_screen.pitch +
                        size_t(column) * kFontWidth * g_screen.bytes_per_pixel;
        for (int gx = 0; gx < kFontWidth; ++gx) {
            bool on = glyph[gy] & (0x80 >> gx);
            put_pixel(line + gx * g_screen.bytes_per_pixel, on ? g_screen.foreground : g_screen.background);
        }
    }
}

void newline() {
    g_screen.column = 0;
    if (++g_screen.row < g_screen.rows) return;
    // Move text lines 1..rows-1 up by one line, then clear the last one.
    size_t line_bytes = size_t(g_screen.pitch) * kFontHeight;
    memmove(g_screen.base, g_screen.base + line_bytes, line_bytes * (g_screen.rows - 1));
    fill_rows((g_screen.rows - 1) * kFontHeight, kFontHeight, g_screen.background);
    g_screen.row = g_screen.rows - 1;
}

}  // namespace

bool init(const FramebufferInfo& fb, const char** why) {
    *why = "";
    if (!fb.present || fb.type != 1) {
        *why = "not a direct-colour framebuffer";
        return false;
    }
    if (fb.bpp != 16 && fb.bpp != 24 && fb.bpp != 32) {
        *why = "unsupported bits per pixel";
        return false;
    }
    uint32_t bytes_per_pixel = fb.bpp / 8;
    if (fb.width < kFontWidth || fb.height < kFontHeight || fb.width > 16384 || fb.height > 16384 ||
        uint64_t(fb.width) * bytes_per_pixel > fb.pitch) {
        *why = "implausible geometry";
        return false;
    }
    uint64_t size = uint64_t(fb.pitch) * fb.height;
    if (fb.phys_addr == 0 || fb.phys_addr + size < fb.phys_addr) {
        *why = "bad address";
        return false;
    }
    // Until paging_init() the boot tables map only the low 4 GiB.
    if (fb.phys_addr + size > (4ull << 30)) {
        *why = "above 4 GiB";
        return false;
    }
    void* base = mm::map_mmio(fb.phys_addr, size);
    if (base == nullptr) {
        *why = "cannot map it";
        return false;
    }

    g_screen.base = static_cast<uint8_t*>(base);
    g_screen.pitch = fb.pitch;
    g_screen.width = fb.width;
    g_screen.height = fb.height;
    g_screen.bytes_per_pixel = bytes_per_pixel;
    g_screen.default_foreground = g_screen.foreground = rgb(fb, 0xcc, 0xcc, 0xcc);
    g_screen.default_background = g_screen.background = rgb(fb, 0, 0, 0);
    for (int i = 0; i < 16; ++i) g_screen.palette[i] = rgb(fb, kVgaPalette[i][0], kVgaPalette[i][1], kVgaPalette[i][2]);
    g_screen.columns = fb.width / kFontWidth;
    g_screen.rows = fb.height / kFontHeight;
    g_screen.column = g_screen.row = 0;
    fill_rows(0, fb.height, g_screen.background);
    return true;
}

void write(const char* s, size_t n) {
    if (g_screen.base == nullptr) return;
    for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        if (c == '\n') {
            newline();
        } else if (c == '\r') {
            g_screen.column = 0;
        } else {
            if (g_screen.column == g_screen.columns) newline();
            draw_glyph(g_screen.column++, g_screen.row, c);
        }
    }
}

void set_colours(uint8_t foreground, uint8_t background) {
    g_screen.foreground = g_screen.palette[foreground & 15];
    g_screen.background = g_screen.palette[background & 15];
}

void reset_colours() {
    g_screen.foreground = g_screen.default_foreground;
    g_screen.background = g_screen.default_background;
}

void clear() {
    if (g_screen.base == nullptr) return;
    fill_rows(0, g_screen.rows * kFontHeight, g_screen.default_background);
    g_screen.column = g_screen.row = 0;
}

}  // namespace fbcon
