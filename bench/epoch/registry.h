#pragma once
// One registration function per epoch implementation; each lives in its own translation unit
// because liburcu's flavours (and ck's C-only headers) cannot share one.

namespace bench {

void register_ours_epoch_benchmarks();
void register_urcu_memb_benchmarks();
void register_urcu_qsbr_benchmarks();
void register_ck_benchmarks();

}
