/*
 * Batched run-user administration for runbox, in one exec per batch instead of a useradd
 * (or userdel) and a mount (or umount) per user:
 *
 *   runbox-accounts add --home-root DIR --size-mb N --uid-min A --uid-max B --uid-from H
 *                       --shell PATH NAME...
 *     Adds every NAME to /etc/passwd, /etc/shadow (locked password), /etc/group and
 *     /etc/gshadow (a private group, gid = uid), then makes each home: a 0700 directory
 *     with a size-capped tmpfs owned by the user. Prints "NAME UID GID" per user.
 *   runbox-accounts del --home-root DIR NAME...
 *     Unmounts and removes each home, then removes the users and their groups.
 *   runbox-accounts serve
 *     The same commands, one a line on stdin (see serve()), for a long-lived helper.
 *
 * It takes the locks shadow-utils takes, in its order: lckpwdf() (/etc/.pwd.lock), then a
 * link()ed NAME.lock for each file, holding our pid, with stale locks of dead pids taken
 * over; so a concurrent useradd by an admin waits or fails, and is never lost. Each file is
 * rewritten into FILE+ (same owner and mode), fsynced and renamed over FILE.
 *
 * A uid is taken from --uid-from upwards (wrapping within [uid-min, uid-max]) when neither
 * the uid nor the same gid is in use: the server moves uid-from past every uid it was
 * given, so a uid comes back only after the whole range has been used once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <shadow.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_USERS 256

static const char *const FILES[] = {"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"};
#define NFILES (sizeof FILES / sizeof *FILES)
static int locked[NFILES];
static int pwd_locked;

static void unlock_all(void) {
  char lock[PATH_MAX];
  for (size_t i = 0; i < NFILES; i++) {
    if (!locked[i]) continue;
    snprintf(lock, sizeof lock, "%s.lock", FILES[i]);
    unlink(lock);
    locked[i] = 0;
  }
  if (pwd_locked) ulckpwdf();
  pwd_locked = 0;
}

/* In serve mode a failed command answers "err ..." and the loop goes on. */
static int serving;
static jmp_buf next_command;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n') *p = ' ';
  unlock_all();
  if (serving) {
    printf("err %s\n", msg);
    fflush(stdout);
    longjmp(next_command, 1);
  }
  fprintf(stderr, "runbox-accounts: %s\n", msg);
  exit(1);
}

/* shadow-utils' file lock: our pid in FILE.PID, hard-linked to FILE.lock */
static int try_lock(const char *file) {
  char tmp[PATH_MAX], lock[PATH_MAX], buf[32];
  snprintf(tmp, sizeof tmp, "%s.%d", file, getpid());
  snprintf(lock, sizeof lock, "%s.lock", file);
  int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY, 0600);
  if (fd < 0) die("cannot create %s: %s", tmp, strerror(errno));
  int len = snprintf(buf, sizeof buf, "%d", getpid());
  if (write(fd, buf, (size_t)len) != len) die("cannot write %s", tmp);
  close(fd);
  int ok = link(tmp, lock) == 0;
  if (!ok && errno == EEXIST) {
    /* a lock whose holder is gone is stale */
    fd = open(lock, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    if (n > 0) {
      buf[n] = '\0';
      long holder = strtol(buf, NULL, 10);
      if (holder > 0 && kill((pid_t)holder, 0) < 0 && errno == ESRCH && unlink(lock) == 0) ok = link(tmp, lock) == 0;
    }
  }
  unlink(tmp);
  return ok;
}

static void lock_all(void) {
  if (lckpwdf() != 0) die("cannot lock the account files (/etc/.pwd.lock)");
  pwd_locked = 1;
  for (size_t i = 0; i < NFILES; i++) {
    if (access(FILES[i], F_OK) != 0) continue; /* no gshadow on some systems */
    int tries = 0;
    while (!try_lock(FILES[i])) {
      if (++tries > 150) die("%s is locked by another program", FILES[i]);
      usleep(20000);
    }
    locked[i] = 1;
  }
}

