/* timeit: wall time of whole processes, several commands interleaved round by round, so a busy
 * machine slows all of them alike (hyperfine runs one command after the other, and cannot feed
 * stdin from a file without a shell, whose start-up would dwarf a 2 ms `info`).
 *
 *   timeit [-r RUNS] [-w WARMUP] CASE [:: CASE]...
 *   CASE = LABEL STDIN EXPECT PROGRAM [ARG]...
 *
 * STDIN is a file fed to the program ("-": /dev/null). EXPECT is a string its stdout must contain
 * ("-": no check; a miss aborts the benchmark). stderr goes to /dev/null. The clock runs from
 * just before posix_spawn to the return of wait4. Prints one line per case:
 *   LABEL runs min median max mean (ms) max_rss_kib cpu_mean (ms, user+sys of the child)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

struct Case {
  const char* label;
  const char* stdin_path;
  const char* expect;
  char** argv;
  int out_fd; /* memfd receiving stdout */
  double* ms;
  long max_rss_kib;
  double cpu_ms_sum;
};

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void Die(const char* what) {
  fprintf(stderr, "timeit: %s: %s\n", what, strerror(errno));
  exit(2);
}

static int CompareDouble(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double RunOnce(struct Case* c) {
  if (ftruncate(c->out_fd, 0) < 0 || lseek(c->out_fd, 0, SEEK_SET) < 0) Die("memfd");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, strcmp(c->stdin_path, "-") ? c->stdin_path : "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, c->out_fd, 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  double t0 = Now();
  int rc = posix_spawnp(&pid, c->argv[0], &fa, NULL, c->argv, environ);
  if (rc != 0) {
    errno = rc;
    Die(c->argv[0]);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) Die("wait4");
  double ms = Now() - t0;
  posix_spawn_file_actions_destroy(&fa);
  if (ru.ru_maxrss > c->max_rss_kib) c->max_rss_kib = ru.ru_maxrss;
  c->cpu_ms_sum += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  if (strcmp(c->expect, "-") != 0) {
    off_t size = lseek(c->out_fd, 0, SEEK_END);
    char* out = calloc(1, (size_t)size + 1);
    if (size > 0 && pread(c->out_fd, out, (size_t)size, 0) != size) Die("reading stdout");
    if (strstr(out, c->expect) == NULL) {
      fprintf(stderr, "timeit: %s: output lacks '%s': %s\n", c->label, c->expect, out);
      exit(1);
    }
    free(out);
  }
  return ms;
}

int main(int argc, char** argv) {
  int runs = 30, warmup = 3, i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i += 2) {
    if (i + 1 >= argc) break;
    if (strcmp(argv[i], "-r") == 0) runs = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "-w") == 0) warmup = atoi(argv[i + 1]);
    else break;
  }
  struct Case cases[32];
  int n = 0;
  while (i < argc) {
    int start = i;
    while (i < argc && strcmp(argv[i], "::") != 0) ++i;
    if (i - start < 4 || n == 32) {
      fprintf(stderr, "usage: timeit [-r RUNS] [-w WARMUP] LABEL STDIN EXPECT PROGRAM [ARG]... [:: ...]\n");
      return 2;
    }
    struct Case* c = &cases[n++];
    c->label = argv[start];
    c->stdin_path = argv[start + 1];
    c->expect = argv[start + 2];
    c->argv = &argv[start + 3];
    if (i < argc) argv[i++] = NULL; /* terminates this case's argv */
    c->out_fd = memfd_create("timeit-stdout", 0);
    if (c->out_fd < 0) Die("memfd_create");
    c->ms = calloc((size_t)runs, sizeof(double));
    c->max_rss_kib = 0;
  }
  if (n == 0 || runs < 1) {
    fprintf(stderr, "usage: timeit [-r RUNS] [-w WARMUP] LABEL STDIN EXPECT PROGRAM [ARG]... [:: ...]\n");
    return 2;
  }
  for (int r = 0; r < warmup; ++r)
    for (int k = 0; k < n; ++k) RunOnce(&cases[k]);
  for (int k = 0; k < n; ++k) cases[k].cpu_ms_sum = 0;
  for (int r = 0; r < runs; ++r)
    for (int k = 0; k < n; ++k) cases[k].ms[r] = RunOnce(&cases[k]);
  for (int k = 0; k < n; ++k) {
    struct Case* c = &cases[k];
    double sum = 0;
    for (int r = 0; r < runs; ++r) sum += c->ms[r];
    qsort(c->ms, (size_t)runs, sizeof(double), CompareDouble);
    double median = runs % 2 ? c->ms[runs / 2] : (c->ms[runs / 2 - 1] + c->ms[runs / 2]) / 2;
    printf("%s %d %.3f %.3f %.3f %.3f %ld %.3f\n", c->label, runs, c->ms[0], median,
           c->ms[runs - 1], sum / runs, c->max_rss_kib, c->cpu_ms_sum / runs);
  }
  return 0;
}
