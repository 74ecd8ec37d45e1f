// Kernel command line: every key, then every way a value can be wrong. Warnings are
// checked word for word: they are the only thing a user sees of a typo.
#include <boot/cmdline.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

using boot::LogLevel;
using boot::Options;

namespace {

struct Result {
    Options options;
    std::vector<std::string> warnings;
    size_t returned = 0;
};

Result parse(std::string_view text)
{
    Result r;
    r.returned = boot::parse_cmdline(
        text, r.options,
        [](void* ctx, const char* message) { static_cast<std::vector<std::string>*>(ctx)->push_back(message); },
        &r.warnings);
    EXPECT_EQ(r.returned, r.warnings.size());
    return r;
}

void expect_defaults(const Options& o)
{
    const Options d;
    EXPECT_STREQ(o.test, d.test);
    EXPECT_STREQ(o.bench, d.bench);
    EXPECT_EQ(o.log, d.log);
    EXPECT_EQ(o.timeslice_us, d.timeslice_us);
    EXPECT_EQ(o.x2apic, d.x2apic);
    EXPECT_EQ(o.max_cpus, d.max_cpus);
    EXPECT_EQ(o.ap_timeout_ms, d.ap_timeout_ms);
    EXPECT_EQ(o.demo, d.demo);
    EXPECT_EQ(o.expect_ap_failure, d.expect_ap_failure);
    EXPECT_EQ(o.sched, d.sched);
    EXPECT_EQ(o.trace, d.trace);
    EXPECT_EQ(o.console, d.console);
    EXPECT_EQ(o.watchdog, d.watchdog);
    EXPECT_EQ(o.watchdog_s, d.watchdog_s);
}

} // namespace

TEST(Cmdline, defaults_are_the_documented_ones)
{
    const Options o;
    EXPECT_STREQ(o.test, "");
    EXPECT_STREQ(o.bench, "");
    EXPECT_EQ(o.log, LogLevel::info);
    EXPECT_EQ(o.timeslice_us, 4000u);
    EXPECT_TRUE(o.x2apic);
    EXPECT_EQ(o.max_cpus, 256u);
    EXPECT_EQ(o.ap_timeout_ms, 200u);
    EXPECT_TRUE(o.demo);
    EXPECT_EQ(o.sched, Options::Sched::lockfree);
    EXPECT_FALSE(o.trace);
}

TEST(Cmdline, empty_and_blank_lines_keep_every_default_silently)
{
    for (std::string_view text : { "", " ", "\t", "   \t  \t ", "\r\n" }) {
        Result r = parse(text);
        EXPECT_TRUE(r.warnings.empty());
        expect_defaults(r.options);
    }
}

TEST(Cmdline, every_key_is_understood)
{
    Result r = parse("test=sched. bench=deque log=debug timeslice_us=2500 x2apic=off smp.max_cpus=6 "
                     "smp.ap_timeout_ms=50 demo=off sched=locked trace=on expect_ap_failure=on sched.spin_us=250");
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_STREQ(r.options.test, "sched.");
    EXPECT_STREQ(r.options.bench, "deque");
    EXPECT_EQ(r.options.log, LogLevel::debug);
    EXPECT_EQ(r.options.timeslice_us, 2500u);
    EXPECT_FALSE(r.options.x2apic);
    EXPECT_EQ(r.options.max_cpus, 6u);
    EXPECT_EQ(r.options.ap_timeout_ms, 50u);
    EXPECT_FALSE(r.options.demo);
    EXPECT_EQ(r.options.sched, Options::Sched::locked);
    EXPECT_TRUE(r.options.trace);
    EXPECT_TRUE(r.options.expect_ap_failure);
    EXPECT_EQ(r.options.spin_us, 250u);
}

TEST(Cmdline, every_choice_value_is_accepted)
{
    EXPECT_EQ(parse("log=info").options.log, LogLevel::info);
    EXPECT_EQ(parse("log=warn").options.log, LogLevel::warn);
    EXPECT_EQ(parse("log=error").options.log, LogLevel::error);
    EXPECT_EQ(parse("sched=lockfree").options.sched, Options::Sched::lockfree);
    EXPECT_TRUE(parse("x2apic=on").options.x2apic);
    EXPECT_TRUE(parse("demo=on").options.demo);
    EXPECT_FALSE(parse("trace=off").options.trace);
}

