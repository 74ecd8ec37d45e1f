// Kernel command line parser. Tokens are separated by blanks; each is `key=value` or a
// bare flag. Every problem becomes exactly one warning line and the option keeps the
// value it had (its default unless an earlier token set it), so a typo never stops a
// boot. Self-contained on purpose: the host tests build it without the kernel's
// formatter, so the warnings are assembled by the small Message builder below.
#include <boot/cmdline.h>
#include <optional>
#include <type_traits>

namespace boot {
namespace {

constexpr size_t kMaxQuotedChars = 48;  // longer user text is cut, with "..."

// Appends into a fixed buffer, always NUL-terminated, silently cut at the end: a
// warning must never fail or overflow because the input was hostile.
class Message {
public:
    Message& text(std::string_view s) {
        for (char c : s) put(c);
        return *this;
    }

    // User-supplied text between quotes; bytes that could upset a terminal become '?'.
    Message& quoted(std::string_view s) {
        put('"');
        const bool cut = s.size() > kMaxQuotedChars;
        for (char c : cut ? std::string_view(s.data(), kMaxQuotedChars) : s) put(c >= 0x20 && c < 0x7f ? c : '?');
        if (cut) text("...");
        put('"');
        return *this;
    }

    Message& number(uint64_t value) {
        char digits[20];
        size_t count = 0;
        do {
            digits[count++] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value != 0);
        while (count > 0) put(digits[--count]);
        return *this;
    }

    const char* c_str() const { return m_buffer; }

private:
    void put(char c) {
        if (m_length + 1 >= sizeof(m_buffer)) return;
        m_buffer[m_length++] = c;
        m_buffer[m_length] = '\0';
    }

