// Memory-management tests: frames, heap, kernel stacks and their guard pages.
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/interrupts.h"
#include "ktest/ktest.h"
#include "lib/libc.h"
#include "mm/frames.h"
#include "mm/heap.h"
#include "mm/kstack.h"
#include "mm/layout.h"
#include "mm/paging.h"

// asm/interrupts.S: reads one byte; returns true only if the read faulted and the armed
// expect_fault() resumed at probe_read_resume.
extern "C" bool probe_read_faults(uint64_t address);
extern "C" const char probe_read_resume[];

namespace {

bool is_zeroed(uint64_t phys) {
    auto* p = mm::phys_to_ptr<const uint64_t>(phys);
    for (size_t i = 0; i < mm::kPageSize / 8; ++i)
        if (p[i] != 0) return false;
    return true;
}

}  // namespace

KTEST(frames_alloc_free_restores_exact_count) {
    size_t before = mm::free_frame_count();
    constexpr int kCount = 64;
    uint64_t frames[kCount];
    for (int i = 0; i < kCount; ++i) {
        auto f = mm::alloc_frame();
        KEXPECT(f.has_value(), "alloc_frame failed at %d", i);
        KEXPECT(*f % mm::kPageSize == 0, "frame 0x%llx not page aligned", (unsigned long long)*f);
        KEXPECT(*f >= (1u << 20), "frame 0x%llx below 1 MiB", (unsigned long long)*f);
        KEXPECT(is_zeroed(*f), "frame 0x%llx not zeroed", (unsigned long long)*f);
        for (int j = 0; j < i; ++j) KEXPECT(frames[j] != *f, "frame 0x%llx handed out twice", (unsigned long long)*f);
        frames[i] = *f;
        memset(mm::phys_to_virt(*f), 0xa5, mm::kPageSize);  // dirty it: the next owner must get zeroes
    }
    KEXPECT(mm::free_frame_count() == before - kCount, "free count %zu, expected %zu", mm::free_frame_count(),
            before - kCount);
    for (int i = 0; i < kCount; ++i) mm::free_frame(frames[i]);
    KEXPECT(mm::free_frame_count() == before, "free count %zu after freeing, expected %zu", mm::free_frame_count(),
            before);
}

KTEST(frames_freed_frame_is_reused_and_zeroed) {
    auto a = mm::alloc_frame();
    KEXPECT(a.has_value(), "alloc_frame failed");
    memset(mm::phys_to_virt(*a), 0x5a, mm::kPageSize);
    mm::free_frame(*a);
    // The allocator hands out the lowest free frame, so the one just freed comes back.
    auto b = mm::alloc_frame();
    KEXPECT(b.has_value(), "second alloc_frame failed");
    KEXPECT(*a == *b, "expected frame 0x%llx again, got 0x%llx", (unsigned long long)*a, (unsigned long long)*b);
    KEXPECT(is_zeroed(*b), "reused frame was not zeroed");
    mm::free_frame(*b);
}

KTEST(frames_contiguous_run_is_contiguous) {
    size_t before = mm::free_frame_count();
    auto run = mm::alloc_frames(16);
    KEXPECT(run.has_value(), "alloc_frames(16) failed");
    for (size_t i = 0; i < 16; ++i) {
        uint64_t phys = *run + i * mm::kPageSize;
        KEXPECT(mm::virt_to_phys(reinterpret_cast<uint64_t>(mm::phys_to_virt(phys))) == phys,
                "direct map does not cover 0x%llx", (unsigned long long)phys);
    }
    KEXPECT(mm::free_frame_count() == before - 16, "free count off after alloc_frames");
    mm::free_frames(*run, 16);
    KEXPECT(mm::free_frame_count() == before, "free count off after free_frames");
}

KTEST(frames_page_tables_stay_below_4gib) {
    KEXPECT(mm::kernel_cr3() != 0 && mm::kernel_cr3() < (4ull << 30), "kernel PML4 at 0x%llx",
            (unsigned long long)mm::kernel_cr3());
    auto f = mm::alloc_frame_below(4ull << 30);
    KEXPECT(f.has_value() && *f < (4ull << 30), "alloc_frame_below(4 GiB) failed");
    mm::free_frame(*f);
}

