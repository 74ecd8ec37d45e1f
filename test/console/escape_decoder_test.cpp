#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

#include "console/editing/escape_decoder.h"

using console::EscapeDecoder;
using console::Key;
using console::KeyCode;

namespace {

std::vector<Key> decode(EscapeDecoder& d, std::string_view bytes) {
    std::vector<Key> keys;
    for (char c : bytes) {
        Key k = d.feed(uint8_t(c));
        if (k.code != KeyCode::none) keys.push_back(k);
    }
    return keys;
}
std::vector<Key> decode(std::string_view bytes) {
    EscapeDecoder d;
    return decode(d, bytes);
}

} // namespace

TEST(EscapeDecoder, printable_bytes_are_characters) {
    EXPECT_EQ(decode("aZ ~"), (std::vector<Key>{Key::character('a'), Key::character('Z'), Key::character(' '),
                                                 Key::character('~')}));
}

TEST(EscapeDecoder, cr_lf_and_crlf_each_give_one_enter) {
    EXPECT_EQ(decode("\r").size(), 1u);
    EXPECT_EQ(decode("\n").size(), 1u);
    EXPECT_EQ(decode("\r\n"), std::vector<Key>{Key::of(KeyCode::enter)});
    EXPECT_EQ(decode("\n\n").size(), 2u);
    EXPECT_EQ(decode("\r\r").size(), 2u);
}

TEST(EscapeDecoder, del_and_bs_are_backspace) {
    EXPECT_EQ(decode("\x7f\x08"), (std::vector<Key>{Key::of(KeyCode::backspace), Key::of(KeyCode::backspace)}));
}

TEST(EscapeDecoder, c0_controls_are_ctrl_letters) {
    EXPECT_EQ(decode("\x03"), std::vector<Key>{Key::control('c')});
    EXPECT_EQ(decode("\x0c"), std::vector<Key>{Key::control('l')});
    EXPECT_EQ(decode("\x01"), std::vector<Key>{Key::control('a')});
}

TEST(EscapeDecoder, csi_and_ss3_arrows) {
    EXPECT_EQ(decode("\x1b[A\x1b[B\x1b[C\x1b[D"),
              (std::vector<Key>{Key::of(KeyCode::up), Key::of(KeyCode::down), Key::of(KeyCode::right),
                                Key::of(KeyCode::left)}));
    EXPECT_EQ(decode("\x1bOA\x1bOD"), (std::vector<Key>{Key::of(KeyCode::up), Key::of(KeyCode::left)}));
    EXPECT_EQ(decode("\x1b[1;5C"), std::vector<Key>{Key::of(KeyCode::right)});
}

TEST(EscapeDecoder, tilde_sequences_home_end_delete) {
    EXPECT_EQ(decode("\x1b[1~\x1b[4~\x1b[3~\x1b[7~\x1b[8~\x1b[H\x1b[F"),
              (std::vector<Key>{Key::of(KeyCode::home), Key::of(KeyCode::end), Key::of(KeyCode::del),
                                Key::of(KeyCode::home), Key::of(KeyCode::end), Key::of(KeyCode::home),
                                Key::of(KeyCode::end)}));
    EXPECT_TRUE(decode("\x1b[15~").empty());  // F5: not a key we use
}

TEST(EscapeDecoder, sequences_split_across_feeds_still_decode) {
    EscapeDecoder d;
    EXPECT_TRUE(decode(d, "\x1b").empty());
    EXPECT_TRUE(decode(d, "[").empty());
    EXPECT_EQ(decode(d, "A"), std::vector<Key>{Key::of(KeyCode::up)});
}

TEST(EscapeDecoder, over_long_sequence_is_dropped_and_decoder_recovers) {
    EXPECT_EQ(decode("\x1b[1111111111111111111111111111111Ax"), std::vector<Key>{Key::character('x')});
}

TEST(EscapeDecoder, interrupted_sequence_starts_over) {
    EXPECT_EQ(decode("\x1b[1\x1b[B"), std::vector<Key>{Key::of(KeyCode::down)});
    EXPECT_EQ(decode("\x1b[\r" "a"), std::vector<Key>{Key::character('a')});
}

TEST(EscapeDecoder, escape_interrupting_ss3_starts_a_new_sequence) {
    // Found by test/fuzz/fuzz_escape.cpp: the ESC was taken as SS3's final byte, so the
    // rest of the next sequence came out typed.
    EXPECT_EQ(decode("\x1bO\x1b[A"), std::vector<Key>{Key::of(KeyCode::up)});
    EXPECT_EQ(decode("\x1bO\x1bOB"), std::vector<Key>{Key::of(KeyCode::down)});
}

TEST(EscapeDecoder, alt_letter_is_the_letter) {
    EXPECT_EQ(decode("\x1bx"), std::vector<Key>{Key::character('x')});
}

TEST(EscapeDecoder, high_bytes_and_nul_give_no_key) {
    EXPECT_TRUE(decode(std::string_view("\x00\x80\xff\xc3\xa9", 5)).empty());
}

TEST(EscapeDecoder, random_garbage_never_yields_out_of_range_keys_and_recovers) {
    std::mt19937 rng(13);
    EscapeDecoder d;
    for (int i = 0; i < 200000; ++i) {
        Key k = d.feed(uint8_t(rng()));
        if (k.code == KeyCode::character) { EXPECT_TRUE(k.ch >= 0x20 && k.ch < 0x7f); }
        if (k.code == KeyCode::ctrl) { EXPECT_TRUE(k.ch >= 'a' && k.ch <= 'z'); }
    }
    // Whatever state garbage left it in, a terminator and a fresh sequence decode.
    decode(d, "~");
    EXPECT_EQ(decode(d, "\x1b[A"), std::vector<Key>{Key::of(KeyCode::up)});
}

TEST(EscapeDecoder, sequences_with_private_or_intermediate_bytes_are_skipped_whole) {
    // A terminal's answer to a device-attributes query, cursor show/hide, a sequence with
    // an intermediate byte: none is a key, and none leaks its tail as typed text.
    EXPECT_EQ(decode("\x1b[?1;2cx"), std::vector<Key>{Key::character('x')});
    EXPECT_EQ(decode("\x1b[?25hx"), std::vector<Key>{Key::character('x')});
    EXPECT_EQ(decode("\x1b[>0;10;1cx"), std::vector<Key>{Key::character('x')});
    EXPECT_EQ(decode("\x1b[1 qx"), std::vector<Key>{Key::character('x')});
    EXPECT_EQ(decode("\x1b[?25\x1b[A"), std::vector<Key>{Key::of(KeyCode::up)});  // ESC still starts anew
}

TEST(EscapeDecoder, linux_console_function_keys_give_no_stray_letter) {
    EXPECT_EQ(decode("\x1b[[Ax\x1b[[E"), std::vector<Key>{Key::character('x')});
    EXPECT_EQ(decode("\x1b[[\x1b[B"), std::vector<Key>{Key::of(KeyCode::down)});
    EXPECT_EQ(decode("\x1b[[1x"), std::vector<Key>{Key::character('x')});  // exactly one byte follows
}

TEST(EscapeDecoder, ss3_parameters_are_ignored_not_typed) {
    EXPECT_EQ(decode("\x1bO1;2Px"), std::vector<Key>{Key::character('x')});  // older xterm's shift-F1
    EXPECT_EQ(decode("\x1bO1;5A"), std::vector<Key>{Key::of(KeyCode::up)});
}
