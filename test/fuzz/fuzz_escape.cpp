// libFuzzer target: console::EscapeDecoder fed arbitrary terminal bytes one at a time.
// Checked against an independent look-ahead parser of the whole input (written from the
// header's contract, not the state machine): the same keys come out at the same bytes,
// including CR LF as one enter, Alt-x as x, ESC starting over inside any sequence and
// over-long CSI sequences, those with private or intermediate bytes (ESC [ ? 25 h) and
// the Linux console's ESC [ [ A skipped to their final byte. Every key is well formed; NUL
// and bytes >= 0x80 never yield a key and leave the decoder as good as new; and after
// any input, one final byte ('~') brings it back to ground, so a plain 'z' is 'z'.
#include "fuzz_key.h"
#include <console/editing/escape_decoder.h>
#include <string_view>
#include <vector>

using console::EscapeDecoder;
using console::Key;
using console::KeyCode;

namespace {

constexpr uint8_t kEsc = 0x1b;
constexpr size_t kMaxParameterBytes = 8;  // the header's "over-long": more than this

struct Emitted {
    size_t at;  // index of the byte that completed the key
    Key key;
    bool operator==(const Emitted&) const = default;
};

bool is_final(uint8_t b) { return b >= 0x40 && b <= 0x7e; }
bool is_parameter(uint8_t b) { return (b >= '0' && b <= '9') || b == ';'; }

Key cursor(uint8_t final_byte)
{
    constexpr std::string_view finals = "ABCDHF";
    constexpr KeyCode codes[] = { KeyCode::up, KeyCode::down, KeyCode::right, KeyCode::left,
                                  KeyCode::home, KeyCode::end };
    const size_t i = finals.find(char(final_byte));
    return i == std::string_view::npos ? Key {} : Key::of(codes[i]);
}

// ESC [ n ~: the first parameter, leading zeros ignored, compared as text.
Key tilde(std::string_view parameters)
{
    std::string_view first = parameters.substr(0, parameters.find(';'));
    while (!first.empty() && first.front() == '0')
        first.remove_prefix(1);
    if (first == "1" || first == "7")
        return Key::of(KeyCode::home);
    if (first == "3")
        return Key::of(KeyCode::del);
    if (first == "4" || first == "8")
        return Key::of(KeyCode::end);
    return {};
}

// The whole input at once, by looking ahead from each sequence's start.
class Reference {
public:
    explicit Reference(std::span<const uint8_t> in)
        : m_in(in)
    {
        size_t i = 0;
        while (i < m_in.size())
            i = m_in[i] == kEsc ? escape(i + 1) : plain(i);
    }
    const std::vector<Emitted>& keys() const { return m_keys; }

private:
    void emit(size_t at, Key key)
    {
        if (key.code != KeyCode::none)
            m_keys.push_back({ at, key });
    }

    // One byte outside any sequence; returns where the next token starts.
    size_t plain(size_t i)
    {
        const uint8_t b = m_in[i];
        if (b >= 0x20 && b <= 0x7e)
            emit(i, Key::character(char(b)));
        else if (b == '\r')
            emit(m_enter_cr_at = i, Key::of(KeyCode::enter));
        else if (b == '\n')
            emit(i, i > 0 && m_enter_cr_at == i - 1 ? Key {} : Key::of(KeyCode::enter));
        else if (b == 0x7f || b == 0x08)
            emit(i, Key::of(KeyCode::backspace));
        else if (b == '\t')
            emit(i, Key::of(KeyCode::tab));
        else if (b >= 0x01 && b <= 0x1a)
            emit(i, Key::control(char('a' + b - 1)));
        return i + 1;
    }

    // After an ESC at i - 1. A run of ESCs is one pending escape.
    size_t escape(size_t i)
    {
        while (i < m_in.size() && m_in[i] == kEsc)
            ++i;
        if (i == m_in.size())
            return i;
        if (m_in[i] == '[')
            return csi(i + 1);
        if (m_in[i] == 'O')
            return ss3(i + 1);
        return plain(i);  // Alt-x: the escape is dropped
    }

