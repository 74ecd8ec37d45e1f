#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "console/editing/line_editor.h"

using console::Key;
using console::KeyCode;
using console::LineEditor;
using Action = LineEditor::Action;

namespace {

void type(LineEditor& e, std::string_view text) {
    for (char c : text) e.feed(Key::character(c));
}
Action press(LineEditor& e, KeyCode code) { return e.feed(Key::of(code)); }
void submit(LineEditor& e, std::string_view text) {
    type(e, text);
    ASSERT_EQ(press(e, KeyCode::enter), Action::submit);
    e.clear();
}

} // namespace

TEST(LineEditor, typing_appends_and_moves_the_cursor) {
    LineEditor e;
    type(e, "help");
    EXPECT_EQ(e.line(), "help");
    EXPECT_EQ(e.cursor(), 4u);
}

TEST(LineEditor, insert_in_the_middle_after_moving_left) {
    LineEditor e;
    type(e, "hep");
    press(e, KeyCode::left);
    type(e, "l");
    EXPECT_EQ(e.line(), "help");
    EXPECT_EQ(e.cursor(), 3u);
}

TEST(LineEditor, backspace_and_delete_erase_around_the_cursor) {
    LineEditor e;
    type(e, "abcd");
    press(e, KeyCode::left);
    EXPECT_EQ(press(e, KeyCode::backspace), Action::changed);
    EXPECT_EQ(e.line(), "abd");
    EXPECT_EQ(press(e, KeyCode::del), Action::changed);
    EXPECT_EQ(e.line(), "ab");
    EXPECT_EQ(press(e, KeyCode::del), Action::none);  // at the end
    press(e, KeyCode::home);
    EXPECT_EQ(press(e, KeyCode::backspace), Action::none);  // at the start
    EXPECT_EQ(e.line(), "ab");
}

TEST(LineEditor, home_end_and_ctrl_equivalents) {
    LineEditor e;
    type(e, "abc");
    press(e, KeyCode::home);
    EXPECT_EQ(e.cursor(), 0u);
    e.feed(Key::control('e'));
    EXPECT_EQ(e.cursor(), 3u);
    e.feed(Key::control('a'));
    EXPECT_EQ(e.cursor(), 0u);
    EXPECT_EQ(press(e, KeyCode::left), Action::none);
}

TEST(LineEditor, line_length_is_bounded) {
    LineEditor e;
    type(e, std::string(1000, 'x'));
    EXPECT_EQ(e.line().size(), LineEditor::kMaxLine);
    EXPECT_EQ(e.feed(Key::character('y')), Action::none);
}

TEST(LineEditor, non_printable_characters_are_refused) {
    LineEditor e;
    EXPECT_EQ(e.feed(Key::character('\x01')), Action::none);
    EXPECT_EQ(e.feed(Key::character('\x7f')), Action::none);
    EXPECT_EQ(e.feed(Key::of(KeyCode::tab)), Action::none);
    EXPECT_TRUE(e.line().empty());
}

TEST(LineEditor, ctrl_c_aborts_and_ctrl_l_clears_the_screen) {
    LineEditor e;
    type(e, "load fib");
    EXPECT_EQ(e.feed(Key::control('c')), Action::abort);
    e.clear();
    EXPECT_TRUE(e.line().empty());
    EXPECT_EQ(e.history_size(), 0u);  // an aborted line is not remembered
    type(e, "x");
    EXPECT_EQ(e.feed(Key::control('l')), Action::clear_screen);
    EXPECT_EQ(e.line(), "x");
}

TEST(LineEditor, ctrl_u_erases_the_line) {
    LineEditor e;
    type(e, "abc");
    EXPECT_EQ(e.feed(Key::control('u')), Action::changed);
    EXPECT_TRUE(e.line().empty());
}

TEST(LineEditor, history_walks_back_and_forward_and_keeps_the_draft) {
    LineEditor e;
    submit(e, "cpus");
    submit(e, "mem");
    type(e, "dra");
    press(e, KeyCode::up);
    EXPECT_EQ(e.line(), "mem");
    press(e, KeyCode::up);
    EXPECT_EQ(e.line(), "cpus");
    EXPECT_EQ(press(e, KeyCode::up), Action::none);  // oldest
    EXPECT_EQ(e.line(), "cpus");
    press(e, KeyCode::down);
    EXPECT_EQ(e.line(), "mem");
    press(e, KeyCode::down);
    EXPECT_EQ(e.line(), "dra");
    EXPECT_EQ(press(e, KeyCode::down), Action::none);
}

TEST(LineEditor, history_skips_blank_lines_and_repeats) {
    LineEditor e;
    submit(e, "cpus");
    submit(e, "cpus");
    submit(e, "   ");
    submit(e, "");
    EXPECT_EQ(e.history_size(), 1u);
}

TEST(LineEditor, history_is_bounded_and_keeps_the_newest) {
    LineEditor e;
    for (int i = 0; i < 40; ++i) submit(e, "cmd" + std::to_string(i));
    EXPECT_EQ(e.history_size(), LineEditor::kHistory);
    for (size_t i = 0; i < LineEditor::kHistory; ++i) press(e, KeyCode::up);
    EXPECT_EQ(e.line(), "cmd" + std::to_string(40 - LineEditor::kHistory));
    EXPECT_EQ(press(e, KeyCode::up), Action::none);
}

TEST(LineEditor, view_keeps_the_cursor_visible_in_a_narrow_window) {
    LineEditor e;
    type(e, std::string(50, 'a'));
    auto v = e.view(20);
    EXPECT_EQ(v.first + v.cursor_column, e.cursor());
    EXPECT_LE(v.cursor_column, 19u);
    EXPECT_LE(v.length, 19u);
    press(e, KeyCode::home);
    v = e.view(20);
    EXPECT_EQ(v.first, 0u);
    EXPECT_EQ(v.cursor_column, 0u);
    e.feed(Key::control('u'));
    type(e, "short");
    v = e.view(20);
    EXPECT_EQ(v.first, 0u);
    EXPECT_EQ(v.length, 5u);
}

TEST(LineEditor, random_keys_keep_the_invariants) {
    std::mt19937 rng(7);
    LineEditor e;
    for (int i = 0; i < 200000; ++i) {
        Key k;
        const unsigned r = rng() % 16;
        if (r < 8) k = Key::character(char(rng() % 256));
        else if (r < 14) k = Key::of(KeyCode(rng() % 13));
        else k = Key::control(char('a' + rng() % 26));
        const Action a = e.feed(k);
        if (a == Action::submit || a == Action::abort) e.clear();
        ASSERT_LE(e.line().size(), LineEditor::kMaxLine);
        ASSERT_LE(e.cursor(), e.line().size());
        for (char c : e.line()) ASSERT_TRUE(c >= 0x20 && c < 0x7f);
        const auto v = e.view(1 + rng() % 100);
        ASSERT_LE(v.first + v.length, e.line().size());
        ASSERT_EQ(v.first + v.cursor_column, e.cursor());
    }
}
