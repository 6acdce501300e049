// Force-included (-include) into every translation unit of the static musl
// build (`make static-musl`); never part of the normal build.
//
// g++'s libstdc++ headers were configured for glibc:
//  - they test glibc's version with __GLIBC_PREREQ, which musl lacks;
//    "no glibc" selects the portable code paths;
//  - <bits/c++locale.h> (reached from <string>) names glibc's __locale_t,
//    which musl calls locale_t.
#pragma once
#ifndef __GLIBC_PREREQ
#define __GLIBC_PREREQ(maj, min) 0
#endif
#ifdef __cplusplus
struct __locale_struct;
typedef struct __locale_struct* __locale_t;
#endif