TEST(Cmdline, console_is_on_by_default_and_off_on_request)
{
    EXPECT_TRUE(Options().console);
    EXPECT_FALSE(parse("console=off").options.console);
    EXPECT_TRUE(parse("console=on").options.console);
    EXPECT_TRUE(parse("console=maybe").options.console);  // bad value: warned, default kept
}

TEST(Cmdline, nosmp_limits_to_one_cpu)
{
    Result r = parse("nosmp");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_EQ(r.options.max_cpus, 1u);
}

TEST(Cmdline, nosmp_with_a_value_is_ignored_with_a_warning)
{
    Result r = parse("nosmp=1");
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0], "cmdline: option \"nosmp\" takes no value, ignored");
    EXPECT_EQ(r.options.max_cpus, 256u);
}

TEST(Cmdline, a_bare_on_off_key_means_on)
{
    Result r = parse("trace");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_TRUE(r.options.trace);
}

TEST(Cmdline, range_limits_are_inclusive)
{
    EXPECT_EQ(parse("timeslice_us=100").options.timeslice_us, 100u);
    EXPECT_EQ(parse("timeslice_us=1000000").options.timeslice_us, 1000000u);
    EXPECT_EQ(parse("smp.max_cpus=1").options.max_cpus, 1u);
    EXPECT_EQ(parse("smp.max_cpus=256").options.max_cpus, 256u);
    EXPECT_EQ(parse("smp.ap_timeout_ms=1").options.ap_timeout_ms, 1u);
    EXPECT_EQ(parse("smp.ap_timeout_ms=10000").options.ap_timeout_ms, 10000u);
    EXPECT_EQ(parse("sched.spin_us=0").options.spin_us, 0u);
    EXPECT_EQ(parse("sched.spin_us=100000").options.spin_us, 100000u);
    Result over = parse("sched.spin_us=100001");
    EXPECT_EQ(over.options.spin_us, 30u);
    EXPECT_EQ(over.warnings.size(), 1u);
    EXPECT_EQ(parse("timeslice_us=000250").options.timeslice_us, 250u);
}

TEST(Cmdline, bad_numbers_warn_with_the_range_and_the_value_kept)
{
    struct Case {
        const char* text;
        const char* warning;
    };
    const Case cases[] = {
        { "timeslice_us=abc", "cmdline: bad value \"abc\" for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us=12abc", "cmdline: bad value \"12abc\" for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us=99", "cmdline: bad value \"99\" for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us=1000001",
            "cmdline: bad value \"1000001\" for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us=", "cmdline: bad value \"\" for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us", "cmdline: missing value for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us=-5", "cmdline: bad value \"-5\" for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us=+500", "cmdline: bad value \"+500\" for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us=0x400", "cmdline: bad value \"0x400\" for timeslice_us (expected 100..1000000), using 4000" },
        { "timeslice_us=1e3", "cmdline: bad value \"1e3\" for timeslice_us (expected 100..1000000), using 4000" },
        { "smp.max_cpus=0", "cmdline: bad value \"0\" for smp.max_cpus (expected 1..256), using 256" },
        { "smp.max_cpus=257", "cmdline: bad value \"257\" for smp.max_cpus (expected 1..256), using 256" },
        { "smp.ap_timeout_ms=0", "cmdline: bad value \"0\" for smp.ap_timeout_ms (expected 1..10000), using 200" },
        { "smp.ap_timeout_ms=10001",
            "cmdline: bad value \"10001\" for smp.ap_timeout_ms (expected 1..10000), using 200" },
    };
    for (const auto& c : cases) {
        Result r = parse(c.text);
        ASSERT_EQ(r.warnings.size(), 1u) << c.text;
        EXPECT_EQ(r.warnings[0], c.warning);
        expect_defaults(r.options);
    }
}

