// Time from the TSC. Until timer calibration runs, tsc_hz() is a 1 GHz guess, so early
// log timestamps are approximate.
#pragma once
#include <cstdint>

namespace arch {
void tsc_mark_boot();  // first thing in kmain
uint64_t tsc_hz();
void set_tsc_hz(uint64_t hz);  // by the calibration
uint64_t ns_since_boot();
void delay_us(uint64_t us);  // busy-wait on the TSC (after calibration), else PIT
}  // namespace arch
