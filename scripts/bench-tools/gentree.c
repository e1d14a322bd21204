/*
 * gentree: a fast, deterministic media-tree generator for scripts/bench.
 *
 *   gentree [--expired E] BASE N     create N files under BASE (a media tree's layout, below)
 *   gentree --restore BASE N [E]     make a tree made by `gentree [--expired E] BASE N` whole again:
 *                                    recreate its missing files (same name, size, data; expired or
 *                                    not as in that tree) and re-date present ones whose expiry is wrong
 *   gentree --mutate BASE N          apply a deterministic mutation set to a tree made by gentree
 *
 * Layout (the shares of a media-analysis tree), i = global file index 0..N-1:
 *   frames          60 %  frames/video_NNNNNN/frame_NNNNNN.jpg          100 per dir
 *   uploads         15 %  uploads/YYYY-MM-DD/upload_NNNNNNNN.mp4        100 per day-dir
 *   contact-sheets   5 %  contact-sheets/video_NNNNNN/sheet_NNNNNN.jpg  round-robin over videos
 *   outputs         10 %  outputs/video_NNNNNN/output_NNNNNN.mp4        round-robin over videos
 *   temp            10 %  temp/job_NNNNNN/chunk_NNNNNN.part             100 per dir
 * File i holds splitmix64(i) % 4097 bytes of real data (splitmix64(i) = mix(i + golden)).
 * Expired files get atime = mtime = now - 40 days (futimens), older than every default retention:
 *   default       every 10th file of uploads and temp (j % 10 == 0 within the category)
 *   --expired E   exactly E files, evenly spread over frames, uploads, contact-sheets and temp taken
 *                 as one sequence of M files in that order (file g is expired iff
 *                 floor((g+1)E/M) > floor(gE/M)); outputs never (it is kept forever)
 * For N = 100000 this gives 100,000 files, 2,056 dirs and 205,506,760 bytes.
 *
 * --restore prints "restore: created C files (B bytes), re-dated R, present P"; C is what a
 * cleaner removed since, R what someone re-dated.
 *
 * Mutation set (N each; prints what it did and the differences `verify` must then list):
 *   create  N new files  frames/video_N/new_NNNNNN.jpg, round-robin over the videos
 *   delete  N files      evenly spaced over the files of frames/video_N
 *   resize  N files      evenly spaced over the files of outputs/video_N (ftruncate to size + 1 + k % 97; mtime set)
 *   touch   N files      evenly spaced over the files of uploads/DATE to mtime now - 40 days - 1234.5 s
 *   rename  the first temp/job_* directory to temp/renamed_<name> (its files move)
 * Build: cc -O2 -o gentree gentree.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PER_DIR 100
#define DAY 86400L
#define OLD_AGE (40L * DAY)

static void die(const char *what, const char *path) {
    fprintf(stderr, "gentree: %s %s: %s\n", what, path ? path : "", strerror(errno));
    exit(2);
}

static uint64_t splitmix64(uint64_t i) {
    uint64_t z = i + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned char data[8192];

static void fill_data(void) {
    for (size_t k = 0; k < sizeof data / 8; k++) {
        uint64_t v = splitmix64(0xD47A0000ULL + k);
        memcpy(data + 8 * k, &v, 8);
    }
}

static void mkdir_p1(int parent, const char *name, const char *shown) {
    if (mkdirat(parent, name, 0755) != 0 && errno != EEXIST) die("mkdir", shown);
}

static int open_dir(int parent, const char *name) {
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) die("open dir", name);
    return fd;
}

/* Writes `size` bytes; optionally backdates. Returns bytes written. */
static uint64_t write_file(int dirfd, const char *name, uint64_t size, int old, time_t now, uint64_t salt) {
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die("create", name);
    const unsigned char *p = data + (salt % 4096);
    size_t left = size;
    while (left > 0) {
        ssize_t w = write(fd, p + (size - left), left);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write", name);
        }
        left -= (size_t)w;
    }
    if (old) {
        struct timespec ts[2] = {{now - OLD_AGE, 0}, {now - OLD_AGE, 0}};
        if (futimens(fd, ts) != 0) die("futimens", name);
    }
    if (close(fd) != 0) die("close", name);
    return size;
}

