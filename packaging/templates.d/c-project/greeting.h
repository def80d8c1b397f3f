#ifndef GREETING_H
#define GREETING_H

#include <stddef.h>

/* Writes "Hello, NAME!" into buffer (at most size bytes, NUL-terminated). */
void greet(char *buffer, size_t size, const char *name);

#endif
