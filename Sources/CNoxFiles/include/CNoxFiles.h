#ifndef CNOXFILES_H
#define CNOXFILES_H

#include <stdint.h>

/// openat2(2) through syscall(2): glibc 2.36 (Debian 12) has no wrapper, and Swift cannot call the
/// variadic syscall(). Returns the new descriptor, or -1 with errno set (ENOSYS on kernels before 5.6).
int nox_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/// renameat2(2) through syscall(2) (glibc's wrapper is hidden behind _GNU_SOURCE from Swift).
int nox_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// Flags Swift's Glibc module does not import (they sit behind _GNU_SOURCE or in linux/ headers).
extern const int nox_O_PATH;
extern const int nox_O_TMPFILE;
extern const int nox_AT_EMPTY_PATH;
extern const unsigned int nox_RENAME_NOREPLACE;
extern const unsigned int nox_RENAME_EXCHANGE;
extern const uint64_t nox_RESOLVE_BENEATH;
extern const uint64_t nox_RESOLVE_NO_SYMLINKS;
extern const uint64_t nox_RESOLVE_NO_MAGICLINKS;

#endif
