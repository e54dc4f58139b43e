#include "CPU.h"

#ifdef FS_X86
int fs_cpu_has_avx2(void) {
    static int known = -1;   // a benign race: every thread computes the same answer
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
    }
    return known;
}

int fs_cpu_has_avx2_fma(void) {
    static int known = -1;
    if (known < 0) known = fs_cpu_has_avx2() && __builtin_cpu_supports("fma");
    return known;
}
#endif
