#pragma once
// The one spin-wait hint every benchmark loop uses, so no implementation spins differently.

namespace bench {

inline void spin_pause()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    asm volatile("" ::: "memory");
#endif
}

}