/* ---------------------------------------------------------------- generate */

struct counts {
    uint64_t frames, uploads, sheets, outputs, temp, videos;
};

static struct counts split(uint64_t n) {
    struct counts c;
    c.frames = n * 60 / 100;
    c.uploads = n * 15 / 100;
    c.sheets = n * 5 / 100;
    c.outputs = n * 10 / 100;
    c.temp = n - c.frames - c.uploads - c.sheets - c.outputs;
    c.videos = (c.frames + PER_DIR - 1) / PER_DIR;
    if (c.videos == 0) c.videos = 1;
    return c;
}

/* Which files are expired: -1 = the default rule, else exactly `expired_n` spread evenly. */
static long long expired_n = -1;

enum { FRAMES, UPLOADS, SHEETS, OUTPUTS, TEMP };

/* Category k's j-th file: expired? */
static int is_old(const struct counts *c, int k, uint64_t j) {
    if (expired_n < 0) return (k == UPLOADS || k == TEMP) && j % 10 == 0;
    if (k == OUTPUTS) return 0;
    uint64_t m = c->frames + c->uploads + c->sheets + c->temp, g = j;
    if (k >= UPLOADS) g += c->frames;
    if (k >= SHEETS) g += c->uploads;
    if (k == TEMP) g += c->sheets;
    if (m == 0) return 0;
    unsigned __int128 e = (unsigned __int128)(expired_n > (long long)m ? m : (uint64_t)expired_n);
    return (uint64_t)((g + 1) * e / m) > (uint64_t)(g * e / m);
}

static void day_name(uint64_t day, char *out, size_t len) {
    /* Day directories from 2025-01-01 onwards, one per 100 uploads. */
    struct tm tm = {0};
    tm.tm_year = 125;
    tm.tm_mon = 0;
    tm.tm_mday = 1 + (int)day;
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%d", &tm);
}

