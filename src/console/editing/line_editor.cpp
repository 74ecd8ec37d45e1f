#include "console/editing/line_editor.h"

namespace console {

LineEditor::Action LineEditor::feed(Key key) {
    switch (key.code) {
        case KeyCode::character:
            return insert(key.ch) ? Action::changed : Action::none;
        case KeyCode::enter:
            remember(line());
            m_browse = 0;
            return Action::submit;
        case KeyCode::backspace:
            return m_cursor > 0 && erase_at(--m_cursor) ? Action::changed : Action::none;
        case KeyCode::del:
            return erase_at(m_cursor) ? Action::changed : Action::none;
        case KeyCode::left:
            if (m_cursor == 0) return Action::none;
            --m_cursor;
            return Action::changed;
        case KeyCode::right:
            if (m_cursor == m_length) return Action::none;
            ++m_cursor;
            return Action::changed;
        case KeyCode::home:
            if (m_cursor == 0) return Action::none;
            m_cursor = 0;
            return Action::changed;
        case KeyCode::end:
            if (m_cursor == m_length) return Action::none;
            m_cursor = m_length;
            return Action::changed;
        case KeyCode::up:
            return recall(m_browse + 1) ? Action::changed : Action::none;
        case KeyCode::down:
            return m_browse > 0 && recall(m_browse - 1) ? Action::changed : Action::none;
        case KeyCode::ctrl:
            switch (key.ch) {
                case 'a':
                    return feed(Key::of(KeyCode::home));
                case 'b':
                    return feed(Key::of(KeyCode::left));
                case 'c':
                    return Action::abort;
                case 'd':
                    return feed(Key::of(KeyCode::del));
                case 'e':
                    return feed(Key::of(KeyCode::end));
                case 'f':
                    return feed(Key::of(KeyCode::right));
                case 'l':
                    return Action::clear_screen;
                case 'n':
                    return feed(Key::of(KeyCode::down));
                case 'p':
                    return feed(Key::of(KeyCode::up));
                case 'u':
                    if (m_length == 0) return Action::none;
                    set_line({});
                    return Action::changed;
                default:
                    return Action::none;
            }
        case KeyCode::tab:
        case KeyCode::none:
            return Action::none;
    }
    return Action::none;
}

void LineEditor::clear() {
    m_length = m_cursor = m_view_first = 0;
    m_browse = 0;
    m_draft_length = 0;
}

bool LineEditor::insert(char c) {
    if (c < 0x20 || c >= 0x7f || m_length == kMaxLine) return false;
    for (size_t i = m_length; i > m_cursor; --i) m_line[i] = m_line[i - 1];
    m_line[m_cursor++] = c;
    ++m_length;
    return true;
}

bool LineEditor::erase_at(size_t position) {
    if (position >= m_length) return false;
    for (size_t i = position; i + 1 < m_length; ++i) m_line[i] = m_line[i + 1];
    --m_length;
    return true;
}

void LineEditor::set_line(std::string_view text) {
    m_length = text.size() < kMaxLine ? text.size() : kMaxLine;
    for (size_t i = 0; i < m_length; ++i) m_line[i] = text[i];
    m_cursor = m_length;
}

void LineEditor::remember(std::string_view text) {
    bool blank = true;
    for (char c : text) blank = blank && c == ' ';
    if (blank) return;
    if (m_history_count > 0) {  // no duplicate of the newest entry
        const size_t newest = (m_history_next + kHistory - 1) % kHistory;
        if (std::string_view(m_history[newest], m_history_length[newest]) == text) return;
    }
    for (size_t i = 0; i < text.size(); ++i) m_history[m_history_next][i] = text[i];
    m_history_length[m_history_next] = text.size();
    m_history_next = (m_history_next + 1) % kHistory;
    if (m_history_count < kHistory) ++m_history_count;
}

bool LineEditor::recall(size_t back) {
    if (back > m_history_count) return false;
    if (m_browse == 0) {  // leaving the new line: keep it
        for (size_t i = 0; i < m_length; ++i) m_draft[i] = m_line[i];
        m_draft_length = m_length;
    }
    m_browse = back;
    if (back == 0) {
        set_line({m_draft, m_draft_length});
    } else {
        const size_t slot = (m_history_next + kHistory - back) % kHistory;
        set_line({m_history[slot], m_history_length[slot]});
    }
    return true;
}

LineEditor::View LineEditor::view(size_t columns) const {
    if (columns < 2) columns = 2;
    // One column stays free for the cursor after the last character.
    const size_t width = columns - 1;
    if (m_cursor < m_view_first) m_view_first = m_cursor;
    if (m_cursor > m_view_first + width) m_view_first = m_cursor - width;
    if (m_view_first > m_length) m_view_first = m_length;
    // Scroll back when the line got shorter and fits again.
    if (m_length <= width) m_view_first = 0;
    View v;
    v.first = m_view_first;
    const size_t rest = m_length - m_view_first;
    v.length = rest < width ? rest : width;
    v.cursor_column = m_cursor - m_view_first;
    return v;
}

}  // namespace console
