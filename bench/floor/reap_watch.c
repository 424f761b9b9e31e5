/* reap_watch: how long a process stays a zombie. Polls /proc/PID/stat every 0.5 ms and prints
 * "EXITED_US REAPED_US" (CLOCK_REALTIME, microseconds): when the process became a zombie and when
 * it disappeared (its parent reaped it). libvirt's virDomainDestroy returns only after qemu is
 * reaped, so on a host whose init reaps orphans late this wait is part of every destroy.
 *
 *   reap_watch PID      (exits when PID is gone; prints "0 0" if it never saw the zombie)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long NowUs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* 'R', 'S', 'Z', ... or 0 when the process is gone. */
static char State(const char* path) {
  char buf[512];
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char* paren = strrchr(buf, ')');
  return paren && paren[1] == ' ' ? paren[2] : 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: reap_watch PID\n");
    return 2;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/stat", argv[1]);
  const struct timespec tick = {0, 500000};
  long long exited = 0;
  for (;;) {
    char s = State(path);
    if (s == 0) break;
    if (s == 'Z' && exited == 0) exited = NowUs();
    nanosleep(&tick, NULL);
  }
  printf("%lld %lld\n", exited, exited ? NowUs() : 0LL);
  return 0;
}