KTEST(heap_small_blocks_are_aligned_and_distinct) {
    constexpr int kCount = 200;
    void* blocks[kCount];
    for (int i = 0; i < kCount; ++i) {
        size_t size = 1 + (i * 37) % 1000;
        blocks[i] = mm::kmalloc(size);
        KEXPECT(blocks[i] != nullptr, "kmalloc(%zu) failed", size);
        KEXPECT(reinterpret_cast<uint64_t>(blocks[i]) % 16 == 0, "kmalloc(%zu) = %p not 16-aligned", size, blocks[i]);
        memset(blocks[i], i & 0xff, size);
    }
    // Every block still holds its own pattern: no two allocations overlap.
    for (int i = 0; i < kCount; ++i) {
        size_t size = 1 + (i * 37) % 1000;
        auto* p = static_cast<const uint8_t*>(blocks[i]);
        for (size_t j = 0; j < size; ++j) KEXPECT(p[j] == (i & 0xff), "block %d overwritten at byte %zu", i, j);
    }
    for (int i = 0; i < kCount; ++i) mm::kfree(blocks[i]);
}

KTEST(heap_alignment_requests_are_honoured) {
    const size_t aligns[] = {16, 32, 64, 128, 256, 1024, 4096, 8192, 65536};
    for (size_t align : aligns) {
        void* small = mm::kmalloc(24, align);
        void* large = mm::kmalloc(5000, align);
        KEXPECT(small && large, "kmalloc with align %zu failed", align);
        KEXPECT(reinterpret_cast<uint64_t>(small) % align == 0, "small block %p not aligned to %zu", small, align);
        KEXPECT(reinterpret_cast<uint64_t>(large) % align == 0, "large block %p not aligned to %zu", large, align);
        memset(large, 0x11, 5000);
        mm::kfree(small);
        mm::kfree(large);
    }
    KEXPECT(mm::kmalloc(8, 3) == nullptr, "alignment 3 accepted");
}

KTEST(heap_large_blocks_return_their_frames) {
    size_t before = mm::free_frame_count();
    void* p = mm::kmalloc(64 * 1024);
    KEXPECT(p != nullptr, "kmalloc(64 KiB) failed");
    memset(p, 0x22, 64 * 1024);
    KEXPECT(mm::free_frame_count() < before, "a large block took no frames");
    mm::kfree(p);
    KEXPECT(mm::free_frame_count() == before, "free count %zu, expected %zu", mm::free_frame_count(), before);
}

KTEST(heap_reuses_freed_small_blocks) {
    void* a = mm::kmalloc(100);
    KEXPECT(a != nullptr, "kmalloc failed");
    mm::kfree(a);
    void* b = mm::kmalloc(100);
    KEXPECT(b == a, "freed block %p not reused (got %p)", a, b);
    mm::kfree(b);
}

KTEST(heap_new_and_delete_use_the_heap) {
    struct Node {
        uint64_t value[10];
    };
    Node* n = new Node{};
    KEXPECT(n != nullptr, "new failed");
    KEXPECT(reinterpret_cast<uint64_t>(n) >= mm::kDirectMapBase, "new returned %p outside the heap", n);
    n->value[9] = 42;
    delete n;
    int* array = new int[1000];
    array[999] = 7;
    delete[] array;
}