static int generate(const char *base, uint64_t n) {
    struct counts c = split(n);
    time_t now = time(NULL);
    uint64_t i = 0, bytes = 0, dirs = 0, expired[5] = {0};
    char name[64], dname[64];

    if (mkdir(base, 0755) != 0 && errno != EEXIST) die("mkdir", base);
    int basefd = open_dir(AT_FDCWD, base);
    const char *cats[] = {"frames", "uploads", "contact-sheets", "outputs", "temp"};
    int catfd[5];
    for (int k = 0; k < 5; k++) {
        mkdir_p1(basefd, cats[k], cats[k]);
        catfd[k] = open_dir(basefd, cats[k]);
        dirs++;
    }

    /* frames: 100 per video dir */
    int dfd = -1;
    for (uint64_t j = 0; j < c.frames; j++, i++) {
        if (j % PER_DIR == 0) {
            if (dfd >= 0) close(dfd);
            snprintf(dname, sizeof dname, "video_%06llu", (unsigned long long)(j / PER_DIR));
            mkdir_p1(catfd[0], dname, dname);
            dfd = open_dir(catfd[0], dname);
            dirs++;
        }
        snprintf(name, sizeof name, "frame_%06llu.jpg", (unsigned long long)(j % PER_DIR));
        int old = is_old(&c, FRAMES, j);
        expired[FRAMES] += old;
        bytes += write_file(dfd, name, splitmix64(i) % 4097, old, now, i);
    }
    if (dfd >= 0) close(dfd), dfd = -1;

    /* uploads: 100 per day dir, every 10th expired */
    for (uint64_t j = 0; j < c.uploads; j++, i++) {
        if (j % PER_DIR == 0) {
            if (dfd >= 0) close(dfd);
            day_name(j / PER_DIR, dname, sizeof dname);
            mkdir_p1(catfd[1], dname, dname);
            dfd = open_dir(catfd[1], dname);
            dirs++;
        }
        snprintf(name, sizeof name, "upload_%08llu.mp4", (unsigned long long)j);
        int old = is_old(&c, UPLOADS, j);
        expired[UPLOADS] += old;
        bytes += write_file(dfd, name, splitmix64(i) % 4097, old, now, i);
    }
    if (dfd >= 0) close(dfd), dfd = -1;

    /* contact sheets and outputs: round-robin over the videos. File j goes to video j % ndirs;
       the folders are kept open a chunk at a time (the open-file limit is below the ~60k videos
       of a 10M tree), and file j's content depends on j alone, so the order does not matter. */
    for (int k = 2; k <= 3; k++) {
        uint64_t count = k == 2 ? c.sheets : c.outputs;
        uint64_t ndirs = count < c.videos ? count : c.videos;
        uint64_t first_i = i;
        enum { CHUNK = 4096 };
        int fds[CHUNK];
        for (uint64_t v0 = 0; v0 < ndirs; v0 += CHUNK) {
            uint64_t v1 = v0 + CHUNK < ndirs ? v0 + CHUNK : ndirs;
            for (uint64_t v = v0; v < v1; v++) {
                snprintf(dname, sizeof dname, "video_%06llu", (unsigned long long)v);
                mkdir_p1(catfd[k], dname, dname);
                fds[v - v0] = open_dir(catfd[k], dname);
                dirs++;
            }
            for (uint64_t v = v0; v < v1; v++) {
                for (uint64_t j = v; j < count; j += ndirs) {
                    uint64_t fi = first_i + j;
                    snprintf(name, sizeof name, k == 2 ? "sheet_%06llu.jpg" : "output_%06llu.mp4",
                             (unsigned long long)j);
                    int old = is_old(&c, k, j);
                    expired[k] += old;
                    bytes += write_file(fds[v - v0], name, splitmix64(fi) % 4097, old, now, fi);
                }
            }
            for (uint64_t v = v0; v < v1; v++) close(fds[v - v0]);
        }
        i = first_i + count;
    }

    /* temp: 100 per job dir, every 10th expired */
    for (uint64_t j = 0; j < c.temp; j++, i++) {
        if (j % PER_DIR == 0) {
            if (dfd >= 0) close(dfd);
            snprintf(dname, sizeof dname, "job_%06llu", (unsigned long long)(j / PER_DIR));
            mkdir_p1(catfd[4], dname, dname);
            dfd = open_dir(catfd[4], dname);
            dirs++;
        }
        snprintf(name, sizeof name, "chunk_%06llu.part", (unsigned long long)(j % PER_DIR));
        int old = is_old(&c, TEMP, j);
        expired[TEMP] += old;
        bytes += write_file(dfd, name, splitmix64(i) % 4097, old, now, i);
    }
    if (dfd >= 0) close(dfd);
    for (int k = 0; k < 5; k++) close(catfd[k]);
    close(basefd);

    printf("gentree: %llu files, %llu dirs (plus base), %llu bytes; expired temp=%llu uploads=%llu frames=%llu "
           "contact-sheets=%llu (total %llu)\n",
           (unsigned long long)i, (unsigned long long)dirs, (unsigned long long)bytes,
           (unsigned long long)expired[TEMP], (unsigned long long)expired[UPLOADS], (unsigned long long)expired[FRAMES],
           (unsigned long long)expired[SHEETS],
           (unsigned long long)(expired[TEMP] + expired[UPLOADS] + expired[FRAMES] + expired[SHEETS]));
    return 0;
}

/* ---------------------------------------------------------------- restore */

