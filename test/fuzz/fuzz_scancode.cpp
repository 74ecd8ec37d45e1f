// libFuzzer target: console::ScancodeDecoder fed arbitrary PS/2 set 1 bytes one at a
// time. Checked after every byte against an independent model that walks the whole input
// as tokens (E1 + five bytes, E0 + code, controller byte, plain code) with its own US
// layout written as key rows: the same key comes out at the same byte, and shift(),
// ctrl() and caps_lock() match the model's left/right shift and ctrl (E0 1D), caps lock
// toggled by a press but not by its typematic repeats, E0 2A/AA fake shifts and
// ACK/resend/error bytes ignored. Letters are upper case exactly when shift XOR caps
// lock, ctrl + letter is {ctrl, letter}. Every key is well formed; after any input five
// filler bytes end a pending Pause sequence or E0 so that the next make code is its key
// again; reset() gives a fresh decoder.
#include "fuzz_key.h"
#include <console/editing/scancode_decoder.h>
#include <string_view>
#include <vector>

using console::Key;
using console::KeyCode;
using console::ScancodeDecoder;

namespace {

constexpr uint8_t kE0 = 0xe0, kE1 = 0xe1, kAck = 0xfa;
constexpr size_t kPauseTail = 5;  // E1 1D 45 E1 9D C5: the bytes after the first E1

bool is_controller_byte(uint8_t b) { return b == 0x00 || b == 0xff || b == 0xfa || b == 0xfe; }

struct Layout {
    char unshifted[0x80] = {};
    char shifted[0x80] = {};

    constexpr Layout()
    {
        row(0x02, "1234567890-=", "!@#$%^&*()_+");
        row(0x10, "qwertyuiop[]", "QWERTYUIOP{}");
        row(0x1e, "asdfghjkl;'`", "ASDFGHJKL:\"~");
        row(0x2b, "\\zxcvbnm,./", "|ZXCVBNM<>?");
        row(0x37, "*", "*");  // keypad *
        row(0x39, " ", " ");
    }
    constexpr void row(uint8_t first, std::string_view keys, std::string_view with_shift)
    {
        for (size_t i = 0; i < keys.size(); ++i) {
            unshifted[first + i] = keys[i];
            shifted[first + i] = with_shift[i];
        }
    }
};
constexpr Layout kUs;

struct Modifiers {
    bool left_shift = false, right_shift = false, left_ctrl = false, right_ctrl = false, caps = false;
};

struct Expected {
    Key key;
    Modifiers after;
};

class Model {
public:
    explicit Model(std::span<const uint8_t> in)
        : m_in(in)
        , m_out(in.size())
    {
        size_t i = 0;
        while (i < in.size()) {
            if (in[i] == kE1) {
                for (size_t end = i + 1 + kPauseTail; i < end && i < in.size(); ++i)
                    m_out[i] = { {}, m_now };
            } else if (in[i] == kE0) {
                i = prefixed(i);
            } else {
                m_out[i] = { is_controller_byte(in[i]) ? Key {} : plain(in[i]), m_now };
                ++i;
            }
        }
    }
    const Expected& at(size_t i) const { return m_out[i]; }

private:
    // E0 (repeated E0s are one prefix) applies to the next byte unless that is E1 or a
    // controller byte, which cancel it and count as themselves.
    size_t prefixed(size_t i)
    {
        while (i < m_in.size() && m_in[i] == kE0)
            m_out[i++] = { {}, m_now };
        if (i == m_in.size() || m_in[i] == kE1 || is_controller_byte(m_in[i]))
            return i;
        m_out[i] = { extended(m_in[i]), m_now };
        return i + 1;
    }