TEST(Cmdline, numbers_that_overflow_64_bits_are_rejected_not_wrapped)
{
    // 2^64 + 4000 would wrap to an in-range 4000 with unchecked arithmetic.
    for (const char* text : { "timeslice_us=99999999999999999999", "timeslice_us=18446744073709555616",
             "smp.max_cpus=18446744073709551616", "smp.max_cpus=4294967297" }) {
        Result r = parse(text);
        ASSERT_EQ(r.warnings.size(), 1u) << text;
        EXPECT_NE(r.warnings[0].find("bad value"), std::string::npos);
        expect_defaults(r.options);
    }
    Result r = parse("timeslice_us=99999999999999999999");
    EXPECT_EQ(r.warnings[0],
        "cmdline: bad value \"99999999999999999999\" for timeslice_us (expected 100..1000000), using 4000");
}

TEST(Cmdline, bad_choices_list_the_accepted_words)
{
    struct Case {
        const char* text;
        const char* warning;
    };
    const Case cases[] = {
        { "log=loud", "cmdline: bad value \"loud\" for log (expected debug|info|warn|error), using info" },
        { "log=DEBUG", "cmdline: bad value \"DEBUG\" for log (expected debug|info|warn|error), using info" },
        { "log", "cmdline: missing value for log (expected debug|info|warn|error), using info" },
        { "x2apic=maybe", "cmdline: bad value \"maybe\" for x2apic (expected on|off), using on" },
        { "x2apic=", "cmdline: bad value \"\" for x2apic (expected on|off), using on" },
        { "demo=1", "cmdline: bad value \"1\" for demo (expected on|off), using on" },
        { "trace=yes", "cmdline: bad value \"yes\" for trace (expected on|off), using off" },
        { "sched=fifo", "cmdline: bad value \"fifo\" for sched (expected lockfree|locked), using lockfree" },
        { "sched", "cmdline: missing value for sched (expected lockfree|locked), using lockfree" },
    };
    for (const auto& c : cases) {
        Result r = parse(c.text);
        ASSERT_EQ(r.warnings.size(), 1u) << c.text;
        EXPECT_EQ(r.warnings[0], c.warning);
        expect_defaults(r.options);
    }
}

TEST(Cmdline, unknown_keys_are_named_and_ignored)
{
    Result r = parse("foo bogus_option=1 =x smp.max_cpu=4");
    ASSERT_EQ(r.warnings.size(), 4u);
    EXPECT_EQ(r.warnings[0], "cmdline: unknown option \"foo\", ignored");
    EXPECT_EQ(r.warnings[1], "cmdline: unknown option \"bogus_option\", ignored");
    EXPECT_EQ(r.warnings[2], "cmdline: unknown option \"\", ignored");
    EXPECT_EQ(r.warnings[3], "cmdline: unknown option \"smp.max_cpu\", ignored");
    expect_defaults(r.options);
}

TEST(Cmdline, blanks_of_any_length_separate_tokens)
{
    Result r = parse("  \t test=all\t\t  timeslice_us=1000   nosmp \t");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_STREQ(r.options.test, "all");
    EXPECT_EQ(r.options.timeslice_us, 1000u);
    EXPECT_EQ(r.options.max_cpus, 1u);
}

TEST(Cmdline, the_last_of_duplicate_keys_wins)
{
    Result r = parse("timeslice_us=1000 timeslice_us=2000 test=a test=b nosmp smp.max_cpus=3 log=error log=warn");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_EQ(r.options.timeslice_us, 2000u);
    EXPECT_STREQ(r.options.test, "b");
    EXPECT_EQ(r.options.max_cpus, 3u);
    EXPECT_EQ(r.options.log, LogLevel::warn);
}

TEST(Cmdline, a_bad_duplicate_keeps_the_earlier_good_value_and_says_so)
{
    Result r = parse("timeslice_us=1000 timeslice_us=oops");
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0], "cmdline: bad value \"oops\" for timeslice_us (expected 100..1000000), using 1000");
    EXPECT_EQ(r.options.timeslice_us, 1000u);
}

