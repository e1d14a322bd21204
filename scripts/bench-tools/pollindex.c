/*
 * pollindex: watches a running daemon catch up, for scripts/bench's daemon section.
 *
 *   pollindex INDEX CATEGORY FILES BYTES HEALTH OUT TIMEOUT_SECONDS
 *
 * Every 10 ms (absolute deadlines, CLOCK_MONOTONIC) it reads `SELECT files, bytes FROM usage WHERE
 * category = CATEGORY` from INDEX (read-only, one short read transaction each, so the daemon's
 * WAL checkpoints are not held back) and the daemon's health file HEALTH. Whenever either
 * changed it appends a line to OUT:
 *   REALTIME_SEC.NSEC files bytes events_read events_processed overflows queue_length lag_seconds
 * It stops when files == FILES and bytes == BYTES (every file indexed at its final size) and prints
 *   pollindex: match=SEC.NSEC files=F polls=P
 * (CLOCK_REALTIME, comparable with mkmany's end=), or after TIMEOUT_SECONDS prints
 *   pollindex: timeout files=F
 * and exits 1. One persistent process instead of a sqlite3 CLI per poll: on 2 cores a
 * process spawn every 10 ms would compete with the writer and the daemon it measures.
 * Build: cc -O2 -o pollindex pollindex.c -lsqlite3
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct health {
    long long events_read, events_processed, overflows, queue_length, updated;
    double lag;
};

static long long field(const char *text, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(text, pattern);
    return p ? strtoll(p + strlen(pattern), NULL, 10) : -1;
}

static int read_health(const char *path, struct health *h) {
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    h->events_read = field(buf, "events_read");
    h->events_processed = field(buf, "events_processed");
    h->overflows = field(buf, "overflows");
    h->queue_length = field(buf, "queue_length");
    h->updated = field(buf, "updated_at_seconds");
    const char *p = strstr(buf, "\"lag_seconds\":");
    h->lag = p ? strtod(p + strlen("\"lag_seconds\":"), NULL) : -1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: pollindex INDEX CATEGORY FILES BYTES HEALTH OUT TIMEOUT_SECONDS\n");
        return 64;
    }
    long long expected = atoll(argv[3]), expected_bytes = atoll(argv[4]);
    const char *health_path = argv[5];
    double timeout = atof(argv[7]);
    FILE *out = fopen(argv[6], "w");
    if (!out) {
        perror(argv[6]);
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "pollindex: %s: %s\n", argv[1], sqlite3_errmsg(db));
        return 2;
    }
    sqlite3_busy_timeout(db, 100);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT files, bytes FROM usage WHERE category = ?1", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "pollindex: %s\n", sqlite3_errmsg(db));
        return 2;
    }
    sqlite3_bind_text(st, 1, argv[2], -1, SQLITE_STATIC);

    struct timespec next, real, mono0;
    clock_gettime(CLOCK_MONOTONIC, &next);
    mono0 = next;
    long long files = -1, last_files = -2, bytes = -1, last_bytes = -2, polls = 0;
    struct health h = {0}, last_h = {-2, -2, -2, -2, -2, -2};
    for (;;) {
        polls++;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) files = sqlite3_column_int64(st, 0), bytes = sqlite3_column_int64(st, 1);
        else if (rc == SQLITE_DONE) files = 0, bytes = 0;
        sqlite3_reset(st);
        clock_gettime(CLOCK_REALTIME, &real);
        int have_health = read_health(health_path, &h) == 0;
        if (files != last_files || bytes != last_bytes || (have_health && (h.events_read != last_h.events_read || h.updated != last_h.updated))) {
            fprintf(out, "%lld.%09ld %lld %lld %lld %lld %lld %lld %.3f\n", (long long)real.tv_sec, real.tv_nsec, files,
                    bytes, h.events_read, h.events_processed, h.overflows, h.queue_length, h.lag);
            last_files = files;
            last_bytes = bytes;
            if (have_health) last_h = h;
        }
        if (files == expected && bytes == expected_bytes) {
            fclose(out);
            printf("pollindex: match=%lld.%09ld files=%lld polls=%lld\n", (long long)real.tv_sec, real.tv_nsec, files,
                   polls);
            return 0;
        }
        next.tv_nsec += 10 * 1000 * 1000;
        if (next.tv_nsec >= 1000000000L) next.tv_nsec -= 1000000000L, next.tv_sec++;
        struct timespec mono;
        clock_gettime(CLOCK_MONOTONIC, &mono);
        if (mono.tv_sec > next.tv_sec || (mono.tv_sec == next.tv_sec && mono.tv_nsec > next.tv_nsec)) next = mono;
        if ((next.tv_sec - mono0.tv_sec) + (next.tv_nsec - mono0.tv_nsec) / 1e9 > timeout) break;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
        }
    }
    fclose(out);
    printf("pollindex: timeout files=%lld bytes=%lld (expected %lld, %lld)\n", files, bytes, expected, expected_bytes);
    return 1;
}
