#include "epoch/ck_shim.h"

#include <ck_epoch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// One global epoch object, like liburcu's implicit per-flavour state.
static ck_epoch_t g_ck_epoch;

struct bench_ck_thread {
    ck_epoch_record_t record;
};

struct bench_ck_node {
    ck_epoch_entry_t entry;
    uint64_t payload;
};

void bench_ck_init(void) { ck_epoch_init(&g_ck_epoch); }

bench_ck_thread* bench_ck_thread_register(void)
{
    // ck never frees records; unregistered ones are recycled, which keeps the list short.
    ck_epoch_record_t* recycled = ck_epoch_recycle(&g_ck_epoch, NULL);
    if (recycled != NULL)
        return (bench_ck_thread*)recycled;
    bench_ck_thread* thread = aligned_alloc(CK_MD_CACHELINE, sizeof(bench_ck_thread));
    if (thread == NULL) {
        fprintf(stderr, "bench: out of memory registering a ck_epoch record\n");
        abort();
    }
    ck_epoch_register(&g_ck_epoch, &thread->record, NULL);
    return thread;
}

void bench_ck_thread_unregister(bench_ck_thread* thread) { ck_epoch_unregister(&thread->record); }

void bench_ck_begin(bench_ck_thread* thread) { ck_epoch_begin(&thread->record, NULL); }

void bench_ck_end(bench_ck_thread* thread) { ck_epoch_end(&thread->record, NULL); }

static void free_ck_node(ck_epoch_entry_t* entry)
{
    free((struct bench_ck_node*)entry);
    bench_ck_node_freed();
}

void bench_ck_retire_new_node(bench_ck_thread* thread)
{
    struct bench_ck_node* node = malloc(sizeof(*node));
    if (node == NULL) {
        fprintf(stderr, "bench: out of memory allocating a retired node\n");
        abort();
    }
    node->payload = 0;
    ck_epoch_call(&thread->record, &node->entry, free_ck_node);
}

void bench_ck_poll(bench_ck_thread* thread) { ck_epoch_poll(&thread->record); }

void bench_ck_synchronize(bench_ck_thread* thread) { ck_epoch_synchronize(&thread->record); }

void bench_ck_barrier(bench_ck_thread* thread) { ck_epoch_barrier(&thread->record); }

unsigned bench_ck_epoch(void) { return ck_pr_load_uint(&g_ck_epoch.epoch); }
