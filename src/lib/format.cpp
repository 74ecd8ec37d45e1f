// ksnprintf/kvsnprintf: the printf subset the kernel uses.
//   conversions  %d %i %u %x %X %p %s %c %%
//   flags        '0' (zero pad), '-' (left align); width and precision, also as '*'
//   lengths      hh h l ll z (all promoted to 64 bits internally)
// Output is always NUL-terminated when size > 0; the return value is the length the
// whole result would have had, as with snprintf. A null %s prints "(null)".
#include <cstdarg>
#include <cstddef>
#include <cstdint>

#include "lib/log.h"

namespace {

class Sink {
public:
    Sink(char* buf, size_t size) : m_buf(buf), m_size(size) {}
    void put(char c) {
        if (m_len + 1 < m_size) m_buf[m_len] = c;
        ++m_len;
    }
    void repeat(char c, int n) {
        while (n-- > 0) put(c);
    }
    void finish() {
        if (m_size == 0) return;
        m_buf[m_len < m_size ? m_len : m_size - 1] = '\0';
    }
    size_t length() const { return m_len; }

private:
    char* m_buf;
    size_t m_size;
    size_t m_len = 0;
};

struct Spec {
    bool left = false;
    bool zero = false;
    int width = 0;
    int precision = -1;
};

void emit_padded(Sink& out, const Spec& spec, const char* prefix, const char* digits, int ndigits) {
    int prefix_len = 0;
    while (prefix[prefix_len]) ++prefix_len;
    int min_digits = spec.precision > ndigits ? spec.precision : ndigits;
    int body = prefix_len + min_digits;
    int pad = spec.width > body ? spec.width - body : 0;
    bool zero_pad = spec.zero && !spec.left && spec.precision < 0;
    if (!spec.left && !zero_pad) out.repeat(' ', pad);
    for (int i = 0; i < prefix_len; ++i) out.put(prefix[i]);
    if (zero_pad) out.repeat('0', pad);
    out.repeat('0', min_digits - ndigits);
    for (int i = 0; i < ndigits; ++i) out.put(digits[i]);
    if (spec.left) out.repeat(' ', pad);
}

void emit_unsigned(Sink& out, const Spec& spec, uint64_t v, unsigned base, bool upper, const char* prefix) {
    char tmp[24];
    int n = 0;
    const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = alphabet[v % base];
        v /= base;
    } while (v != 0);
    char digits[24];
    for (int i = 0; i < n; ++i) digits[i] = tmp[n - 1 - i];
    emit_padded(out, spec, prefix, digits, n);
}

void emit_string(Sink& out, const Spec& spec, const char* s) {
    if (s == nullptr) s = "(null)";
    int len = 0;
    while (s[len] && (spec.precision < 0 || len < spec.precision)) ++len;
    int pad = spec.width > len ? spec.width - len : 0;
    if (!spec.left) out.repeat(' ', pad);
    for (int i = 0; i < len; ++i) out.put(s[i]);
    if (spec.left) out.repeat(' ', pad);
}

}  // namespace

int kvsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
    Sink out(buf, size);
    for (const char* p = fmt; *p; ++p) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        ++p;
        Spec spec;
        for (;; ++p) {
            if (*p == '-')
                spec.left = true;
            else if (*p == '0')
                spec.zero = true;
            else
                break;
        }
        if (*p == '*') {
            spec.width = va_arg(ap, int);
            if (spec.width < 0) {
                spec.left = true;
                spec.width = -spec.width;
            }
            ++p;
        } else {
            while (*p >= '0' && *p <= '9') spec.width = spec.width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            ++p;
            spec.precision = 0;
            if (*p == '*') {
                spec.precision = va_arg(ap, int);
                ++p;
            } else {
                while (*p >= '0' && *p <= '9') spec.precision = spec.precision * 10 + (*p++ - '0');
            }
        }
        // Length modifier: 0 = int, 1 = long / long long / size_t (all 64-bit here).
        int longness = 0;
        while (*p == 'l' || *p == 'z' || *p == 'h') {
            if (*p != 'h') longness = 1;
            ++p;
        }
        switch (*p) {
            case 'd':
            case 'i': {
                int64_t v = longness ? va_arg(ap, int64_t) : va_arg(ap, int);
                uint64_t magnitude = v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v);
                emit_unsigned(out, spec, magnitude, 10, false, v < 0 ? "-" : "");
                break;
            }
            case 'u':
                emit_unsigned(out, spec, longness ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, false, "");
                break;
            case 'x':
            case 'X':
                emit_unsigned(out, spec, longness ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, *p == 'X', "");
                break;
            case 'p': {
                Spec ptr_spec = spec;
                if (ptr_spec.precision < 0) ptr_spec.precision = 16;
                emit_unsigned(out, ptr_spec, reinterpret_cast<uintptr_t>(va_arg(ap, void*)), 16, false, "0x");
                break;
            }
            case 's':
                emit_string(out, spec, va_arg(ap, const char*));
                break;
            case 'c':
                out.repeat(' ', spec.left ? 0 : spec.width - 1);
                out.put(char(va_arg(ap, int)));
                if (spec.left) out.repeat(' ', spec.width - 1);
                break;
            case '%':
                out.put('%');
                break;
            case '\0':
                --p;  // a lone '%' at the end: stop at the terminator
                break;
            default:  // unknown conversion: print it verbatim so the mistake is visible
                out.put('%');
                out.put(*p);
                break;
        }
    }
    out.finish();
    return int(out.length());
}

int ksnprintf(char* buf, size_t size, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