    size_t ss3(size_t i)
    {
        while (i < m_in.size() && m_in[i] >= 0x20 && m_in[i] <= 0x3f)
            ++i;  // parameters (ESC O 1;2 P): ignored
        if (i == m_in.size() || m_in[i] == kEsc)
            return i;  // an ESC interrupts: a new sequence starts there
        emit(i, cursor(m_in[i]));
        return i + 1;
    }

    size_t csi(size_t i)
    {
        const size_t start = i;
        while (i < m_in.size() && is_parameter(m_in[i]) && i - start < kMaxParameterBytes)
            ++i;
        if (i == m_in.size())
            return i;
        if (m_in[i] >= 0x20 && m_in[i] <= 0x3f)
            return skip_overlong(i);  // over-long, or a private or intermediate byte
        if (m_in[i] == '[' && i == start) {  // the Linux console's ESC [ [ A: one more byte
            if (i + 1 < m_in.size() && m_in[i + 1] == kEsc)
                return i + 1;
            return i + 2 < m_in.size() ? i + 2 : m_in.size();
        }
        if (m_in[i] == kEsc)
            return i;
        if (is_final(m_in[i])) {
            const std::string_view parameters(reinterpret_cast<const char*>(&m_in[start]), i - start);
            emit(i, m_in[i] == '~' ? tilde(parameters) : cursor(m_in[i]));
        }
        return i + 1;  // a final byte, or junk that drops the sequence
    }

    // Parameter and intermediate bytes (0x20..0x3f) until a final byte, a control, a
    // high byte (all swallowed) or an ESC (which starts anew).
    size_t skip_overlong(size_t i)
    {
        while (i < m_in.size() && m_in[i] >= 0x20 && m_in[i] <= 0x3f)
            ++i;
        if (i == m_in.size() || m_in[i] == kEsc)
            return i;
        return i + 1;
    }

    std::span<const uint8_t> m_in;
    std::vector<Emitted> m_keys;
    size_t m_enter_cr_at = SIZE_MAX;
};

std::vector<Key> feed_all(EscapeDecoder& decoder, std::string_view bytes)
{
    std::vector<Key> keys;
    for (char c : bytes) {
        const Key key = decoder.feed(uint8_t(c));
        if (key.code != KeyCode::none)
            keys.push_back(key);
    }
    return keys;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::span<const uint8_t> bytes(data, size);
    EscapeDecoder decoder;
    std::vector<Emitted> keys;
    for (size_t i = 0; i < size; ++i) {
        const Key key = decoder.feed(bytes[i]);
        fuzz::check_well_formed(key);
        if (bytes[i] == 0x00 || bytes[i] >= 0x80)
            FUZZ_CHECK(key.code == KeyCode::none);
        if (key.code != KeyCode::none)
            keys.push_back({ i, key });
    }
    FUZZ_CHECK(keys == Reference(bytes).keys());

    // "Yields no key and leaves the decoder ready": after NUL or a high byte it decodes
    // like a fresh one. The probe starts with LF, which a pending CR would swallow.
    const std::string_view probe = "\n\x1b[A\x1bOB\x1b[3~\r\nz";
    EscapeDecoder fresh;
    const std::vector<Key> expected = feed_all(fresh, probe);
    const uint8_t resetting = size > 0 && bytes[size - 1] >= 0x80 ? bytes[size - 1] : 0x00;
    EscapeDecoder after_reset = decoder;
    FUZZ_CHECK(after_reset.feed(resetting).code == KeyCode::none);
    FUZZ_CHECK(feed_all(after_reset, probe) == expected);

    // Any sequence ends by its next byte at the latest if that byte is a final byte.
    EscapeDecoder resync = decoder;
    resync.feed('~');
    FUZZ_CHECK(resync.feed('z') == Key::character('z'));
    return 0;
}