    char m_buffer[256] = {};
    size_t m_length = 0;
};

// std::string_view's own comparison and substr would pull memcmp and a throwing bounds
// check into the freestanding kernel; these loops need neither.
constexpr bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

constexpr bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Decimal digits only: no sign, no hex, no suffix. Empty or overflowing input -> nullopt.
std::optional<uint64_t> parse_decimal(std::string_view s) {
    if (s.empty()) return std::nullopt;
    uint64_t value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const uint64_t digit = static_cast<uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

template <size_t N>
std::string_view bounded_view(const char (&field)[N]) {
    size_t length = 0;
    while (length < N && field[length] != '\0') ++length;
    return std::string_view(field, length);
}

template <typename T>
struct Choice {
    std::string_view name;
    T value;
};

constexpr Choice<bool> kOnOff[] = {{"on", true}, {"off", false}};
constexpr Choice<LogLevel> kLogLevels[] = {
    {"debug", LogLevel::debug},
    {"info", LogLevel::info},
    {"warn", LogLevel::warn},
    {"error", LogLevel::error},
};
constexpr Choice<Options::Sched> kSchedulers[] = {
    {"lockfree", Options::Sched::lockfree},
    {"locked", Options::Sched::locked},
};

class Parser {
public:
    Parser(Options& out, WarnFn warn, void* ctx) : m_out(out), m_warn(warn), m_ctx(ctx) {}

    size_t warnings() const { return m_warnings; }

    // `value` is empty for a bare word, present (maybe "") after an '='.
    void apply(std::string_view key, std::optional<std::string_view> value) {
        if (same(key, "test")) return set_string(key, value, m_out.test);
        if (same(key, "bench")) return set_string(key, value, m_out.bench);
        if (same(key, "log")) return set_choice(key, value, kLogLevels, m_out.log);
        if (same(key, "timeslice_us")) return set_number(key, value, 100, 1000000, m_out.timeslice_us);
        if (same(key, "sched.spin_us")) return set_number(key, value, 0, 100000, m_out.spin_us);
        if (same(key, "x2apic")) return set_choice(key, value, kOnOff, m_out.x2apic);
        if (same(key, "smp.max_cpus")) return set_number(key, value, 1, 256, m_out.max_cpus);
        if (same(key, "smp.ap_timeout_ms")) return set_number(key, value, 1, 10000, m_out.ap_timeout_ms);
        if (same(key, "demo")) return set_choice(key, value, kOnOff, m_out.demo);
        if (same(key, "sched")) return set_choice(key, value, kSchedulers, m_out.sched);
        if (same(key, "trace")) return set_choice(key, value, kOnOff, m_out.trace);
        if (same(key, "console")) return set_choice(key, value, kOnOff, m_out.console);
        if (same(key, "watchdog")) return set_choice(key, value, kOnOff, m_out.watchdog);
        if (same(key, "watchdog_s")) return set_number(key, value, 1, 3600, m_out.watchdog_s);
        if (same(key, "torture")) return set_number(key, value, 1, 604800, m_out.torture_s);
        if (same(key, "torture.seed")) return set_seed(key, value, m_out.torture_seed, m_out.torture_seed_given);
        if (same(key, "fail")) return set_fail_plan(key, value);
        if (same(key, "fail.seed")) return set_seed(key, value, m_out.fail.seed, m_out.fail.random);
        if (same(key, "expect_ap_failure")) return set_choice(key, value, kOnOff, m_out.expect_ap_failure);
        if (same(key, "nosmp")) {
            if (value) return emit(Message().text("cmdline: option ").quoted(key).text(" takes no value, ignored"));
            m_out.max_cpus = 1;
            return;
        }
        emit(Message().text("cmdline: unknown option ").quoted(key).text(", ignored"));
    }

private:
    void emit(const Message& message) {
        ++m_warnings;
        if (m_warn) m_warn(m_ctx, message.c_str());
    }

    // "cmdline: bad value "x" for key (expected ...), using " / "missing value for key".
    // The caller appends what stays in effect.
    static Message& begin_bad_value(Message& m, std::string_view key, std::optional<std::string_view> value) {
        m.text("cmdline: ");
        if (value)
            m.text("bad value ").quoted(*value).text(" for ");
        else
            m.text("missing value for ");
        return m.text(key).text(" (expected ");
    }

    template <size_t N>
    void set_string(std::string_view key, std::optional<std::string_view> value, char (&field)[N]) {
        if (!value || value->size() >= N) {
            Message m;
            begin_bad_value(m, key, value).text("at most ").number(N - 1).text(" characters), using ");
            emit(m.quoted(bounded_view(field)));
            return;
        }
        size_t i = 0;
        for (; i < value->size(); ++i) field[i] = (*value)[i];
        for (; i < N; ++i) field[i] = '\0';
    }

    void set_number(std::string_view key, std::optional<std::string_view> value, uint32_t min, uint32_t max,
                    uint32_t& field) {
        const auto parsed = value ? parse_decimal(*value) : std::nullopt;
        if (parsed && *parsed >= min && *parsed <= max) {
            field = static_cast<uint32_t>(*parsed);
            return;
        }
        Message m;
        begin_bad_value(m, key, value).number(min).text("..").number(max).text("), using ");
        emit(m.number(field));
    }

    // Any 64-bit decimal; `given` turns true with it.
    void set_seed(std::string_view key, std::optional<std::string_view> value, uint64_t& field, bool& given) {
        const auto parsed = value ? parse_decimal(*value) : std::nullopt;
        if (parsed) {
            field = *parsed;
            given = true;
            return;
        }
        Message m;
        begin_bad_value(m, key, value).text("a decimal number below 2^64), using ");
        emit(given ? m.number(field) : m.text("none"));
    }

    // fail=site:N[,site:N...]: parsed whole into a copy, stored only when every item is good.
    void set_fail_plan(std::string_view key, std::optional<std::string_view> value) {
        fault::Plan plan = m_out.fail;
        for (uint32_t& n : plan.every) n = 0;
        bool good = value && !value->empty();
        for (size_t position = 0; good && position <= value->size();) {
            size_t end = position;
            while (end < value->size() && (*value)[end] != ',') ++end;
            good = set_fail_item(std::string_view(value->data() + position, end - position), plan);
            position = end + 1;
        }
        if (good) {
            m_out.fail = plan;
            return;
        }
        Message m;
        begin_bad_value(m, key, value).text("site:N,... with sites frames, heap, stack, ipi and N 1..4294967295)");
        emit(m.text(m_out.fail.any() ? ", keeping the earlier fail=" : ", using no fault injection"));
    }

    // One "site:N" of fail=, into `plan`; false when malformed.
    static bool set_fail_item(std::string_view item, fault::Plan& plan) {
        size_t colon = 0;
        while (colon < item.size() && item[colon] != ':') ++colon;
        if (colon == item.size()) return false;
        const std::string_view name(item.data(), colon);
        const auto n = parse_decimal(std::string_view(item.data() + colon + 1, item.size() - colon - 1));
        if (!n || *n == 0 || *n > UINT32_MAX) return false;
        for (size_t i = 0; i < fault::kSiteCount; ++i) {
            if (same(name, fault::site_name(fault::Site(i)))) {
                plan.every[i] = static_cast<uint32_t>(*n);
                return true;
            }
        }
        return false;
    }

    // A bare on/off key means "on", as for most kernels' boolean flags.
    template <typename T, size_t N>
    void set_choice(std::string_view key, std::optional<std::string_view> value, const Choice<T> (&choices)[N],
                    T& field) {
        if constexpr (std::is_same_v<T, bool>) {
            if (!value) {
                field = true;
                return;
            }
        }
        if (value) {
            for (const auto& choice : choices) {
                if (same(choice.name, *value)) {
                    field = choice.value;
                    return;
                }
            }
        }
        Message m;
        begin_bad_value(m, key, value);
        std::string_view current = "?";
        for (size_t i = 0; i < N; ++i) {
            m.text(i == 0 ? "" : "|").text(choices[i].name);
            if (choices[i].value == field) current = choices[i].name;
        }
        emit(m.text("), using ").text(current));
    }

    Options& m_out;
    WarnFn m_warn;
    void* m_ctx;
    size_t m_warnings = 0;
};

}  // namespace

size_t parse_cmdline(std::string_view cmdline, Options& out, WarnFn warn, void* ctx) {
    Parser parser(out, warn, ctx);
    size_t position = 0;
    while (position < cmdline.size()) {
        if (is_blank(cmdline[position])) {
            ++position;
            continue;
        }
        const size_t start = position;
        std::optional<size_t> equals;  // position of the token's first '='
        while (position < cmdline.size() && !is_blank(cmdline[position])) {
            if (cmdline[position] == '=' && !equals) equals = position;
            ++position;
        }
        const char* text = cmdline.data();
        if (!equals)
            parser.apply(std::string_view(text + start, position - start), std::nullopt);
        else
            parser.apply(std::string_view(text + start, *equals - start),
                         std::string_view(text + *equals + 1, position - *equals - 1));
    }
    return parser.warnings();
}

}  // namespace boot
