// Kernel heap. operator new/delete use it too. All allocation failure is a nullptr.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mm {
void heap_init();
void* kmalloc(size_t size, size_t align = 16);
void kfree(void* p);

// What the heap holds now (racy while others allocate): bytes handed out (a small block
// counts its whole size class, a large one its frames) and the frames carved into size-class
// pages, which the heap keeps for ever. The torture's end-of-run check compares both.
struct HeapStats {
    uint64_t bytes_in_use = 0;
    uint64_t class_pages = 0;
};
HeapStats heap_stats();
}  // namespace mm
