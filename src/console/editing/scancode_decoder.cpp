#include "console/editing/scancode_decoder.h"

namespace console {
namespace {

constexpr uint8_t kBreakBit = 0x80;
constexpr uint8_t kPrefixExtended = 0xe0, kPrefixPause = 0xe1;
constexpr uint8_t kLeftShift = 0x2a, kRightShift = 0x36, kCtrl = 0x1d, kCapsLock = 0x3a;
constexpr uint8_t kBackspace = 0x0e, kTab = 0x0f, kEnter = 0x1c;

// Set 1 make codes 0x00..0x39 (US layout); 0 = no character.
constexpr char kUnshifted[0x3a] = {
    0,    0,   '1', '2',  '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', 0,   0,   'q', 'w', 'e', 'r',
    't',  'y', 'u', 'i',  'o', 'p', '[', ']', 0,   0,   'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';',
    '\'', '`', 0,   '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0,   '*', 0,   ' ',
};
constexpr char kShifted[0x3a] = {
    0,   0,   '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', 0,   0,   'Q', 'W', 'E', 'R',
    'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', 0,   0,   'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':',
    '"', '~', 0,   '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0,   '*', 0,   ' ',
};

bool is_letter(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

Key ScancodeDecoder::feed(uint8_t byte) {
    if (m_pause_bytes_left > 0) {
        --m_pause_bytes_left;
        return {};
    }
    // 0x00 / 0xff: buffer overrun or error; 0xfa ACK; 0xfe resend; 0xaa self-test passed
    // arrives as a break code of 0x2a, which is harmless (it releases left shift).
    if (byte == 0x00 || byte == 0xff || byte == 0xfa || byte == 0xfe) {
        m_extended = false;
        return {};
    }
    if (byte == kPrefixExtended) {
        m_extended = true;
        return {};
    }
    if (byte == kPrefixPause) {
        m_extended = false;
        m_pause_bytes_left = 5;
        return {};
    }
    const bool released = (byte & kBreakBit) != 0;
    const uint8_t code = byte & uint8_t(~kBreakBit);
    if (m_extended) {
        m_extended = false;
        return extended(code, released);
    }
    return plain(code, released);
}

Key ScancodeDecoder::extended(uint8_t code, bool released) {
    if (code == kCtrl) {
        m_right_ctrl = !released;
        return {};
    }
    if (released) return {};
    switch (code) {
        case 0x48:
            return Key::of(KeyCode::up);
        case 0x50:
            return Key::of(KeyCode::down);
        case 0x4b:
            return Key::of(KeyCode::left);
        case 0x4d:
            return Key::of(KeyCode::right);
        case 0x47:
            return Key::of(KeyCode::home);
        case 0x4f:
            return Key::of(KeyCode::end);
        case 0x53:
            return Key::of(KeyCode::del);
        case kEnter:
            return Key::of(KeyCode::enter);  // keypad Enter
        case 0x35:
            return Key::character('/');  // keypad /
        default:
            return {};  // fake shifts (2A/36), media keys, ...
    }
}

Key ScancodeDecoder::plain(uint8_t code, bool released) {
    switch (code) {
        case kLeftShift:
            m_left_shift = !released;
            return {};
        case kRightShift:
            m_right_shift = !released;
            return {};
        case kCtrl:
            m_left_ctrl = !released;
            return {};
        case kCapsLock:
            // Typematic repeat resends the make code while the key is held: only the
            // first make toggles.
            if (!released && !m_caps_held) m_caps_lock = !m_caps_lock;
            m_caps_held = !released;
            return {};
        default:
            break;
    }
    if (released) return {};
    if (code == kBackspace) return Key::of(KeyCode::backspace);
    if (code == kTab) return Key::of(KeyCode::tab);
    if (code == kEnter) return Key::of(KeyCode::enter);
    if (code >= sizeof kUnshifted) return {};  // F-keys, keypad, ...
    const char base = kUnshifted[code];
    if (base == 0) return {};
    if (ctrl()) return is_letter(base) ? Key::control(base) : Key{};
    bool upper = shift();
    if (is_letter(base) && m_caps_lock) upper = !upper;
    return Key::character(upper ? kShifted[code] : base);
}

}  // namespace console
