// Kernel heap. operator new/delete use it too. All allocation failure is a nullptr.
#pragma once
#include <cstddef>

namespace mm {
void heap_init();
void* kmalloc(size_t size, size_t align = 16);
void kfree(void* p);
}  // namespace mm
