#include <gtest/gtest.h>

#include <initializer_list>
#include <random>
#include <vector>

#include "console/editing/scancode_decoder.h"

using console::Key;
using console::KeyCode;
using console::ScancodeDecoder;

namespace {

std::vector<Key> decode(ScancodeDecoder& d, std::initializer_list<uint8_t> bytes) {
    std::vector<Key> keys;
    for (uint8_t b : bytes) {
        Key k = d.feed(b);
        if (k.code != KeyCode::none) keys.push_back(k);
    }
    return keys;
}
std::vector<Key> decode(std::initializer_list<uint8_t> bytes) {
    ScancodeDecoder d;
    return decode(d, bytes);
}

} // namespace

TEST(ScancodeDecoder, make_codes_give_characters_and_breaks_nothing) {
    // a down, a up, 1 down, 1 up, space
    EXPECT_EQ(decode({0x1e, 0x9e, 0x02, 0x82, 0x39, 0xb9}),
              (std::vector<Key>{Key::character('a'), Key::character('1'), Key::character(' ')}));
}

TEST(ScancodeDecoder, shift_changes_letters_and_symbols_while_held) {
    EXPECT_EQ(decode({0x2a, 0x1e, 0x02, 0xaa, 0x1e}),
              (std::vector<Key>{Key::character('A'), Key::character('!'), Key::character('a')}));
    EXPECT_EQ(decode({0x36, 0x27, 0xb6, 0x27}), (std::vector<Key>{Key::character(':'), Key::character(';')}));
}

TEST(ScancodeDecoder, caps_lock_toggles_letters_only) {
    ScancodeDecoder d;
    EXPECT_EQ(decode(d, {0x3a, 0xba, 0x1e, 0x02}), (std::vector<Key>{Key::character('A'), Key::character('1')}));
    EXPECT_TRUE(d.caps_lock());
    EXPECT_EQ(decode(d, {0x2a, 0x1e, 0xaa}), std::vector<Key>{Key::character('a')});  // shift inverts caps
    EXPECT_EQ(decode(d, {0x3a, 0xba, 0x1e}), std::vector<Key>{Key::character('a')});
}

TEST(ScancodeDecoder, ctrl_letter_is_a_control_key_left_and_right) {
    EXPECT_EQ(decode({0x1d, 0x2e, 0x9d, 0x2e}), (std::vector<Key>{Key::control('c'), Key::character('c')}));
    EXPECT_EQ(decode({0xe0, 0x1d, 0x26, 0xe0, 0x9d}), std::vector<Key>{Key::control('l')});
}

TEST(ScancodeDecoder, extended_arrows_home_end_delete) {
    EXPECT_EQ(decode({0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0x50, 0xe0, 0x4b, 0xe0, 0x4d, 0xe0, 0x47, 0xe0, 0x4f, 0xe0,
                      0x53}),
              (std::vector<Key>{Key::of(KeyCode::up), Key::of(KeyCode::down), Key::of(KeyCode::left),
                                Key::of(KeyCode::right), Key::of(KeyCode::home), Key::of(KeyCode::end),
                                Key::of(KeyCode::del)}));
}

TEST(ScancodeDecoder, backspace_enter_tab) {
    EXPECT_EQ(decode({0x0e, 0x1c, 0xe0, 0x1c, 0x0f}),
              (std::vector<Key>{Key::of(KeyCode::backspace), Key::of(KeyCode::enter), Key::of(KeyCode::enter),
                                Key::of(KeyCode::tab)}));
}

TEST(ScancodeDecoder, fake_shifts_of_extended_keys_do_not_shift) {
    // Print Screen with num lock: E0 2A E0 37, then a letter.
    EXPECT_EQ(decode({0xe0, 0x2a, 0xe0, 0x37, 0x1e}), std::vector<Key>{Key::character('a')});
}

TEST(ScancodeDecoder, pause_sequence_and_controller_bytes_are_ignored) {
    EXPECT_EQ(decode({0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, 0xfa, 0xfe, 0x00, 0xff, 0x1e}),
              std::vector<Key>{Key::character('a')});
}

TEST(ScancodeDecoder, unknown_codes_give_no_key) {
    EXPECT_TRUE(decode({0x3b, 0x58, 0x7f, 0xe0, 0x20}).empty());  // F1, F12, junk, media
}

TEST(ScancodeDecoder, random_bytes_never_yield_out_of_range_keys) {
    std::mt19937 rng(1);
    ScancodeDecoder d;
    for (int i = 0; i < 200000; ++i) {
        Key k = d.feed(uint8_t(rng()));
        if (k.code == KeyCode::character) { EXPECT_TRUE(k.ch >= 0x20 && k.ch < 0x7f); }
        if (k.code == KeyCode::ctrl) { EXPECT_TRUE(k.ch >= 'a' && k.ch <= 'z'); }
    }
}

TEST(ScancodeDecoder, holding_caps_lock_toggles_once_despite_typematic_repeats) {
    ScancodeDecoder d;
    EXPECT_EQ(decode(d, {0x3a, 0x3a, 0x3a, 0x1e}), std::vector<Key>{Key::character('A')});
    EXPECT_TRUE(d.caps_lock());
    EXPECT_EQ(decode(d, {0xba, 0x3a, 0x3a, 0xba, 0x1e}), std::vector<Key>{Key::character('a')});
    EXPECT_FALSE(d.caps_lock());
}