/* ---- file contents ------------------------------------------------------------- */

struct text {
  char *data;
  size_t len, cap;
};

static void append(struct text *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->data = realloc(t->data, t->cap);
    if (!t->data) die("out of memory");
  }
  memcpy(t->data + t->len, s, n);
  t->len += n;
  t->data[t->len] = '\0';
}

static struct text slurp(const char *file) {
  struct text t = {0};
  append(&t, "", 0);
  FILE *f = fopen(file, "r");
  if (!f) die("cannot read %s: %s", file, strerror(errno));
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) append(&t, buf, n);
  fclose(f);
  if (t.len > 0 && t.data[t.len - 1] != '\n') append(&t, "\n", 1);
  return t;
}

static void replace_file(const char *file, const struct text *t) {
  struct stat st;
  char tmp[PATH_MAX];
  if (stat(file, &st) != 0) die("cannot stat %s: %s", file, strerror(errno));
  snprintf(tmp, sizeof tmp, "%s+", file);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("cannot create %s: %s", tmp, strerror(errno));
  if (fchown(fd, st.st_uid, st.st_gid) != 0 || fchmod(fd, st.st_mode & 07777) != 0) die("cannot set owner of %s", tmp);
  size_t off = 0;
  while (off < t->len) {
    ssize_t n = write(fd, t->data + off, t->len - off);
    if (n <= 0) die("cannot write %s: %s", tmp, strerror(errno));
    off += (size_t)n;
  }
  if (fsync(fd) != 0 || close(fd) != 0) die("cannot flush %s", tmp);
  if (rename(tmp, file) != 0) die("cannot replace %s: %s", file, strerror(errno));
}

/* Whether a line's first field (up to ':') is one of names. */
static int names_line(const char *line, size_t len, char **names, int count) {
  const char *colon = memchr(line, ':', len);
  if (!colon) return 0;
  size_t n = (size_t)(colon - line);
  for (int i = 0; i < count; i++)
    if (strlen(names[i]) == n && memcmp(line, names[i], n) == 0) return 1;
  return 0;
}

/* The third field of a passwd or group line: the uid or gid. */
static long id_field(const char *line, size_t len) {
  const char *p = line, *end = line + len;
  for (int field = 0; field < 2; field++) {
    p = memchr(p, ':', (size_t)(end - p));
    if (!p) return -1;
    p++;
  }
  return strtol(p, NULL, 10);
}

static int id_used(const struct text *t, long id) {
  for (const char *line = t->data; line < t->data + t->len;) {
    const char *nl = memchr(line, '\n', (size_t)(t->data + t->len - line));
    size_t len = nl ? (size_t)(nl - line) : (size_t)(t->data + t->len - line);
    if (id_field(line, len) == id) return 1;
    line += len + 1;
  }
  return 0;
}

static int name_used(const struct text *t, const char *name) {
  char *one[1] = {(char *)name};
  for (const char *line = t->data; line < t->data + t->len;) {
    const char *nl = memchr(line, '\n', (size_t)(t->data + t->len - line));
    size_t len = nl ? (size_t)(nl - line) : (size_t)(t->data + t->len - line);
    if (names_line(line, len, one, 1)) return 1;
    line += len + 1;
  }
  return 0;
}

static struct text without(const struct text *t, char **names, int count) {
  struct text out = {0};
  append(&out, "", 0);
  for (const char *line = t->data; line < t->data + t->len;) {
    const char *nl = memchr(line, '\n', (size_t)(t->data + t->len - line));
    size_t len = nl ? (size_t)(nl - line) : (size_t)(t->data + t->len - line);
    if (!names_line(line, len, names, count)) append(&out, line, len + (nl ? 1 : 0));
    line += len + 1;
  }
  return out;
}

/* Run-user names: exec_ and lowercase hex only, so no line can be forged through one. */
static void check_name(const char *name) {
  if (strncmp(name, "exec_", 5) != 0 || strlen(name) > 32 || strlen(name) < 6) die("not a run-user name: %s", name);
  for (const char *p = name + 5; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) die("not a run-user name: %s", name);
}

