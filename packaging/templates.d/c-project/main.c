/* Run with {"language": "c", "file": "main.c"}. */
#include <stdio.h>

#include "greeting.h"

int main(int argc, char **argv) {
    char buffer[128];
    greet(buffer, sizeof buffer, argc > 1 ? argv[1] : "world");
    puts(buffer);
    return 0;
}

/* A single-file compile: include the helper so one run builds everything. */
#include "greeting.c"
