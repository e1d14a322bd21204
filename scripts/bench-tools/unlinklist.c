/*
 * unlinklist: unlink(2) every path listed in a file, one per line: the physical floor for the
 * cleaner (no selection, no checks, no index; docs/performance.md compares the cleaner with it).
 *
 *   unlinklist LIST
 *
 * The list is read into memory before the clock starts. Prints
 *   unlinklist: unlinked=U failed=F seconds=S rate=R
 * and exits 1 when any unlink failed.
 * Build: cc -O2 -o unlinklist unlinklist.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: unlinklist LIST\n");
        return 64;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        fprintf(stderr, "unlinklist: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    size_t cap = 1 << 16, count = 0;
    char **paths = malloc(cap * sizeof(char *));
    char *line = NULL;
    size_t len = 0;
    ssize_t got;
    while ((got = getline(&line, &len, f)) > 0) {
        if (line[got - 1] == '\n') line[--got] = 0;
        if (got == 0) continue;
        if (count == cap) paths = realloc(paths, (cap *= 2) * sizeof(char *));
        paths[count++] = strdup(line);
    }
    fclose(f);

    size_t failed = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < count; i++) {
        if (unlink(paths[i]) != 0) {
            if (failed++ < 5) fprintf(stderr, "unlinklist: %s: %s\n", paths[i], strerror(errno));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("unlinklist: unlinked=%zu failed=%zu seconds=%.3f rate=%.0f\n", count - failed, failed, s,
           s > 0 ? (count - failed) / s : 0);
    return failed ? 1 : 0;
}
