// What the console's fuzz targets share: a Key is well formed (key.h's contract).
#pragma once
#include "fuzz_check.h"
#include <console/editing/key.h>

namespace fuzz {

inline void check_well_formed(console::Key key)
{
    using console::KeyCode;
    FUZZ_CHECK(key.code <= KeyCode::ctrl);
    if (key.code == KeyCode::character)
        FUZZ_CHECK(key.ch >= 0x20 && key.ch <= 0x7e);
    else if (key.code == KeyCode::ctrl)
        FUZZ_CHECK(key.ch >= 'a' && key.ch <= 'z');
    else
        FUZZ_CHECK(key.ch == 0);
}

} // namespace fuzz
