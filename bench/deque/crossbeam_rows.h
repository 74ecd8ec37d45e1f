#pragma once
// Registers the crossbeam-deque rows of bench_deque. Built from crossbeam_rows.cpp when
// cargo could build the Rust library, otherwise from crossbeam_missing.cpp, which registers
// nothing and says why (bench/CMakeLists.txt picks one).

namespace bench {

void register_crossbeam_rows();

}