/* The folder and name of category k's j-th file, as generate() made them. */
static void file_path(const struct counts *c, int k, uint64_t j, char *dir, size_t dlen, char *name, size_t nlen) {
    static const char *cats[] = {"frames", "uploads", "contact-sheets", "outputs", "temp"};
    char sub[64];
    uint64_t ndirs;
    switch (k) {
    case FRAMES:
        snprintf(sub, sizeof sub, "video_%06llu", (unsigned long long)(j / PER_DIR));
        snprintf(name, nlen, "frame_%06llu.jpg", (unsigned long long)(j % PER_DIR));
        break;
    case UPLOADS:
        day_name(j / PER_DIR, sub, sizeof sub);
        snprintf(name, nlen, "upload_%08llu.mp4", (unsigned long long)j);
        break;
    case SHEETS:
    case OUTPUTS:
        ndirs = (k == SHEETS ? c->sheets : c->outputs) < c->videos ? (k == SHEETS ? c->sheets : c->outputs) : c->videos;
        snprintf(sub, sizeof sub, "video_%06llu", (unsigned long long)(j % ndirs));
        snprintf(name, nlen, k == SHEETS ? "sheet_%06llu.jpg" : "output_%06llu.mp4", (unsigned long long)j);
        break;
    default:
        snprintf(sub, sizeof sub, "job_%06llu", (unsigned long long)(j / PER_DIR));
        snprintf(name, nlen, "chunk_%06llu.part", (unsigned long long)(j % PER_DIR));
        break;
    }
    snprintf(dir, dlen, "%s/%s", cats[k], sub);
}

static int restore(const char *base, uint64_t n) {
    struct counts c = split(n);
    time_t now = time(NULL);
    int basefd = open_dir(AT_FDCWD, base);
    uint64_t counts[5] = {c.frames, c.uploads, c.sheets, c.outputs, c.temp};
    uint64_t i = 0, created = 0, created_bytes = 0, redated = 0, present = 0, expired = 0;
    char dir[256], name[64], rel[512], last_dir[256] = "";
    int dfd = -1;
    for (int k = 0; k < 5; k++) {
        for (uint64_t j = 0; j < counts[k]; j++, i++) {
            file_path(&c, k, j, dir, sizeof dir, name, sizeof name);
            int old = is_old(&c, k, j);
            expired += old;
            if (strcmp(dir, last_dir) != 0) {
                if (dfd >= 0) close(dfd);
                dfd = openat(basefd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0 && errno == ENOENT) { /* a cleaner removed the emptied folder */
                    char *slash = strchr(dir, '/');
                    *slash = 0;
                    mkdir_p1(basefd, dir, dir);
                    *slash = '/';
                    mkdir_p1(basefd, dir, dir);
                    dfd = openat(basefd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                }
                if (dfd < 0) die("open dir", dir);
                snprintf(last_dir, sizeof last_dir, "%s", dir);
            }
            struct stat st;
            if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (errno != ENOENT) {
                    snprintf(rel, sizeof rel, "%s/%s", dir, name);
                    die("stat", rel);
                }
                created_bytes += write_file(dfd, name, splitmix64(i) % 4097, old, now, i);
                created++;
                continue;
            }
            present++;
            int is_aged = st.st_mtime < now - OLD_AGE / 2;
            if (is_aged != old) {
                struct timespec ts[2] = {{old ? now - OLD_AGE : now, 0}, {old ? now - OLD_AGE : now, 0}};
                if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) != 0) {
                    snprintf(rel, sizeof rel, "%s/%s", dir, name);
                    die("utimensat", rel);
                }
                redated++;
            }
        }
    }
    if (dfd >= 0) close(dfd);
    close(basefd);
    printf("restore: created %llu files (%llu bytes), re-dated %llu, present %llu; expired now %llu of %llu\n",
           (unsigned long long)created, (unsigned long long)created_bytes, (unsigned long long)redated,
           (unsigned long long)present, (unsigned long long)expired, (unsigned long long)i);
    return 0;
}

