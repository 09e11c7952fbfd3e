/*
 * simd.h: one portable binary, fast everywhere. Hot loops are plain C that the compiler
 * auto-vectorizes; VF_TARGET_CLONES makes GCC emit an AVX2+FMA and an AVX-512 copy beside
 * the baseline and pick one at load time (ifunc). The build never targets the build
 * machine's own CPU: such binaries die with "Illegal instruction" elsewhere.
 */
#ifndef VARFORMER_SIMD_H
#define VARFORMER_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(VF_NO_CLONES)
#define VF_TARGET_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define VF_TARGET_CLONES
#endif

#endif
