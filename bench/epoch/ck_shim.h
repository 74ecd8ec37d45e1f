#pragma once
// A C face for Concurrency Kit's epoch reclamation: ck's headers do not compile as C++, so
// the benchmark calls these thin wrappers, which link-time optimisation inlines again.
#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_ck_thread bench_ck_thread;

void bench_ck_init(void);
bench_ck_thread* bench_ck_thread_register(void);
void bench_ck_thread_unregister(bench_ck_thread*);
void bench_ck_begin(bench_ck_thread*);
void bench_ck_end(bench_ck_thread*);
void bench_ck_retire_new_node(bench_ck_thread*);
void bench_ck_poll(bench_ck_thread*);
void bench_ck_synchronize(bench_ck_thread*);
void bench_ck_barrier(bench_ck_thread*);
// The global epoch (relaxed): the grace-period row counts advances with it.
unsigned bench_ck_epoch(void);

// Provided by the C++ side: counts one freed node (release ordering).
void bench_ck_node_freed(void);

#ifdef __cplusplus
}
#endif