TEST(Cmdline, a_shorter_string_value_clears_the_rest_of_a_longer_one)
{
    Result r = parse("test=abcdef test=xy");
    EXPECT_STREQ(r.options.test, "xy");
    for (size_t i = 2; i < sizeof(r.options.test); ++i)
        EXPECT_EQ(r.options.test[i], '\0');
}

TEST(Cmdline, strings_that_do_not_fit_warn_and_keep_the_default)
{
    const std::string fits(63, 'a');
    EXPECT_STREQ(parse("test=" + fits).options.test, fits.c_str());

    const std::string too_long(64, 'b');
    Result r = parse("bench=" + too_long);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0], "cmdline: bad value \"" + std::string(48, 'b') +
            "...\" for bench (expected at most 63 characters), using \"\"");
    EXPECT_STREQ(r.options.bench, "");
}

TEST(Cmdline, an_empty_string_value_is_allowed)
{
    Result r = parse("test=all test=");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_STREQ(r.options.test, "");
}

TEST(Cmdline, a_bare_string_key_is_missing_its_value)
{
    Result r = parse("test");
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0], "cmdline: missing value for test (expected at most 63 characters), using \"\"");
}

TEST(Cmdline, only_the_first_equals_splits_key_from_value)
{
    Result r = parse("test=a=b");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_STREQ(r.options.test, "a=b");
}

TEST(Cmdline, control_bytes_in_warnings_are_masked_and_long_echoes_cut)
{
    Result r = parse(std::string("log=\x1b[2J\x01"));
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_EQ(r.warnings[0], "cmdline: bad value \"?[2J?\" for log (expected debug|info|warn|error), using info");

    Result big = parse(std::string(5000, 'k'));
    ASSERT_EQ(big.warnings.size(), 1u);
    EXPECT_LT(big.warnings[0].size(), 256u);
    EXPECT_NE(big.warnings[0].find("...\", ignored"), std::string::npos);
}

TEST(Cmdline, warnings_are_counted_even_without_a_callback)
{
    Options o;
    EXPECT_EQ(boot::parse_cmdline("foo log=loud timeslice_us=1", o, nullptr, nullptr), 3u);
    expect_defaults(o);
}

TEST(Cmdline, the_qemu_matrix_hostile_line_names_each_bad_option_and_keeps_the_good_one)
{
    // test/qemu_matrix.sh boots with exactly this line and greps for these warnings.
    Result r = parse("test=all timeslice_us=12abc log=loud smp.max_cpus=0 bogus_option=1 x2apic=maybe");
    ASSERT_EQ(r.warnings.size(), 5u);
    EXPECT_STREQ(r.options.test, "all");
    const char* keys[] = { "for timeslice_us ", "for log ", "for smp.max_cpus ", "\"bogus_option\"", "for x2apic " };
    for (size_t i = 0; i < 5; ++i)
        EXPECT_NE(r.warnings[i].find(keys[i]), std::string::npos) << r.warnings[i];
}

TEST(Cmdline, the_watchdog_is_on_for_10_s_by_default_and_takes_off_and_a_bound)
{
    EXPECT_TRUE(Options().watchdog);
    EXPECT_EQ(Options().watchdog_s, 10u);
    Result r = parse("watchdog=off watchdog_s=30");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_FALSE(r.options.watchdog);
    EXPECT_EQ(r.options.watchdog_s, 30u);
    EXPECT_EQ(parse("watchdog_s=1").options.watchdog_s, 1u);
    EXPECT_EQ(parse("watchdog_s=3600").options.watchdog_s, 3600u);
}

TEST(Cmdline, a_bad_watchdog_value_is_one_warning_and_the_default)
{
    struct Case {
        const char* text;
        const char* warning;
    };
    const Case cases[] = {
        { "watchdog_s=0", "cmdline: bad value \"0\" for watchdog_s (expected 1..3600), using 10" },
        { "watchdog_s=3601", "cmdline: bad value \"3601\" for watchdog_s (expected 1..3600), using 10" },
        { "watchdog_s=10s", "cmdline: bad value \"10s\" for watchdog_s (expected 1..3600), using 10" },
        { "watchdog_s=-5", "cmdline: bad value \"-5\" for watchdog_s (expected 1..3600), using 10" },
        { "watchdog_s", "cmdline: missing value for watchdog_s (expected 1..3600), using 10" },
        { "watchdog=maybe", "cmdline: bad value \"maybe\" for watchdog (expected on|off), using on" },
    };
    for (const Case& c : cases) {
        Result r = parse(c.text);
        ASSERT_EQ(r.warnings.size(), 1u) << c.text;
        EXPECT_EQ(r.warnings[0], c.warning);
        EXPECT_TRUE(r.options.watchdog);
        EXPECT_EQ(r.options.watchdog_s, 10u);
    }
}

