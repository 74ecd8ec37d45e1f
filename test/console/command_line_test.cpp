#include <gtest/gtest.h>

#include <random>
#include <string>

#include "console/editing/command_line.h"

using namespace console;

namespace {
std::string error_of(std::string_view line) {
    char out[160];
    describe_parse_error(parse_command(line), out, sizeof out);
    return out;
}
} // namespace

TEST(CommandLine, splits_on_spaces_and_tabs) {
    Words w = split_words("  run\tfib   20 ");
    ASSERT_EQ(w.count, 3u);
    EXPECT_EQ(w.at[0], "run");
    EXPECT_EQ(w.at[1], "fib");
    EXPECT_EQ(w.at[2], "20");
    EXPECT_FALSE(w.too_many);
}

TEST(CommandLine, more_than_max_words_is_flagged) {
    Words w = split_words("a b c d e f g h i j");
    EXPECT_EQ(w.count, kMaxWords);
    EXPECT_TRUE(w.too_many);
    EXPECT_EQ(parse_command("load a b c d e f g h i").status, ParseStatus::too_many_arguments);
}

TEST(CommandLine, empty_and_blank_lines_are_empty) {
    EXPECT_EQ(parse_command("").status, ParseStatus::empty);
    EXPECT_EQ(parse_command(" \t ").status, ParseStatus::empty);
    EXPECT_EQ(error_of(""), "");
}

TEST(CommandLine, known_commands_with_their_arguments_parse) {
    ParsedCommand p = parse_command("offline 3");
    ASSERT_EQ(p.status, ParseStatus::ok);
    EXPECT_EQ(p.spec->name, "offline");
    EXPECT_EQ(p.argument_count(), 1u);
    EXPECT_EQ(p.argument(0), "3");
    EXPECT_EQ(p.argument(1), "");
    EXPECT_EQ(parse_command("load").status, ParseStatus::ok);
    EXPECT_EQ(parse_command("load stop 2").status, ParseStatus::ok);
    EXPECT_EQ(parse_command("help offline").status, ParseStatus::ok);
}

TEST(CommandLine, every_table_entry_is_findable_and_has_usage) {
    for (const CommandSpec& spec : command_table()) {
        EXPECT_EQ(find_command(spec.name), &spec);
        EXPECT_LE(spec.min_args, spec.max_args);
        EXPECT_NE(std::string(spec.usage).find(spec.name), std::string::npos);
    }
}

TEST(CommandLine, unknown_command_says_so_and_points_to_help) {
    EXPECT_EQ(parse_command("frobnicate").status, ParseStatus::unknown_command);
    EXPECT_EQ(error_of("frobnicate now"), "unknown command \"frobnicate\"; type help for the list");
    EXPECT_EQ(parse_command("HELP").status, ParseStatus::unknown_command);  // case matters
}

TEST(CommandLine, wrong_argument_counts_name_the_usage) {
    EXPECT_EQ(error_of("offline"), "offline: missing argument; usage: offline N");
    EXPECT_EQ(error_of("cpus 3"), "cpus: too many arguments; usage: cpus");
    EXPECT_EQ(error_of("run"), "run: missing argument; usage: run fib N | run uts t1|t3 | run messaging");
    EXPECT_EQ(error_of("run fib 1 2"), "run: too many arguments; usage: run fib N | run uts t1|t3 | run messaging");
}

TEST(CommandLine, quoted_garbage_is_printable_and_bounded) {
    const std::string garbage = "\x01\x02\xff" + std::string(100, 'z');
    const std::string e = error_of(garbage);
    for (char c : e) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
    EXPECT_NE(e.find("\"???zzzz"), std::string::npos);
    EXPECT_NE(e.find("...\""), std::string::npos);
    EXPECT_LT(e.size(), 80u);
}

TEST(CommandLine, error_text_is_cut_to_the_buffer) {
    char small[10];
    EXPECT_EQ(describe_parse_error(parse_command("nonesuch"), small, sizeof small), 9u);
    EXPECT_EQ(std::string(small), "unknown c");
}

TEST(CommandLine, numbers_are_decimal_and_bounded) {
    EXPECT_EQ(parse_number("0", 10), 0u);
    EXPECT_EQ(parse_number("32", 32), 32u);
    EXPECT_EQ(parse_number("33", 32), std::nullopt);
    EXPECT_EQ(parse_number("", 10), std::nullopt);
    EXPECT_EQ(parse_number("-1", 10), std::nullopt);
    EXPECT_EQ(parse_number("0x10", 100), std::nullopt);
    EXPECT_EQ(parse_number("1e3", 10000), std::nullopt);
    EXPECT_EQ(parse_number("18446744073709551615", UINT64_MAX), UINT64_MAX);
    EXPECT_EQ(parse_number("18446744073709551616", UINT64_MAX), std::nullopt);
    EXPECT_EQ(parse_number("99999999999999999999999", 255), std::nullopt);
}

TEST(CommandLine, random_lines_never_break_the_parser) {
    std::mt19937 rng(3);
    for (int i = 0; i < 20000; ++i) {
        std::string line(rng() % 300, ' ');
        for (char& c : line) c = char(rng() % 4 == 0 ? ' ' : rng() % 256);
        ParsedCommand p = parse_command(line);
        char out[128];
        const size_t n = describe_parse_error(p, out, sizeof out);
        ASSERT_LT(n, sizeof out);
        ASSERT_LE(p.words.count, kMaxWords);
        if (p.status != ParseStatus::empty && p.status != ParseStatus::unknown_command) {
            ASSERT_NE(p.spec, nullptr);
        }
    }
}