/* ---------------------------------------------------------------- mutate */

struct list {
    char **items;
    size_t count, cap;
};

static void push(struct list *l, const char *s) {
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->items = realloc(l->items, l->cap * sizeof(char *));
        if (!l->items) die("realloc", NULL);
    }
    l->items[l->count++] = strdup(s);
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

/* Sorted names of the entries of `dir` of the given d_type (DT_DIR or DT_REG). */
static void list_dir(const char *dir, int type, struct list *out, const char *prefix) {
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) die("scandir", dir);
    char path[4096];
    for (int k = 0; k < n; k++) {
        const char *nm = names[k]->d_name;
        int t = names[k]->d_type;
        if (strcmp(nm, ".") && strcmp(nm, "..") && nm[0] != '.') {
            if (t == DT_UNKNOWN) {
                struct stat st;
                snprintf(path, sizeof path, "%s/%s", dir, nm);
                if (lstat(path, &st) == 0) t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
            }
            if (t == type) {
                snprintf(path, sizeof path, "%s%s", prefix, nm);
                push(out, path);
            }
        }
        free(names[k]);
    }
    free(names);
}

/* All regular files two levels below base/cat (cat/dir/file), sorted, relative to base. */
static void list_category(const char *base, const char *cat, struct list *files, struct list *dirs) {
    char path[4096], prefix[4096];
    snprintf(path, sizeof path, "%s/%s", base, cat);
    snprintf(prefix, sizeof prefix, "%s/", cat);
    list_dir(path, DT_DIR, dirs, prefix);
    for (size_t d = 0; d < dirs->count; d++) {
        snprintf(path, sizeof path, "%s/%s", base, dirs->items[d]);
        snprintf(prefix, sizeof prefix, "%s/", dirs->items[d]);
        list_dir(path, DT_REG, files, prefix);
    }
}

static size_t spaced(size_t k, size_t n, size_t total) { return (size_t)((unsigned __int128)k * total / n); }

