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

// libstdc++'s <bits/std_mutex.h> (reached from <atomic> via atomic_wait.h)
// and <shared_mutex>/<mutex> call glibc's pthread_*_clock* functions, which
// musl 1.2.3 lacks.  Declaring them is enough to compile: the inline members
// using them are never instantiated by our code (a link error would say so).
#ifdef __cplusplus
#include <pthread.h>
extern "C" {
int pthread_cond_clockwait(pthread_cond_t*, pthread_mutex_t*, clockid_t,
                           const struct timespec*);
int pthread_mutex_clocklock(pthread_mutex_t*, clockid_t, const struct timespec*);
int pthread_rwlock_clockrdlock(pthread_rwlock_t*, clockid_t, const struct timespec*);
int pthread_rwlock_clockwrlock(pthread_rwlock_t*, clockid_t, const struct timespec*);
}
#endif