    Key extended(uint8_t byte)
    {
        const bool make = byte < 0x80;
        switch (byte & 0x7f) {
        case 0x1d: m_now.right_ctrl = make; return {};
        case 0x48: return make ? Key::of(KeyCode::up) : Key {};
        case 0x50: return make ? Key::of(KeyCode::down) : Key {};
        case 0x4b: return make ? Key::of(KeyCode::left) : Key {};
        case 0x4d: return make ? Key::of(KeyCode::right) : Key {};
        case 0x47: return make ? Key::of(KeyCode::home) : Key {};
        case 0x4f: return make ? Key::of(KeyCode::end) : Key {};
        case 0x53: return make ? Key::of(KeyCode::del) : Key {};
        case 0x1c: return make ? Key::of(KeyCode::enter) : Key {};
        case 0x35: return make ? Key::character('/') : Key {};
        default: return {};  // incl. the fake shifts E0 2A / E0 AA / E0 36 / E0 B6
        }
    }

    Key plain(uint8_t byte)
    {
        const bool make = byte < 0x80;
        const uint8_t code = byte & 0x7f;
        switch (code) {
        case 0x2a: m_now.left_shift = make; return {};
        case 0x36: m_now.right_shift = make; return {};
        case 0x1d: m_now.left_ctrl = make; return {};
        case 0x3a: // a press toggles; typematic repeats of a held key do not
            m_now.caps ^= make && !m_caps_down;
            m_caps_down = make;
            return {};
        }
        if (!make)
            return {};
        if (code == 0x0e)
            return Key::of(KeyCode::backspace);
        if (code == 0x0f)
            return Key::of(KeyCode::tab);
        if (code == 0x1c)
            return Key::of(KeyCode::enter);
        const char base = kUs.unshifted[code];
        if (base == 0)
            return {};
        const bool letter = base >= 'a' && base <= 'z';
        if (m_now.left_ctrl || m_now.right_ctrl)
            return letter ? Key::control(base) : Key {};
        const bool shift = m_now.left_shift || m_now.right_shift;
        const bool upper = letter ? shift != m_now.caps : shift;
        return Key::character(upper ? kUs.shifted[code] : base);
    }

    std::span<const uint8_t> m_in;
    std::vector<Expected> m_out;
    Modifiers m_now;
    bool m_caps_down = false;  // caps lock held: its repeated makes do not toggle
};

void check_modifiers(const ScancodeDecoder& decoder, const Modifiers& m)
{
    FUZZ_CHECK(decoder.shift() == (m.left_shift || m.right_shift));
    FUZZ_CHECK(decoder.ctrl() == (m.left_ctrl || m.right_ctrl));
    FUZZ_CHECK(decoder.caps_lock() == m.caps);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::span<const uint8_t> bytes(data, size);
    const Model model(bytes);
    ScancodeDecoder decoder;
    for (size_t i = 0; i < size; ++i) {
        const Key key = decoder.feed(bytes[i]);
        fuzz::check_well_formed(key);
        FUZZ_CHECK(key == model.at(i).key);
        check_modifiers(decoder, model.at(i).after);
    }

    // Resynchronisation: ACKs are ignored everywhere, and five of them outlast any Pause
    // sequence and cancel an E0, so the next codes are keys again (modifiers kept).
    ScancodeDecoder resync = decoder;
    for (size_t i = 0; i < kPauseTail; ++i)
        FUZZ_CHECK(resync.feed(kAck).code == KeyCode::none);
    FUZZ_CHECK(resync.feed(0x1c) == Key::of(KeyCode::enter));
    FUZZ_CHECK(resync.feed(kE0).code == KeyCode::none);
    FUZZ_CHECK(resync.feed(0x48) == Key::of(KeyCode::up));
    FUZZ_CHECK(resync.shift() == decoder.shift() && resync.ctrl() == decoder.ctrl());
    FUZZ_CHECK(resync.caps_lock() == decoder.caps_lock());

    decoder.reset();
    check_modifiers(decoder, Modifiers {});
    FUZZ_CHECK(decoder.feed(0x1e) == Key::character('a'));
    return 0;
}