TEST(Cmdline, torture_and_its_seed_are_understood)
{
    Result r = parse("torture=3600 torture.seed=18446744073709551615");
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_EQ(r.options.torture_s, 3600u);
    EXPECT_TRUE(r.options.torture_seed_given);
    EXPECT_EQ(r.options.torture_seed, 18446744073709551615ull);
    EXPECT_EQ(Options().torture_s, 0u);
    EXPECT_FALSE(Options().torture_seed_given);
}

TEST(Cmdline, a_bad_torture_length_or_seed_warns_once_and_runs_no_torture)
{
    Result r = parse("torture=0 torture.seed=12x");
    ASSERT_EQ(r.warnings.size(), 2u);
    EXPECT_EQ(r.warnings[0], "cmdline: bad value \"0\" for torture (expected 1..604800), using 0");
    EXPECT_EQ(r.warnings[1], "cmdline: bad value \"12x\" for torture.seed (expected a decimal number below 2^64), using none");
    EXPECT_EQ(r.options.torture_s, 0u);
    EXPECT_FALSE(r.options.torture_seed_given);
}

TEST(Cmdline, fail_sets_every_site_named_in_any_order)
{
    Result r = parse("fail=ipi:17,frames:97,stack:997,heap:31");
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    const fault::Plan& p = r.options.fail;
    EXPECT_EQ(p.every[size_t(fault::Site::frames)], 97u);
    EXPECT_EQ(p.every[size_t(fault::Site::heap)], 31u);
    EXPECT_EQ(p.every[size_t(fault::Site::stack)], 997u);
    EXPECT_EQ(p.every[size_t(fault::Site::ipi)], 17u);
    EXPECT_FALSE(p.random);  // every Nth until fail.seed= says otherwise
    Result subset = parse("fail=heap:5");
    EXPECT_EQ(subset.options.fail.every[size_t(fault::Site::heap)], 5u);
    EXPECT_EQ(subset.options.fail.every[size_t(fault::Site::frames)], 0u);
    EXPECT_FALSE(Options().fail.any());
}

TEST(Cmdline, fail_seed_switches_to_probability_one_in_n)
{
    Result r = parse("fail=frames:8 fail.seed=42");
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
    EXPECT_TRUE(r.options.fail.random);
    EXPECT_EQ(r.options.fail.seed, 42u);
    EXPECT_EQ(r.options.fail.every[size_t(fault::Site::frames)], 8u);
}

TEST(Cmdline, a_malformed_fail_list_is_ignored_whole_with_one_warning)
{
    for (std::string_view text : { "fail=frames:0", "fail=frames", "fail=disk:3", "fail=heap:3,", "fail=heap:-1",
                                   "fail=heap:4294967296", "fail=", "fail", "fail=heap:3,,ipi:2" }) {
        Result r = parse(text);
        ASSERT_EQ(r.warnings.size(), 1u) << text;
        EXPECT_NE(r.warnings[0].find("for fail (expected site:N"), std::string::npos) << r.warnings[0];
        EXPECT_NE(r.warnings[0].find("using no fault injection"), std::string::npos) << r.warnings[0];
        EXPECT_FALSE(r.options.fail.any()) << text;
    }
    Result kept = parse("fail=heap:3 fail=heap:x");
    ASSERT_EQ(kept.warnings.size(), 1u);
    EXPECT_NE(kept.warnings[0].find("keeping the earlier fail="), std::string::npos) << kept.warnings[0];
    EXPECT_EQ(kept.options.fail.every[size_t(fault::Site::heap)], 3u);
}
