// Bytes from a VT100/ANSI terminal (the serial line) -> Keys. Pure and host-tested.
//   printable ASCII -> character; CR, LF (CR LF counts once) -> enter; DEL, BS -> backspace;
//   TAB -> tab; other C0 controls -> ctrl + letter; ESC [ A/B/C/D/H/F (with optional
//   numeric parameters), ESC O A/B/C/D/H/F (parameters, as in older xterms' ESC O 1;2 P,
//   ignored), ESC [ n ~ (1/7 home, 3 delete, 4/8 end).
// Anything else (bytes >= 0x80, NUL, unknown or over-long sequences, sequences with private
// or intermediate bytes such as ESC [ ? 25 h, the Linux console's ESC [ [ A) yields no key
// and leaves the decoder ready for the next sequence.
#pragma once
#include <cstddef>
#include <cstdint>

#include "console/editing/key.h"

namespace console {

class EscapeDecoder {
public:
    Key feed(uint8_t byte);
    void reset() { *this = EscapeDecoder(); }

private:
    enum class State : uint8_t { ground, escape, csi, ss3, csi_skip, skip_one };
    Key finish_csi(uint8_t final_byte);

    static constexpr size_t kMaxParameterBytes = 8;
    State m_state = State::ground;
    uint8_t m_parameters[kMaxParameterBytes] = {};
    size_t m_parameter_count = 0;
    bool m_after_cr = false;
};

}  // namespace console
