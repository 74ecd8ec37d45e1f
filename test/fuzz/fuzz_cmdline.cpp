// libFuzzer target: boot::parse_cmdline over arbitrary bytes. Every option stays in its
// documented range whatever the input, each warning is one printable line that fits
// its buffer, the returned count is the number of warnings issued, and parsing is
// idempotent: parsing the same line again on top of its own result changes nothing
// (each option ends as its last good setting, else what it was before).
#include "fuzz_check.h"
#include <boot/cmdline.h>
#include <string_view>

namespace {

void check_warning(void* count, const char* message)
{
    ++*static_cast<size_t*>(count);
    const size_t length = std::strlen(message);
    FUZZ_CHECK(length > 9 && length < 256);
    FUZZ_CHECK(std::strncmp(message, "cmdline: ", 9) == 0);
    for (size_t i = 0; i < length; ++i)
        FUZZ_CHECK(message[i] >= 0x20 && message[i] < 0x7f);
}

void check_ranges(const boot::Options& o)
{
    FUZZ_CHECK(o.timeslice_us >= 100 && o.timeslice_us <= 1000000);
    FUZZ_CHECK(o.spin_us <= 100000);
    FUZZ_CHECK(o.max_cpus >= 1 && o.max_cpus <= 256);
    FUZZ_CHECK(o.ap_timeout_ms >= 1 && o.ap_timeout_ms <= 10000);
    FUZZ_CHECK(o.log <= boot::LogLevel::error);
    FUZZ_CHECK(o.sched == boot::Options::Sched::lockfree || o.sched == boot::Options::Sched::locked);
    FUZZ_CHECK(std::memchr(o.test, 0, sizeof o.test) != nullptr);
    FUZZ_CHECK(std::memchr(o.bench, 0, sizeof o.bench) != nullptr);
    FUZZ_CHECK(o.torture_s <= 604800);
}

bool same_options(const boot::Options& a, const boot::Options& b)
{
    return std::memcmp(a.test, b.test, sizeof a.test) == 0 && std::memcmp(a.bench, b.bench, sizeof a.bench) == 0
        && a.log == b.log && a.timeslice_us == b.timeslice_us && a.spin_us == b.spin_us && a.x2apic == b.x2apic
        && a.max_cpus == b.max_cpus && a.ap_timeout_ms == b.ap_timeout_ms && a.demo == b.demo
        && a.expect_ap_failure == b.expect_ap_failure && a.sched == b.sched && a.trace == b.trace
        && a.torture_s == b.torture_s && a.torture_seed == b.torture_seed
        && a.torture_seed_given == b.torture_seed_given && std::memcmp(a.fail.every, b.fail.every, sizeof a.fail.every) == 0
        && a.fail.random == b.fail.random && a.fail.seed == b.fail.seed;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    boot::Options options;
    size_t issued = 0;
    const size_t warnings = boot::parse_cmdline(line, options, check_warning, &issued);
    FUZZ_CHECK(warnings == issued);
    FUZZ_CHECK(warnings <= size);  // at most one per token
    check_ranges(options);

    boot::Options again = options;
    const size_t warnings_again = boot::parse_cmdline(line, again, nullptr, nullptr);
    FUZZ_CHECK(warnings_again == warnings);
    FUZZ_CHECK(same_options(options, again));
    return 0;
}