KTEST(kstack_is_mapped_with_guard_below) {
    // The first stack of the kernel also maps the page-table pages of the stack area,
    // which stay: warm it up, so the count below is about the stack's own frames (the
    // tests run in definition order, and this may be the first stack).
    mm::free_kernel_stack(mm::alloc_kernel_stack(4));
    size_t before = mm::free_frame_count();
    mm::KernelStack s = mm::alloc_kernel_stack(4);
    KEXPECT(s.valid(), "alloc_kernel_stack failed");
    KEXPECT(s.top - s.bottom == 4 * mm::kPageSize, "stack spans %llu bytes", (unsigned long long)(s.top - s.bottom));
    for (uint64_t v = s.bottom; v < s.top; v += mm::kPageSize)
        KEXPECT(mm::virt_to_phys(v) != ~0ull, "stack page 0x%llx not mapped", (unsigned long long)v);
    KEXPECT(mm::virt_to_phys(s.bottom - 1) == ~0ull, "guard page below the stack is mapped");
    KEXPECT(mm::is_guard_page(s.bottom - 1), "is_guard_page() misses the guard page");
    KEXPECT(!mm::is_guard_page(s.bottom), "is_guard_page() claims a stack page");
    *reinterpret_cast<volatile uint64_t*>(s.top - 8) = 1;  // writable
    mm::free_kernel_stack(s);
    KEXPECT(mm::free_frame_count() == before, "stack frames not returned: %zu vs %zu", mm::free_frame_count(), before);
    KEXPECT(mm::virt_to_phys(s.bottom) == ~0ull, "freed stack still mapped");
}

KTEST(kstack_guard_page_fault_is_caught_and_reported) {
    mm::KernelStack s = mm::alloc_kernel_stack(2);
    KEXPECT(s.valid(), "alloc_kernel_stack failed");
    uint64_t target = s.bottom - 8;  // what a push past the bottom of the stack would touch
    arch::ExpectedFault fault{arch::kVectorPageFault, reinterpret_cast<uint64_t>(probe_read_resume), false, 0};
    arch::expect_fault(&fault);
    bool faulted = probe_read_faults(target);
    arch::expect_fault(nullptr);
    // The same description the fault handler logged and a panic report would print.
    char note[64];
    arch::describe_fault_address(target, note, sizeof note);
    mm::free_kernel_stack(s);
    KEXPECT(faulted && fault.hit, "touching the guard page did not fault");
    KEXPECT(fault.fault_address == target, "fault at 0x%llx, expected 0x%llx", (unsigned long long)fault.fault_address,
            (unsigned long long)target);
    KEXPECT(strncmp(note, "guard page hit", 14) == 0, "fault report says \"%s\"", note);
    // A mapped address does not fault and is not called a guard page.
    uint64_t mapped = reinterpret_cast<uint64_t>(&fault);
    KEXPECT(!probe_read_faults(mapped), "a mapped read faulted");
}

KTEST(paging_kernel_image_is_w_xor_x_and_identity_map_is_gone) {
    extern const char _text_start[], _rodata_start[], _data_start[];
    // Read the leaf entries of the live tables through the direct map.
    auto pte = [](uint64_t virt) -> uint64_t {
        uint64_t table = mm::kernel_cr3();
        for (int level = 4; level >= 1; --level) {
            uint64_t entry = mm::phys_to_ptr<uint64_t>(table)[(virt >> (12 + 9 * (level - 1))) & 511];
            if (!(entry & 1)) return 0;
            if (level == 1 || (entry & 0x80)) return entry;
            table = entry & 0x000ffffffffff000ull;
        }
        return 0;
    };
    uint64_t text = pte(reinterpret_cast<uint64_t>(_text_start));
    uint64_t rodata = pte(reinterpret_cast<uint64_t>(_rodata_start));
    uint64_t data = pte(reinterpret_cast<uint64_t>(_data_start));
    KEXPECT(text && !(text & mm::kPageWrite), "text page writable (pte 0x%llx)", (unsigned long long)text);
    KEXPECT(rodata && !(rodata & mm::kPageWrite), "rodata page writable (pte 0x%llx)", (unsigned long long)rodata);
    KEXPECT(data && (data & mm::kPageWrite), "data page not writable (pte 0x%llx)", (unsigned long long)data);
    KEXPECT(mm::virt_to_phys(1u << 20) == ~0ull, "the boot identity map is still present");
    bool nx = arch::cpuid(0x80000001).edx & (1u << 20);
    if (nx) {
        KEXPECT(!(text & mm::kPageNoExecute), "text page not executable");
        KEXPECT(rodata & mm::kPageNoExecute, "rodata page executable");
        KEXPECT(data & mm::kPageNoExecute, "data page executable");
    }
}
