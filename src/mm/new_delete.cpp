// operator new/delete on the kernel heap (the rest of the C++ runtime is in lib/libc.cpp).
#include <cstddef>
#include <new>

#include "lib/panic.h"
#include "mm/heap.h"

// Plain new cannot report failure without exceptions, and the compiler assumes it never
// returns null, so running out of memory here is a panic. Code that can cope with failure
// uses mm::kmalloc or new (std::nothrow).
namespace {
void* checked_alloc(size_t size, size_t align) {
    void* p = mm::kmalloc(size, align);
    if (p == nullptr) panic("operator new: out of memory (%zu bytes, align %zu)", size, align);
    return p;
}
}  // namespace

void* operator new(size_t size) { return checked_alloc(size, 16); }
void* operator new[](size_t size) { return checked_alloc(size, 16); }
void* operator new(size_t size, std::align_val_t align) { return checked_alloc(size, size_t(align)); }
void* operator new[](size_t size, std::align_val_t align) { return checked_alloc(size, size_t(align)); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return mm::kmalloc(size, 16); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return mm::kmalloc(size, 16); }

void operator delete(void* p) noexcept { mm::kfree(p); }
void operator delete[](void* p) noexcept { mm::kfree(p); }
void operator delete(void* p, size_t) noexcept { mm::kfree(p); }
void operator delete[](void* p, size_t) noexcept { mm::kfree(p); }
void operator delete(void* p, std::align_val_t) noexcept { mm::kfree(p); }
void operator delete[](void* p, std::align_val_t) noexcept { mm::kfree(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { mm::kfree(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { mm::kfree(p); }
