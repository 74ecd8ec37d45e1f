#include "console/editing/escape_decoder.h"

namespace console {
namespace {

constexpr uint8_t kEscape = 0x1b;

Key cursor_key(uint8_t final_byte) {
    switch (final_byte) {
        case 'A':
            return Key::of(KeyCode::up);
        case 'B':
            return Key::of(KeyCode::down);
        case 'C':
            return Key::of(KeyCode::right);
        case 'D':
            return Key::of(KeyCode::left);
        case 'H':
            return Key::of(KeyCode::home);
        case 'F':
            return Key::of(KeyCode::end);
        default:
            return {};
    }
}

// A byte outside any sequence.
Key ground_key(uint8_t byte) {
    if (byte >= 0x20 && byte < 0x7f) return Key::character(char(byte));
    switch (byte) {
        case '\r':
        case '\n':
            return Key::of(KeyCode::enter);
        case 0x7f:
        case 0x08:
            return Key::of(KeyCode::backspace);
        case '\t':
            return Key::of(KeyCode::tab);
        default:
            break;
    }
    if (byte >= 0x01 && byte <= 0x1a) return Key::control(char('a' + byte - 1));
    return {};  // NUL, FS..US, and everything >= 0x80: no key
}

}  // namespace

Key EscapeDecoder::feed(uint8_t byte) {
    switch (m_state) {
        case State::ground: {
            const bool lf_after_cr = byte == '\n' && m_after_cr;
            m_after_cr = byte == '\r';
            if (lf_after_cr) return {};
            if (byte == kEscape) {
                m_state = State::escape;
                return {};
            }
            return ground_key(byte);
        }
        case State::escape:
            m_after_cr = false;
            if (byte == '[') {
                m_state = State::csi;
                m_parameter_count = 0;
                return {};
            }
            if (byte == 'O') {
                m_state = State::ss3;
                return {};
            }
            if (byte == kEscape) return {};  // ESC ESC: still one escape pending
            // ESC + anything else (Alt-x): the escape is dropped, the byte counts as typed.
            m_state = State::ground;
            return feed(byte);
        case State::ss3:
            if (byte == kEscape) {  // as in CSI: an interrupted sequence, a new one starts
                m_state = State::escape;
                return {};
            }
            if (byte >= 0x20 && byte <= 0x3f) return {};  // parameters: ignored, as in CSI
            m_state = State::ground;
            return cursor_key(byte);
        case State::csi:
            if ((byte >= '0' && byte <= '9') || byte == ';') {
                if (m_parameter_count == kMaxParameterBytes) {
                    m_state = State::csi_skip;  // too long to be a key we know
                    return {};
                }
                m_parameters[m_parameter_count++] = byte;
                return {};
            }
            if (byte >= 0x20 && byte <= 0x3f) {
                // A private marker (? < = >), ':' or an intermediate byte: a sequence of
                // ECMA-48's grammar that is no key (ESC [ ? 25 h), skipped to its final byte.
                m_state = State::csi_skip;
                return {};
            }
            m_state = State::ground;
            if (byte >= 0x40 && byte <= 0x7e) return finish_csi(byte);
            if (byte == kEscape) {  // an interrupted sequence; a new one starts
                m_state = State::escape;
                return {};
            }
            return {};  // a control byte or junk inside a sequence: the sequence is dropped
        case State::skip_one:
            m_state = byte == kEscape ? State::escape : State::ground;
            return {};
        case State::csi_skip:
            if (byte >= 0x40 && byte <= 0x7e)
                m_state = State::ground;
            else if (byte == kEscape)
                m_state = State::escape;
            else if (byte < 0x20 || byte >= 0x7f)
                m_state = State::ground;
            return {};
    }
    return {};
}

Key EscapeDecoder::finish_csi(uint8_t final_byte) {
    if (final_byte == '[' && m_parameter_count == 0) {
        // The Linux console's F1-F5, ESC [ [ A..E: one more byte, no key.
        m_state = State::skip_one;
        return {};
    }
    if (final_byte != '~') {
        return cursor_key(final_byte);  // ESC [ 1 ; 5 C (ctrl-right) is plain right here
    }
    // ESC [ n ~ with one decimal parameter (modifiers after ';' ignored).
    unsigned value = 0;
    for (size_t i = 0; i < m_parameter_count && m_parameters[i] != ';'; ++i)
        value = value * 10 + unsigned(m_parameters[i] - '0');
    switch (value) {
        case 1:
        case 7:
            return Key::of(KeyCode::home);
        case 3:
            return Key::of(KeyCode::del);
        case 4:
        case 8:
            return Key::of(KeyCode::end);
        default:
            return {};
    }
}

}  // namespace console
