// One keystroke, whatever device produced it: the unit the line editor consumes. The
// serial escape decoder and the PS/2 scan-code decoder both produce these. Pure.
#pragma once
#include <cstdint>

namespace console {

enum class KeyCode : uint8_t {
    none,  // the byte completed no key (a prefix, a modifier, noise)
    character,  // printable ASCII in `ch`
    enter,
    backspace,
    del,
    tab,
    left,
    right,
    up,
    down,
    home,
    end,
    ctrl,  // Ctrl + the letter in `ch` ('a'..'z'), e.g. Ctrl-C is {ctrl, 'c'}
};

struct Key {
    KeyCode code = KeyCode::none;
    char ch = 0;

    bool operator==(const Key&) const = default;
    static constexpr Key of(KeyCode code) { return Key{code, 0}; }
    static constexpr Key character(char c) { return Key{KeyCode::character, c}; }
    static constexpr Key control(char letter) { return Key{KeyCode::ctrl, letter}; }
};

}  // namespace console
