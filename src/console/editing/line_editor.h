// The edited command line: what each key does to it, and the history. Pure and host-tested;
// drawing it is the caller's business (view() says what fits in a given width).
//   printable characters insert at the cursor (up to kMaxLine; more is refused);
//   left/right/home/end (and Ctrl-A/E/B/F) move; backspace/delete (Ctrl-D) erase;
//   Ctrl-U erases the line; up/down (Ctrl-P/N) walk the history, keeping the line being
//   typed as the newest entry; enter submits; Ctrl-C aborts; Ctrl-L asks for a clear
//   screen. Every other key is ignored.
#pragma once
#include <cstddef>
#include <string_view>

#include "console/editing/key.h"

namespace console {

class LineEditor {
public:
    static constexpr size_t kMaxLine = 200;
    static constexpr size_t kHistory = 16;

    enum class Action : unsigned char {
        none,  // nothing changed (ignored key, or refused: line full, at an end)
        changed,  // the line or the cursor changed: redraw
        submit,  // enter: line() is the command; it is in the history; call clear()
        abort,  // Ctrl-C: the line is abandoned; call clear()
        clear_screen,  // Ctrl-L: clear the screen and redraw the line
    };

    Action feed(Key key);
    void clear();  // an empty line for the next prompt; the history stays

    std::string_view line() const { return {m_line, m_length}; }
    size_t cursor() const { return m_cursor; }
    size_t history_size() const { return m_history_count; }

    // The part of the line to show in `columns` (>= 2) columns: [first, first + length),
    // keeping the cursor visible, and the cursor's column within that slice.
    struct View {
        size_t first = 0, length = 0, cursor_column = 0;
    };
    View view(size_t columns) const;

private:
    bool insert(char c);
    bool erase_at(size_t position);
    void set_line(std::string_view text);
    void remember(std::string_view text);
    bool recall(size_t back);  // 0 = the line being typed, 1 = newest history entry, ...

    char m_line[kMaxLine] = {};
    size_t m_length = 0;
    size_t m_cursor = 0;
    mutable size_t m_view_first = 0;  // the horizontal scroll position view() keeps

    char m_history[kHistory][kMaxLine] = {};
    size_t m_history_length[kHistory] = {};
    size_t m_history_count = 0;  // entries in use (<= kHistory)
    size_t m_history_next = 0;  // ring slot the next entry goes to
    size_t m_browse = 0;  // 0 = editing the new line; k = k-th newest entry shown
    char m_draft[kMaxLine] = {};  // the new line, kept while browsing
    size_t m_draft_length = 0;
};

}  // namespace console
