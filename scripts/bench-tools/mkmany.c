/*
 * mkmany: one writer creating a burst of small files, for scripts/bench's ingest and rss
 * sections: the writer whose rate is measured with and without the daemon watching.
 *
 *   mkmany DIR N          create N files DIR/f_NNNNNNNN.dat
 *   mkmany DIR N K        spread them over K existing subdirectories DIR/d_NNNNNN (0..K-1), in
 *                         blocks: file i goes to DIR/d_{i*K/N}, as jobs writing one after another
 *
 *   mkmany -n N           print only the bytes N files will hold (the expected index growth)
 *
 * Each file: open(O_CREAT|O_WRONLY|O_TRUNC), write splitmix64(i) % 4097 bytes (0-4 KiB), close;
 * as fast as it can. Prints one line:
 *   mkmany: files=N bytes=B seconds=S rate=R start=SEC.NSEC end=SEC.NSEC
 * start/end are CLOCK_REALTIME just before the first open and just after the last close.
 * Build: cc -O2 -o mkmany mkmany.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, const char *path) {
    fprintf(stderr, "mkmany: %s %s: %s\n", what, path ? path : "", strerror(errno));
    exit(2);
}

static uint64_t splitmix64(uint64_t i) {
    uint64_t z = i + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double seconds(struct timespec t) { return (double)t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "-n") == 0) {
        uint64_t n = strtoull(argv[2], NULL, 10), bytes = 0;
        for (uint64_t i = 0; i < n; i++) bytes += splitmix64(i) % 4097;
        printf("%llu\n", (unsigned long long)bytes);
        return 0;
    }
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: mkmany DIR N [K]\n       mkmany -n N\n");
        return 64;
    }
    const char *dir = argv[1];
    uint64_t n = strtoull(argv[2], NULL, 10), k = argc == 4 ? strtoull(argv[3], NULL, 10) : 0;
    static unsigned char data[8192];
    for (size_t j = 0; j < sizeof data / 8; j++) {
        uint64_t v = splitmix64(0x4D4B0000ULL + j);
        memcpy(data + 8 * j, &v, 8);
    }
    int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0) die("open dir", dir);

    /* Open the subdirectories first, so the timed loop is only creates. */
    int *fds = malloc((k ? k : 1) * sizeof(int));
    if (!fds) die("malloc", NULL);
    if (k == 0) {
        fds[0] = top;
    } else {
        char sub[64];
        for (uint64_t d = 0; d < k; d++) {
            snprintf(sub, sizeof sub, "d_%06llu", (unsigned long long)d);
            fds[d] = openat(top, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fds[d] < 0) die("open dir", sub);
        }
    }

    char name[64];
    uint64_t bytes = 0;
    struct timespec start, end;
    clock_gettime(CLOCK_REALTIME, &start);
    for (uint64_t i = 0; i < n; i++) {
        int dfd = k ? fds[(unsigned __int128)i * k / n] : top;
        snprintf(name, sizeof name, "f_%08llu.dat", (unsigned long long)i);
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) die("create", name);
        size_t size = splitmix64(i) % 4097, left = size;
        const unsigned char *p = data + (i % 4096);
        while (left > 0) {
            ssize_t w = write(fd, p + (size - left), left);
            if (w < 0) {
                if (errno == EINTR) continue;
                die("write", name);
            }
            left -= (size_t)w;
        }
        if (close(fd) != 0) die("close", name);
        bytes += size;
    }
    clock_gettime(CLOCK_REALTIME, &end);
    double s = seconds(end) - seconds(start);
    printf("mkmany: files=%llu bytes=%llu seconds=%.3f rate=%.0f start=%lld.%09ld end=%lld.%09ld\n",
           (unsigned long long)n, (unsigned long long)bytes, s, s > 0 ? n / s : 0, (long long)start.tv_sec,
           start.tv_nsec, (long long)end.tv_sec, end.tv_nsec);
    return 0;
}
