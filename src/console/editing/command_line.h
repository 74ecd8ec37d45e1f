// A typed line -> a command and its arguments, checked against the command table. Pure and
// host-tested; what each command does is in commands*.cpp (kernel).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace console {

struct CommandSpec {
    std::string_view name;
    uint8_t min_args, max_args;
    const char* usage;  // "offline N"
    const char* summary;  // one line for `help`
};

// The table `help` prints, in that order.
std::span<const CommandSpec> command_table();
const CommandSpec* find_command(std::string_view name);

constexpr size_t kMaxWords = 8;
struct Words {
    std::string_view at[kMaxWords];
    size_t count = 0;
    bool too_many = false;  // more than kMaxWords words: the rest are not kept
};
// Splits on spaces and tabs; other bytes belong to words.
Words split_words(std::string_view line);

// Decimal digits only, at most `max`. nullopt for anything else (sign, hex, overflow, empty).
std::optional<uint64_t> parse_number(std::string_view text, uint64_t max);

enum class ParseStatus : uint8_t { ok, empty, unknown_command, too_few_arguments, too_many_arguments };
struct ParsedCommand {
    ParseStatus status = ParseStatus::empty;
    const CommandSpec* spec = nullptr;  // set unless empty / unknown_command
    Words words;  // words.at[0] is the command name
    std::string_view argument(size_t i) const { return i + 1 < words.count ? words.at[i + 1] : std::string_view(); }
    size_t argument_count() const { return words.count > 0 ? words.count - 1 : 0; }
};
ParsedCommand parse_command(std::string_view line);

// One line (no newline) saying what is wrong with a line parse_command() refused, and how
// to use the command: `unknown command "x"; type help`, `offline: missing argument;
// usage: offline N`. Writes at most size-1 bytes and a NUL; returns the length.
size_t describe_parse_error(const ParsedCommand& parsed, char* out, size_t size);

// Appends `text` to out[*length..size-1) as "text" with non-printable bytes shown as '?'
// and at most 24 characters (then "..."); the helper every error line uses to quote input.
void append_quoted(char* out, size_t size, size_t* length, std::string_view text);
void append_text(char* out, size_t size, size_t* length, std::string_view text);

}  // namespace console
