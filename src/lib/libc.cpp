// The few C and C++ runtime pieces a freestanding g++ build still calls: mem* and str*
// (the compiler emits memcpy/memset for struct copies and loops), and the hooks for pure
// virtuals and static destructors. operator new/delete, which need the heap, are in
// src/mm/new_delete.cpp.
#include "lib/libc.h"

#include <cstdint>

#include "lib/panic.h"

// rep movsb/stosb: short, fast on modern CPUs (ERMS), and written in asm so the compiler
// cannot turn these loops back into calls to themselves.
extern "C" void* memcpy(void* dst, const void* src, size_t n) {
    void* d = dst;
    asm volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

extern "C" void* memmove(void* dst, const void* src, size_t n) {
    auto d = reinterpret_cast<uintptr_t>(dst);
    auto s = reinterpret_cast<uintptr_t>(src);
    if (d <= s || d >= s + n) return memcpy(dst, src, n);
    // Overlap with dst above src: copy backwards (direction flag set for the duration).
    void* dl = reinterpret_cast<void*>(d + n - 1);
    const void* sl = reinterpret_cast<const void*>(s + n - 1);
    asm volatile("std; rep movsb; cld" : "+D"(dl), "+S"(sl), "+c"(n) : : "memory");
    return dst;
}

extern "C" void* memset(void* dst, int value, size_t n) {
    void* d = dst;
    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(value) : "memory");
    return dst;
}

extern "C" int memcmp(const void* a, const void* b, size_t n) {
    auto pa = static_cast<const unsigned char*>(a);
    auto pb = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i)
        if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
    return 0;
}

extern "C" size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

extern "C" int strncmp(const char* a, const char* b, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        auto ca = static_cast<unsigned char>(a[i]), cb = static_cast<unsigned char>(b[i]);
        if (ca != cb) return ca < cb ? -1 : 1;
        if (ca == 0) return 0;
    }
    return 0;
}

extern "C" int strcmp(const char* a, const char* b) { return strncmp(a, b, SIZE_MAX); }

extern "C" [[noreturn]] void abort() { panic("abort() called"); }

extern "C" void __cxa_pure_virtual() { panic("pure virtual function called"); }

// Static objects are never destroyed in a kernel; registration is accepted and ignored.
extern "C" int atexit(void (*)()) { return 0; }
extern "C" int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle = nullptr;