static int mutate(const char *base, uint64_t n) {
    time_t now = time(NULL);
    int basefd = open_dir(AT_FDCWD, base);
    char path[4096];
    uint64_t created_bytes = 0, deleted_bytes = 0;
    long long resize_delta = 0;

    struct list frame_files = {0}, frame_dirs = {0}, out_files = {0}, out_dirs = {0}, up_files = {0}, up_dirs = {0},
                temp_dirs = {0};
    list_category(base, "frames", &frame_files, &frame_dirs);
    list_category(base, "outputs", &out_files, &out_dirs);
    list_category(base, "uploads", &up_files, &up_dirs);
    snprintf(path, sizeof path, "%s/temp", base);
    list_dir(path, DT_DIR, &temp_dirs, "temp/");
    if (frame_files.count < n || out_files.count < n || up_files.count < n || frame_dirs.count == 0) {
        fprintf(stderr, "gentree: tree too small for --mutate %llu (frames %zu, outputs %zu, uploads %zu)\n",
                (unsigned long long)n, frame_files.count, out_files.count, up_files.count);
        return 2;
    }

    /* delete N frames, evenly spaced (before creating, so the sets cannot meet) */
    for (size_t k = 0; k < n; k++) {
        const char *rel = frame_files.items[spaced(k, n, frame_files.count)];
        struct stat st;
        if (fstatat(basefd, rel, &st, AT_SYMLINK_NOFOLLOW) != 0) die("stat", rel);
        if (unlinkat(basefd, rel, 0) != 0) die("unlink", rel);
        deleted_bytes += (uint64_t)st.st_size;
    }
    printf("deleted %llu files from frames/ (%llu bytes), e.g. %s\n", (unsigned long long)n,
           (unsigned long long)deleted_bytes, frame_files.items[0]);

    /* create N new frames, round-robin over the video dirs */
    for (size_t k = 0; k < n; k++) {
        const char *dir = frame_dirs.items[k % frame_dirs.count];
        int dfd = open_dir(basefd, dir);
        char name[64];
        snprintf(name, sizeof name, "new_%06zu.jpg", k);
        created_bytes += write_file(dfd, name, splitmix64(0xC0FFEE00ULL + k) % 4097, 0, now, k);
        close(dfd);
    }
    printf("created %llu files in frames/*/new_NNNNNN.jpg (%llu bytes)\n", (unsigned long long)n,
           (unsigned long long)created_bytes);

    /* resize N outputs */
    for (size_t k = 0; k < n; k++) {
        const char *rel = out_files.items[spaced(k, n, out_files.count)];
        int fd = openat(basefd, rel, O_WRONLY | O_CLOEXEC);
        if (fd < 0) die("open", rel);
        struct stat st;
        if (fstat(fd, &st) != 0) die("fstat", rel);
        off_t grow = 1 + (off_t)(k % 97);
        if (ftruncate(fd, st.st_size + grow) != 0) die("ftruncate", rel);
        struct timespec ts[2] = {{now, 0}, {now, 123456789}};
        if (futimens(fd, ts) != 0) die("futimens", rel);
        close(fd);
        resize_delta += grow;
    }
    printf("resized %llu files in outputs/ (+%lld bytes)\n", (unsigned long long)n, resize_delta);

    /* touch N uploads to an old mtime */
    for (size_t k = 0; k < n; k++) {
        const char *rel = up_files.items[spaced(k, n, up_files.count)];
        struct timespec ts[2] = {{now - OLD_AGE - 1234, 500000000}, {now - OLD_AGE - 1234, 500000000}};
        if (utimensat(basefd, rel, ts, AT_SYMLINK_NOFOLLOW) != 0) die("utimensat", rel);
    }
    printf("touched %llu files in uploads/ to mtime now-40d-1234.5s\n", (unsigned long long)n);

    /* rename the first temp job dir */
    size_t moved = 0;
    if (temp_dirs.count > 0) {
        const char *from = temp_dirs.items[0];
        struct list moved_files = {0};
        snprintf(path, sizeof path, "%s/%s", base, from);
        list_dir(path, DT_REG, &moved_files, "");
        moved = moved_files.count;
        char to[4096];
        snprintf(to, sizeof to, "temp/renamed_%s", from + strlen("temp/"));
        if (renameat(basefd, from, basefd, to) != 0) die("rename", from);
        printf("renamed %s -> %s (%zu files)\n", from, to, moved);
    }
    close(basefd);

    printf("expected verify differences: %llu on disk only, %llu index only, %llu changed (total %llu)\n",
           (unsigned long long)(n + moved), (unsigned long long)(n + moved), (unsigned long long)(2 * n),
           (unsigned long long)(4 * n + 2 * moved));
    printf("expected file count delta: 0; byte delta: %+lld\n",
           (long long)created_bytes - (long long)deleted_bytes + resize_delta);
    return 0;
}

int main(int argc, char **argv) {
    fill_data();
    if (argc == 4 && strcmp(argv[1], "--mutate") == 0) return mutate(argv[2], strtoull(argv[3], NULL, 10));
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "--restore") == 0) {
        if (argc == 5) expired_n = strtoll(argv[4], NULL, 10);
        return restore(argv[2], strtoull(argv[3], NULL, 10));
    }
    if (argc == 5 && strcmp(argv[1], "--expired") == 0) {
        expired_n = strtoll(argv[2], NULL, 10);
        argc -= 2, argv += 2;
    }
    if (argc == 3 && argv[1][0] != '-') return generate(argv[1], strtoull(argv[2], NULL, 10));
    fprintf(stderr, "usage: gentree [--expired E] BASE FILES\n       gentree --restore BASE FILES [E]\n"
                    "       gentree --mutate BASE N\n");
    return 64;
}
