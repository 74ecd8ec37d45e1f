// PS/2 keyboard bytes in scan code set 1 (what the 8042 delivers with translation on,
// QEMU's and most firmware's default) -> Keys. Pure and host-tested.
// Tracks both shifts, both ctrls (E0 1D), caps lock (toggled by a press, not by its repeats); E0-prefixed arrows, Home, End,
// Delete, keypad Enter; ignores break codes except for modifiers, the E1 (Pause) sequence,
// the E0 2A/AA fake shifts and the controller's ACK/resend/error bytes.
#pragma once
#include <cstdint>

#include "console/editing/key.h"

namespace console {

class ScancodeDecoder {
public:
    Key feed(uint8_t byte);
    void reset() { *this = ScancodeDecoder(); }

    bool shift() const { return m_left_shift || m_right_shift; }
    bool ctrl() const { return m_left_ctrl || m_right_ctrl; }
    bool caps_lock() const { return m_caps_lock; }

private:
    Key extended(uint8_t code, bool released);
    Key plain(uint8_t code, bool released);

    bool m_extended = false;  // the previous byte was E0
    uint8_t m_pause_bytes_left = 0;  // inside E1 1D 45 E1 9D C5
    bool m_left_shift = false, m_right_shift = false;
    bool m_left_ctrl = false, m_right_ctrl = false;
    bool m_caps_lock = false;
    bool m_caps_held = false;  // caps lock is down: its repeated make codes do not toggle
};

}  // namespace console
