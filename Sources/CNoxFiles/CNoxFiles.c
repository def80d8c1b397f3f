#define _GNU_SOURCE
#include "CNoxFiles.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int nox_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int nox_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

const int nox_O_PATH = O_PATH;
const int nox_O_TMPFILE = O_TMPFILE;
const int nox_AT_EMPTY_PATH = AT_EMPTY_PATH;
const unsigned int nox_RENAME_NOREPLACE = RENAME_NOREPLACE;
const unsigned int nox_RENAME_EXCHANGE = RENAME_EXCHANGE;
const uint64_t nox_RESOLVE_BENEATH = RESOLVE_BENEATH;
const uint64_t nox_RESOLVE_NO_SYMLINKS = RESOLVE_NO_SYMLINKS;
const uint64_t nox_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