static void home_of(char *out, size_t cap, const char *root, const char *name) {
  if ((size_t)snprintf(out, cap, "%s/%s", root, name) >= cap) die("home path too long");
}

/* ---- add / del ----------------------------------------------------------------- */

static int add(const char *root, long size_mb, long uid_min, long uid_max, long uid_from, const char *shell, char **names, int count) {
  long uids[MAX_USERS];
  char line[PATH_MAX + 256], home[PATH_MAX];
  lock_all();
  struct text passwd = slurp("/etc/passwd"), group = slurp("/etc/group");
  struct text shadow = slurp("/etc/shadow");
  int has_gshadow = locked[3];
  struct text gshadow = has_gshadow ? slurp("/etc/gshadow") : (struct text){0};
  long days = (long)(time(NULL) / 86400);
  long next = uid_from < uid_min || uid_from > uid_max ? uid_min : uid_from;
  long span = uid_max - uid_min + 1;
  for (int i = 0; i < count; i++) {
    if (name_used(&passwd, names[i]) || name_used(&group, names[i])) die("%s already exists", names[i]);
    long tried = 0;
    while (id_used(&passwd, next) || id_used(&group, next)) {
      if (++tried > span) die("no free uid in %ld-%ld", uid_min, uid_max);
      next = next >= uid_max ? uid_min : next + 1;
    }
    uids[i] = next;
    home_of(home, sizeof home, root, names[i]);
    snprintf(line, sizeof line, "%s:x:%ld:%ld::%s:%s\n", names[i], next, next, home, shell);
    append(&passwd, line, strlen(line));
    snprintf(line, sizeof line, "%s:x:%ld:\n", names[i], next);
    append(&group, line, strlen(line));
    snprintf(line, sizeof line, "%s:!:%ld::::::\n", names[i], days);
    append(&shadow, line, strlen(line));
    if (has_gshadow) {
      snprintf(line, sizeof line, "%s:!::\n", names[i]);
      append(&gshadow, line, strlen(line));
    }
    next = next >= uid_max ? uid_min : next + 1;
  }
  /* shadow and gshadow first: a name in passwd always has its locked password */
  replace_file("/etc/shadow", &shadow);
  if (has_gshadow) replace_file("/etc/gshadow", &gshadow);
  replace_file("/etc/group", &group);
  replace_file("/etc/passwd", &passwd);
  unlock_all();
  free(passwd.data);
  free(group.data);
  free(shadow.data);
  free(gshadow.data);
  for (int i = 0; i < count; i++) {
    char opts[128];
    home_of(home, sizeof home, root, names[i]);
    if (mkdir(home, 0700) != 0) die("cannot make %s: %s", home, strerror(errno));
    snprintf(opts, sizeof opts, "size=%ldm,mode=0700,uid=%ld,gid=%ld", size_mb, uids[i], uids[i]);
    if (mount("runbox-home", home, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) die("cannot mount %s: %s", home, strerror(errno));
  }
  printf("ok");
  for (int i = 0; i < count; i++) printf(" %s %ld %ld", names[i], uids[i], uids[i]);
  printf("\n");
  return 0;
}

static int del(const char *root, char **names, int count) {
  char home[PATH_MAX], spool[PATH_MAX], failed[1024] = "";
  char *gone[MAX_USERS];
  int ngone = 0;
  for (int i = 0; i < count; i++) {
    home_of(home, sizeof home, root, names[i]);
    /* mounts may be stacked; EINVAL means nothing (more) is mounted there */
    int ok = 1;
    for (int tries = 0; tries < 8; tries++) {
      if (umount2(home, UMOUNT_NOFOLLOW) == 0) continue;
      if (errno == EINVAL || errno == ENOENT) break;
      if (errno == EBUSY && umount2(home, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) continue;
      ok = 0;
      break;
    }
    if (ok && rmdir(home) != 0 && errno != ENOENT) ok = 0;
    if (!ok) {
      /* this user stays in the files, so the start-up sweep finds it again */
      snprintf(failed + strlen(failed), sizeof failed - strlen(failed), " %s (%s)", names[i], strerror(errno));
      continue;
    }
    gone[ngone++] = names[i];
    snprintf(spool, sizeof spool, "/var/mail/%s", names[i]);
    unlink(spool);
  }
  if (ngone > 0) {
    lock_all();
    /* passwd last: a crash halfway leaves the name in passwd, where the sweep looks */
    static const int order[] = {3, 1, 2, 0};
    for (size_t k = 0; k < NFILES; k++) {
      size_t f = (size_t)order[k];
      if (!locked[f]) continue;
      struct text t = slurp(FILES[f]);
      struct text kept = without(&t, gone, ngone);
      if (kept.len != t.len) replace_file(FILES[f], &kept);
      free(t.data);
      free(kept.data);
    }
    unlock_all();
  }
  if (failed[0]) die("cannot remove the homes of%s", failed);
  printf("ok\n");
  return 0;
}

static long number(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0' || v < 0) die("bad %s: %s", what, s);
  return v;
}

static int command(int argc, char **argv) {
  const char *root = NULL, *shell = "/usr/sbin/nologin";
  long size_mb = 64, uid_min = 100000, uid_max = 999999, uid_from = 0;
  if (argc < 1) die("usage: runbox-accounts add|del --home-root DIR [options] NAME... | serve");
  int add_mode = strcmp(argv[0], "add") == 0;
  if (!add_mode && strcmp(argv[0], "del") != 0) die("unknown command %s", argv[0]);
  int i = 1;
  for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
    if (strcmp(argv[i], "--home-root") == 0) root = argv[i + 1];
    else if (strcmp(argv[i], "--size-mb") == 0) size_mb = number(argv[i + 1], "size");
    else if (strcmp(argv[i], "--uid-min") == 0) uid_min = number(argv[i + 1], "uid-min");
    else if (strcmp(argv[i], "--uid-max") == 0) uid_max = number(argv[i + 1], "uid-max");
    else if (strcmp(argv[i], "--uid-from") == 0) uid_from = number(argv[i + 1], "uid-from");
    else if (strcmp(argv[i], "--shell") == 0) shell = argv[i + 1];
    else die("unknown option %s", argv[i]);
  }
  if (!root || root[0] != '/') die("--home-root must be an absolute path");
  if (uid_min < 1000 || uid_max < uid_min) die("bad uid range");
  if (strchr(root, ':') || strchr(shell, ':')) die("':' in a path");
  int count = argc - i;
  if (count <= 0 || count > MAX_USERS) die("between 1 and %d names", MAX_USERS);
  for (int k = i; k < argc; k++) check_name(argv[k]);
  return add_mode ? add(root, size_mb, uid_min, uid_max, uid_from, shell, argv + i, count) : del(root, argv + i, count);
}

/*
 * serve: one command a line on stdin, its fields separated by tabs, one answer a line on
 * stdout ("ok ..." or "err ..."); ends at EOF. The server keeps one of these, so a batch
 * costs no fork of the big server process.
 */
static int serve(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  serving = 1;
  while ((len = getline(&line, &cap, stdin)) > 0) {
    if (line[len - 1] == '\n') line[--len] = '\0';
    char *fields[MAX_USERS + 32];
    int n = 0;
    for (char *save = NULL, *f = strtok_r(line, "\t", &save); f && n < (int)(sizeof fields / sizeof *fields); f = strtok_r(NULL, "\t", &save)) fields[n++] = f;
    if (setjmp(next_command) == 0) command(n, fields);
    fflush(stdout);
  }
  free(line);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGINT, SIG_IGN); /* a half-written batch is worse than a finished one */
  if (argc == 2 && strcmp(argv[1], "serve") == 0) return serve();
  return command(argc - 1, argv + 1);
}
