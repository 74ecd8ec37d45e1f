#include "console/output.h"

#include <cstdarg>

#include "drivers/console.h"
#include "lib/log.h"

namespace console {

void out(const char* fmt, ...) {
    char buffer[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buffer, sizeof buffer, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t length = size_t(n) < sizeof buffer ? size_t(n) : sizeof buffer - 1;
    out_text(std::string_view(buffer, length));
}

// ANSI sequences (ESC [ params final) reach serial only; the screen gets the rest.
void out_text(std::string_view text) {
    bool has_escape = false;
    for (char c : text) has_escape = has_escape || c == '\x1b';
    if (!has_escape) {
        console::write(text.data(), text.size());
        return;
    }
    out_serial(text);
    char plain[1024];
    size_t length = 0;
    for (size_t i = 0; i < text.size() && length < sizeof plain; ++i) {
        if (text[i] != '\x1b') {
            plain[length++] = text[i];
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '[') {
            i += 2;
            while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7e)) ++i;
        }
    }
    out_screen(std::string_view(plain, length));
}
void out_serial(std::string_view text) { console::write_serial(text.data(), text.size()); }
void out_screen(std::string_view text) { console::write_screen(text.data(), text.size()); }

void clear_screens() {
    out_serial("\x1b[2J\x1b[H");
    clear_screen_only();
}

void clear_screen_only() { console::clear_screen(); }

void out_screen_coloured(std::string_view text, Colour foreground, Colour background) {
    console::write_screen_coloured(text.data(), text.size(), foreground, background);
}

}  // namespace console
