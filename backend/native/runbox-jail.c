/*
 * runbox's jail launcher: the two small steps around bubblewrap that a shell chain of
 * sh + prlimit + setpriv used to do, in one exec each.
 *
 *   runbox-jail serve
 *     Outside the jails, as root, beside the server: forks each jail's bwrap (after moving
 *     it into the run's cgroups, so bubblewrap and everything after it is counted and
 *     limited, with the syscall filter on fd 5 for bwrap's `--seccomp 5`). See serve().
 *
 *   runbox-jail inside            (bwrap's command: pid 2 of the jail, still root)
 *     Says "ready" on fd 3 and parks until the server writes the run on fd 4:
 *       "runbox1\0" cpu_soft cpu_hard nproc fsize nofile uid gid stdin_mode argc argv...
 *       envc env...
 *     every field NUL-terminated; env entries (NAME=value) go on top of the jail's
 *     environment (a language's own variables, known only with the run: no env(1) exec per
 *     run). An empty fd 4 (closed without a run) discards the jail.
 *     Then: stdin becomes a file (stdin_mode "file": everything on fd 0, read to the end,
 *     in a memfd, as a shell's `< file`) so /dev/stdin can be opened by path, or stays the
 *     pipe it is ("pipe"), or ("tty:COLSxROWS", a live run's terminal) the program gets a
 *     pseudo-terminal of the jail's own /dev/pts as its controlling terminal and stdin,
 *     stdout and stderr, and this process relays between it and fds 0 and 1 (see relay());
 *     then forks
 *     the program: rlimits, every capability and group dropped, the run's uid/gid, exec.
 *     The program is pid 3, never pid 1, so signals behave as anywhere else; this process
 *     stays as its root supervisor and, when the program exits, kills whatever it left in
 *     the namespace and exits with its status.
 *
 *   runbox-jail probe              (run as a jail's program at server start)
 *     Prints what the jail really enforces, for /api/health.
 *
 * Setup failures go to fd 3 (which the program never inherits), so a program can neither
 * fake nor hide one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <unistd.h>

#define STATUS_FD 3
#define CONTROL_FD 4
#define SECCOMP_FD 5
#define PROTOCOL "runbox1"
#define MAX_RUN_BYTES (1 << 20)
#define SETUP_FAILED 125

static void die(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  dprintf(STATUS_FD, "%s\n", msg);
  _exit(SETUP_FAILED);
}

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Closes every fd from `first` up: nothing the server (or whatever started it) holds leaks on. */
static void close_from(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return;
#endif
  for (int fd = first; fd < 65536; fd++) close(fd);
}

/* ---- serve --------------------------------------------------------------------- */

/*
 * The jail factory, kept running beside the server so that no jail is forked from the big
 * server process. One command a line on stdin, fields separated by tabs:
 *
 *   spawn ID SECCOMP NCGROUPS CGROUP... NENV ENV... NDATA DATA... ARGV...
 *       Makes five pipes, forks, and in the child: its own session (one kill reaches the
 *       whole jail), joins the cgroups, the pipes as fds 0-4, the filter on fd 5, and each
 *       DATA (hex) as a pipe holding those bytes on fds 6, 7... (bwrap's --file: the jail's
 *       account files, with no file on the host); execs ARGV (bwrap ...) with ENV only.
 *       Answers "ok ID PID FD0 FD1 FD2 FD3 FD4": the server's
 *       ends of stdin, stdout, stderr, status and control, which it opens through
 *       /proc/<our pid>/fd/N before it says "release ID"; then we close our copies.
 *   release ID    (no answer)
 *   kill ID       SIGKILL to the jail's process group, while it has not been reaped
 *
 * and tells, unasked, "exit ID STATUS" (the raw wait status) when a jail has ended. If this
 * process dies, every jail dies with it (bwrap --die-with-parent).
 */
#define MAX_JAILS 1024
#define MAX_DATA 4
#define MAX_DATA_BYTES 16384 /* well inside a pipe's buffer: written whole before exec */

struct slot {
  char id[64];
  pid_t pid; /* 0: free */
  int fds[5];
  int exited, released; /* the slot is freed once both: fd numbers never change hands early */
};
static struct slot slots[MAX_JAILS];

static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

static struct slot *find(const char *id) {
  for (int i = 0; i < MAX_JAILS; i++)
    if (slots[i].pid && strcmp(slots[i].id, id) == 0) return &slots[i];
  return NULL;
}

static void close_fds(struct slot *s) {
  for (int i = 0; i < 5; i++)
    if (s->fds[i] >= 0) close(s->fds[i]), s->fds[i] = -1;
}

static void child_fail(int status_fd, const char *what) {
  dprintf(status_fd, "cannot start the jail: %s: %s\n", what, strerror(errno));
  _exit(SETUP_FAILED);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* A pipe whose read end holds `hex`'s bytes, its write end closed; -1 if malformed. */
static int data_pipe(const char *hex) {
  size_t len = strlen(hex);
  if (len % 2 != 0 || len / 2 > MAX_DATA_BYTES) return -1;
  static char bytes[MAX_DATA_BYTES];
  for (size_t k = 0; k < len / 2; k++) {
    int hi = hex_value(hex[2 * k]), lo = hex_value(hex[2 * k + 1]);
    if (hi < 0 || lo < 0) return -1;
    bytes[k] = (char)(hi * 16 + lo);
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return -1;
  int ok = write_all(p[1], bytes, len / 2) == 0;
  close(p[1]);
  if (!ok) return close(p[0]), -1;
  return p[0];
}


/* ---- the template (serve --template ARGS...) ---------------------------------------- */

/*
 * A jail built once (docs/jail-launcher.md). `serve --template ARGS` builds the allowlisted
 * root at start, from bubblewrap-style ARGS (the same plan jail-root.ts gives bwrap), in a
 * mount namespace of its own whose every mount is private: a tmpfs root holding the
 * read-only binds (submounts included), links and directories, a /dev of the usual devices,
 * every mount point a run needs made in advance; then every mount and tmpfs made read-only
 * and the namespace pivoted into that root, so it holds nothing of the host but what the
 * plan binds (no host mount made before, a run's home above all, is kept alive by it).
 * The namespace is kept by an fd. A spawn whose ARGV starts with "@template" then forks from
 * it (enter_template): a copy of that namespace plus fresh pid, ipc, uts, cgroup and network
 * namespaces; the run's own tmpfs /tmp, /dev/shm, /run/runbox and home parent, its devpts
 * and /proc; the capabilities of the plan, the syscall filter; exec of the command.
 * Namespace, capability and /dev /proc flags in ARGS are settings for every run.
 */
#define TEMPLATE_ROOT "/run/runbox-template"
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#define SYS_move_mount 429
#endif
#define MAX_TMPFS 64

static struct {
  int ns;            /* the template's mount namespace, or -1: bwrap only */
  int flags;         /* CLONE_NEW* of every run besides the mount namespace */
  int die_with_parent, new_session;
  char hostname[65];
  unsigned long long keep_caps;
  char dev[256], proc[256];
  /* while building: where the root is being made (paths of the plan are below it); "" in a run */
  const char *root;
  /* while building: the tmpfs mounts made, made read-only at the end (superblock and mount) */
  char tmpfs[MAX_TMPFS][PATH_MAX];
  int ntmpfs;
} tpl = {.ns = -1, .root = ""};

static int cap_number(const char *name) {
  static const char *const names[] = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP"};
  for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
    if (strcmp(names[i], name) == 0) return i;
  return -1;
}

static char *in_root(const char *path, char *buf, size_t cap) {
  snprintf(buf, cap, "%s%s", tpl.root, path);
  return buf;
}

static int make_mountpoint(const char *target, int as_dir) {
  struct stat st;
  if (lstat(target, &st) == 0) return 0;
  if (as_dir) return mkdir(target, 0755);
  int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

static int bind_readonly(const char *source, const char *target) {
  struct stat st;
  if (stat(source, &st) != 0 || make_mountpoint(target, S_ISDIR(st.st_mode)) != 0) return -1;
  /* submounts come along: build_template makes every one of them read-only at the end */
  if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
  return mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

static int mount_tmpfs(const char *target, unsigned perms, unsigned long size) {
  char opts[64];
  if (size) snprintf(opts, sizeof opts, "mode=%o,size=%lu", perms, size);
  else snprintf(opts, sizeof opts, "mode=%o", perms);
  if (make_mountpoint(target, 1) != 0 || mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) return -1;
  if (tpl.ntmpfs < MAX_TMPFS) snprintf(tpl.tmpfs[tpl.ntmpfs++], PATH_MAX, "%s", target);
  return 0;
}

/* The bubblewrap options of the plan, applied to the template (in its namespace). Returns an error message or NULL. */
static const char *apply_template_args(char **a, int n, char *why, size_t cap, int build) {
  char t[PATH_MAX];
  unsigned perms = 0755;
  unsigned long size = 0;
  int have_perms = 0;
  for (int i = 0; i < n; i++) {
    const char *o = a[i];
#define NEED(k) if (i + (k) >= n) return snprintf(why, cap, "%s needs %d arguments", o, k), why
    if (!strcmp(o, "--die-with-parent")) tpl.die_with_parent = 1;
    else if (!strcmp(o, "--new-session")) tpl.new_session = 1;
    else if (!strcmp(o, "--unshare-pid")) tpl.flags |= CLONE_NEWPID;
    else if (!strcmp(o, "--unshare-ipc")) tpl.flags |= CLONE_NEWIPC;
    else if (!strcmp(o, "--unshare-uts")) tpl.flags |= CLONE_NEWUTS;
    else if (!strcmp(o, "--unshare-net")) tpl.flags |= CLONE_NEWNET;
    else if (!strcmp(o, "--unshare-cgroup-try")) tpl.flags |= CLONE_NEWCGROUP;
    else if (!strcmp(o, "--hostname")) { NEED(1); snprintf(tpl.hostname, sizeof tpl.hostname, "%s", a[++i]); }
    else if (!strcmp(o, "--cap-drop")) { NEED(1); if (strcmp(a[++i], "ALL")) return snprintf(why, cap, "--cap-drop %s: only ALL", a[i]), why; tpl.keep_caps = 0; }
    else if (!strcmp(o, "--cap-add")) { NEED(1); int c = cap_number(a[++i]); if (c < 0) return snprintf(why, cap, "unknown capability %s", a[i]), why; tpl.keep_caps |= 1ULL << c; }
    else if (!strcmp(o, "--seccomp")) { NEED(1); i++; }
    else if (!strcmp(o, "--perms")) { NEED(1); perms = (unsigned)strtoul(a[++i], NULL, 8); have_perms = 1; continue; }
    else if (!strcmp(o, "--size")) { NEED(1); size = strtoul(a[++i], NULL, 10); continue; }
    else if (!build && (!strcmp(o, "--dir") || !strcmp(o, "--tmpfs") || !strcmp(o, "--remount-ro"))) i++;
    else if (!build && (!strcmp(o, "--ro-bind") || !strcmp(o, "--symlink"))) i += 2;
    else if (!strcmp(o, "--dir")) {
      NEED(1); in_root(a[++i], t, sizeof t);
      if (mkdir(t, 0755) != 0 && errno != EEXIST) return snprintf(why, cap, "mkdir %s: %s", a[i], strerror(errno)), why;
      if (chmod(t, have_perms ? perms : 0755) != 0) return snprintf(why, cap, "chmod %s: %s", a[i], strerror(errno)), why;
    } else if (!strcmp(o, "--ro-bind")) {
      NEED(2); in_root(a[i + 2], t, sizeof t);
      if (bind_readonly(a[i + 1], t) != 0) return snprintf(why, cap, "bind %s: %s", a[i + 1], strerror(errno)), why;
      i += 2;
    } else if (!strcmp(o, "--symlink")) {
      NEED(2); in_root(a[i + 2], t, sizeof t);
      if (symlink(a[i + 1], t) != 0) return snprintf(why, cap, "symlink %s: %s", a[i + 2], strerror(errno)), why;
      i += 2;
    } else if (!strcmp(o, "--tmpfs")) {
      NEED(1); in_root(a[++i], t, sizeof t);
      if (mount_tmpfs(t, have_perms ? perms : 0755, size) != 0) return snprintf(why, cap, "tmpfs %s: %s", a[i], strerror(errno)), why;
    } else if (!strcmp(o, "--remount-ro")) {
      NEED(1); in_root(a[++i], t, sizeof t);
      if (mount(NULL, t, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0) return snprintf(why, cap, "remount %s: %s", a[i], strerror(errno)), why;
    } else if (!strcmp(o, "--dev") || !strcmp(o, "--proc")) {
      NEED(1); in_root(a[++i], t, sizeof t);
      snprintf(!strcmp(o, "--dev") ? tpl.dev : tpl.proc, sizeof tpl.dev, "%s", a[i]);
      if (build && make_mountpoint(t, 1) != 0) return snprintf(why, cap, "mkdir %s: %s", a[i], strerror(errno)), why;
    } else return snprintf(why, cap, "unknown template option %s", o), why;
    have_perms = 0, size = 0;
#undef NEED
  }
  return NULL;
}

/* mountinfo's escapes (\040 for a space...) undone in place */
static void unescape_mountinfo(char *s) {
  char *w = s;
  for (char *r = s; *r; r++, w++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else *w = *r;
  }
  *w = '\0';
}

/*
 * Every mount at or below `below` read-only, nosuid and nodev (noexec kept where it was),
 * as bubblewrap does after a recursive bind: a mount inside an allowlisted tree (a volume
 * under /opt, say) would otherwise keep the host's flags, writable by every run. Device
 * binds below `keep_dev` keep their devices. Returns 0 or -1.
 */
static int readonly_below(const char *below, const char *keep_dev) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return -1;
  char *line = NULL;
  size_t cap = 0;
  int ok = 0;
  size_t len = strlen(below), dev_len = keep_dev ? strlen(keep_dev) : 0;
  while (getline(&line, &cap, f) > 0) {
    char *fields[7] = {0}, *save = NULL;
    int k = 0;
    for (char *tok = strtok_r(line, " ", &save); tok && k < 7; tok = strtok_r(NULL, " ", &save)) fields[k++] = tok;
    if (k < 6) continue;
    char *point = fields[4], *opts = fields[5];
    unescape_mountinfo(point);
    if (strncmp(point, below, len) != 0 || (point[len] != '\0' && point[len] != '/')) continue;
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
    int device = keep_dev && strncmp(point, keep_dev, dev_len) == 0 && point[dev_len] == '/';
    if (!device) flags |= MS_NODEV;
    if (strstr(opts, "noexec")) flags |= MS_NOEXEC;
    if (mount(NULL, point, NULL, flags, NULL) != 0) ok = -1;
  }
  free(line);
  fclose(f);
  return ok;
}

/* The template's /dev, made once: bwrap's --dev (the usual devices bound, the links, pts and shm as mount points for each run). */
static const char *build_dev(char *why, size_t cap) {
  char t[PATH_MAX], in[512];
  in_root(tpl.dev, t, sizeof t);
  if (mount_tmpfs(t, 0755, 65536) != 0) return snprintf(why, cap, "tmpfs /dev: %s", strerror(errno)), why;
  static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (size_t k = 0; k < sizeof devices / sizeof *devices; k++) {
    char host[64];
    snprintf(host, sizeof host, "/dev/%s", devices[k]);
    snprintf(in, sizeof in, "%s/%s", tpl.dev, devices[k]);
    in_root(in, t, sizeof t);
    if (make_mountpoint(t, 0) != 0 || mount(host, t, NULL, MS_BIND, NULL) != 0) return snprintf(why, cap, "bind %s: %s", host, strerror(errno)), why;
  }
  static const char *const dirs[] = {"pts", "shm"};
  for (size_t k = 0; k < sizeof dirs / sizeof *dirs; k++) {
    snprintf(in, sizeof in, "%s/%s", tpl.dev, dirs[k]);
    if (mkdir(in_root(in, t, sizeof t), 0755) != 0) return snprintf(why, cap, "mkdir /dev/%s: %s", dirs[k], strerror(errno)), why;
  }
  static const char *const links[][2] = {{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}};
  for (size_t k = 0; k < sizeof links / sizeof *links; k++) {
    snprintf(in, sizeof in, "%s/%s", tpl.dev, links[k][1]);
    if (symlink(links[k][0], in_root(in, t, sizeof t)) != 0) return snprintf(why, cap, "a /dev link: %s", strerror(errno)), why;
  }
  return NULL;
}

/* In the build child: the root built, then read-only all through. Returns an error message or NULL. */
static const char *build_root(char **args, int n, char *why, size_t cap) {
  char t[PATH_MAX], dev[PATH_MAX];
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return "cannot make a private mount namespace";
  tpl.root = TEMPLATE_ROOT;
  if (mount("tmpfs", TEMPLATE_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return "cannot mount the template's root";
  snprintf(tpl.tmpfs[tpl.ntmpfs++], PATH_MAX, "%s", TEMPLATE_ROOT);
  const char *err = apply_template_args(args, n, why, cap, 1);
  if (err) return err;
  /* what every run mounts over */
  static const char *const points[] = {"/tmp", "/run", "/run/runbox"};
  for (size_t k = 0; k < sizeof points / sizeof *points; k++)
    if (make_mountpoint(in_root(points[k], t, sizeof t), 1) != 0) return "cannot make the run's mount points";
  if (tpl.dev[0] && (err = build_dev(why, cap))) return err;
  in_root(tpl.dev, dev, sizeof dev);
  /* every tmpfs of the template read-only at its superblock (runs share them), then every mount read-only */
  for (int k = tpl.ntmpfs - 1; k >= 0; k--)
    if (mount(NULL, tpl.tmpfs[k], NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0) return snprintf(why, cap, "cannot make %s read-only: %s", tpl.tmpfs[k], strerror(errno)), why;
  if (readonly_below(TEMPLATE_ROOT, tpl.dev[0] ? dev : NULL) != 0) return "cannot make every mount of the template read-only";
  /* the namespace keeps the root alone: the host's mounts (homes mounted then) go */
  if (chdir(TEMPLATE_ROOT) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) return "cannot pivot into the template";
  tpl.root = "";
  return NULL;
}

/* Builds the template; 0, or -1 with the reason on stderr (serve then answers bwrap only). */
static int build_template(char **args, int n) {
  /* the settings every run takes (namespaces, capabilities, /dev and /proc) are serve's own */
  char why[512];
  if (apply_template_args(args, n, why, sizeof why, 0)) return fprintf(stderr, "runbox-jail: template: %s\n", why), -1;
  int sync[2], hold[2];
  if (pipe2(sync, O_CLOEXEC) < 0) return -1;
  if (pipe2(hold, O_CLOEXEC) < 0) return close(sync[0]), close(sync[1]), -1;
  if (mkdir(TEMPLATE_ROOT, 0700) != 0 && errno != EEXIST) return perror("mkdir " TEMPLATE_ROOT), -1;
  pid_t parent = getpid();
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    close(sync[0]), close(hold[1]);
    why[0] = '\0';
    const char *err = build_root(args, n, why, sizeof why);
    if (err) {
      fprintf(stderr, "runbox-jail: template: %s%s%s (%s)\n", err, why[0] && err != why ? ": " : "", err != why ? why : "", strerror(errno));
      _exit(1);
    }
    if (write(sync[1], "k", 1) != 1) _exit(1);
    char c;
    while (read(hold[0], &c, 1) < 0 && errno == EINTR) {} /* until serve holds the namespace (or is gone) */
    _exit(0);
  }
  close(sync[1]), close(hold[0]);
  char k;
  int ok = read(sync[0], &k, 1) == 1;
  close(sync[0]);
  if (ok) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", child);
    tpl.ns = open(path, O_RDONLY | O_CLOEXEC);
  }
  close(hold[1]);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return tpl.ns >= 0 ? 0 : -1;
}

/* ---- a run from the template ---- */

static void enter_fail(const char *what) {
  dprintf(STATUS_FD, "cannot start the jail: %s: %s\n", what, strerror(errno));
  _exit(SETUP_FAILED);
}

/* /proc of the jail's pid namespace, with what bwrap covers read-only and the kernel's knobs too */
static void make_proc(void) {
  if (mount("proc", tpl.proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) enter_fail("proc");
  static const char *const covered[] = {"sys", "sysrq-trigger", "irq", "bus"};
  char t[PATH_MAX];
  for (size_t k = 0; k < sizeof covered / sizeof *covered; k++) {
    snprintf(t, sizeof t, "%s/%s", tpl.proc, covered[k]);
    if (access(t, F_OK) != 0) continue;
    if (mount(t, t, NULL, MS_BIND | MS_REC, NULL) != 0 || mount(NULL, t, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) enter_fail(t);
  }
}

/* The run's own options: --perms/--size --tmpfs, --perms --dir, --perms --file FD PATH, --bind. Returns the index after "--". */
static int apply_run_args(char **a, int n, int home_tree) {
  char opts[64];
  unsigned perms = 0755;
  int have_perms = 0;
  unsigned long size = 0;
  for (int i = 0; i < n; i++) {
    const char *o = a[i];
    if (!strcmp(o, "--")) return i + 1;
    if (i + 1 >= n) enter_fail(o);
    if (!strcmp(o, "--perms")) { perms = (unsigned)strtoul(a[++i], NULL, 8); have_perms = 1; continue; }
    if (!strcmp(o, "--size")) { size = strtoul(a[++i], NULL, 10); continue; }
    if (!strcmp(o, "--tmpfs")) {
      snprintf(opts, sizeof opts, "mode=%o,size=%lu", have_perms ? perms : 0755, size ? size : 65536);
      if (mount("tmpfs", a[++i], "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) enter_fail(a[i]);
    } else if (!strcmp(o, "--dir")) {
      i++;
      if (mkdir(a[i], have_perms ? perms : 0755) != 0 && errno != EEXIST) enter_fail(a[i]);
      if (have_perms && chmod(a[i], perms) != 0) enter_fail(a[i]);
    } else if (!strcmp(o, "--file")) {
      if (i + 2 >= n) enter_fail(o);
      int from = atoi(a[i + 1]);
      int fd = open(a[i + 2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, have_perms ? perms : 0644);
      if (fd < 0) enter_fail(a[i + 2]);
      char buf[16384];
      for (;;) {
        ssize_t got = read(from, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) enter_fail(a[i + 2]);
        if (got == 0) break;
        if (write_all(fd, buf, (size_t)got) < 0) enter_fail(a[i + 2]);
      }
      close(fd);
      close(from);
      i += 2;
    } else if (!strcmp(o, "--bind")) {
      /* the home's mount, cloned before entering the template (open_tree), attached here and
         made private: nothing mounted under the home propagates in or out */
      if (i + 2 >= n) enter_fail(o);
      const char *home = a[i + 2];
      if (syscall(SYS_move_mount, home_tree, "", AT_FDCWD, home, MOVE_MOUNT_F_EMPTY_PATH) != 0) enter_fail(a[i + 1]);
      close(home_tree);
      if (mount(NULL, home, NULL, MS_PRIVATE, NULL) != 0) enter_fail(a[i + 1]);
      if (mount(NULL, home, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) != 0) enter_fail(a[i + 1]);
      i += 2;
    } else {
      errno = EINVAL;
      enter_fail(o);
    }
    have_perms = 0, size = 0;
  }
  errno = EINVAL;
  enter_fail("no command after --");
  return -1;
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) enter_fail("lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) enter_fail("lo up");
  close(s);
}

/* Only the plan's capabilities, in every set; none of the rest in the bounding set. */
static void keep_only(unsigned long long keep) {
  for (int cap = 0; cap <= 63; cap++) {
    int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (held < 0) break;
    if (held && !(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) enter_fail("capability bounding set");
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {{0}};
  data[0].effective = data[0].permitted = data[0].inheritable = (unsigned)keep;
  data[1].effective = data[1].permitted = data[1].inheritable = (unsigned)(keep >> 32);
  if (syscall(SYS_capset, &hdr, data) != 0) enter_fail("capset");
}

/* A process of the jail's setup that runs no code of the run: no capability, no new privileges, no fd. */
static void powerless(void) {
  keep_only(0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) enter_fail("no_new_privs");
  close_from(0);
}

static void load_filter(int fd) {
  /* BPF_MAXINSNS instructions at most: one more is read to tell a longer filter */
  static struct sock_filter code[4096 + 1];
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, (char *)code + len, sizeof code - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) enter_fail("the syscall filter");
    if (n == 0) break;
    len += (size_t)n;
    if (len == sizeof code) { errno = E2BIG; enter_fail("the syscall filter is too long"); }
  }
  if (len == 0 || len % sizeof *code) { errno = EINVAL; enter_fail("the syscall filter"); }
  struct sock_fprog prog = {.len = (unsigned short)(len / sizeof *code), .filter = code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) enter_fail("seccomp");
}

/* waits for `child`; its exit as an exit status (128 + signal when killed) */
static int wait_as(pid_t child) {
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return 1;
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* In serve's forked child, fds placed and the template's namespace entered (cwd and root its root): the jail, then the command. Never returns. */
static void enter_template(char **args, int n, char **env, int home_tree) {
  if (tpl.die_with_parent) prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (unshare(CLONE_NEWNS | tpl.flags) != 0) enter_fail("unshare");
  if ((tpl.flags & CLONE_NEWUTS) && tpl.hostname[0] && sethostname(tpl.hostname, strlen(tpl.hostname)) != 0) enter_fail("sethostname");
  if (tpl.flags & CLONE_NEWNET) loopback_up();
  pid_t init = fork();
  if (init < 0) enter_fail("fork");
  if (init > 0) {
    /* the monitor, outside the jail's pid namespace: ends as the jail's init does (the run's end), as bwrap's */
    powerless();
    _exit(wait_as(init));
  }
  /* pid 1 of the jail */
  if (tpl.die_with_parent) prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (tpl.dev[0]) {
    char pts[PATH_MAX];
    snprintf(pts, sizeof pts, "%s/pts", tpl.dev);
    if (mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") != 0) enter_fail("devpts");
  }
  if (tpl.proc[0]) make_proc();
  int command = apply_run_args(args, n, home_tree);
  if (chdir("/") != 0) enter_fail("chdir");
  pid_t program = fork();
  if (program < 0) enter_fail("fork");
  if (program == 0) {
    if (tpl.new_session) setsid();
    keep_only(tpl.keep_caps);
    load_filter(SECCOMP_FD);
    /* PWD as bwrap leaves it (its cwd after the pivot), so a program sees the same environment under both */
    int nenv = 0;
    while (env[nenv]) nenv++;
    char **with_pwd = calloc((size_t)nenv + 2, sizeof *with_pwd);
    if (!with_pwd) enter_fail("environment");
    int k = 0;
    for (int e = 0; e < nenv; e++)
      if (strncmp(env[e], "PWD=", 4) != 0) with_pwd[k++] = env[e];
    with_pwd[k++] = "PWD=/";
    execve(args[command], &args[command], with_pwd);
    enter_fail(args[command]);
  }
  /* the init: nothing of root's left, reaps all, ends with the command */
  powerless();
  int status = 0;
  for (;;) {
    pid_t pid = wait(&status);
    if (pid == program) break;
    if (pid < 0 && errno != EINTR) _exit(1);
  }
  _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

static void spawn(char **f, int n) {
  /* f: spawn id seccomp ncg cg... nenv env... ndata data... argv... */
  if (n < 5) return say("err ? malformed spawn\n");
  const char *id = f[1], *seccomp = f[2];
  int i = 3, ncg = atoi(f[i++]);
  if (ncg < 0 || i + ncg >= n) return say("err %s malformed cgroups\n", id);
  char **cgroups = &f[i];
  i += ncg;
  int nenv = atoi(f[i++]);
  if (nenv < 0 || i + nenv >= n) return say("err %s malformed env\n", id);
  char **env = calloc((size_t)nenv + 1, sizeof(char *));
  if (!env) return say("err %s out of memory\n", id);
  for (int k = 0; k < nenv; k++) env[k] = f[i + k];
  i += nenv;
  int ndata = i < n ? atoi(f[i++]) : -1;
  if (ndata < 0 || ndata > MAX_DATA || i + ndata >= n) return free(env), say("err %s malformed data\n", id);
  char **data = &f[i];
  i += ndata;
  char **argv = &f[i]; /* f[n] is NULL */
  if (strlen(id) >= sizeof slots[0].id || find(id)) return free(env), say("err %s bad or duplicate id\n", id);
  struct slot *slot = NULL;
  for (int k = 0; k < MAX_JAILS && !slot; k++)
    if (!slots[k].pid) slot = &slots[k];
  if (!slot) return free(env), say("err %s too many jails\n", id);

  /* [0] stdin, [1] stdout, [2] stderr, [3] status, [4] control: {read end, write end} */
  int p[5][2];
  for (int k = 0; k < 5; k++)
    if (pipe2(p[k], O_CLOEXEC) < 0) {
      for (int j = 0; j < k; j++) close(p[j][0]), close(p[j][1]);
      free(env);
      return say("err %s pipe2: %s\n", id, strerror(errno));
    }
  static const int jail_reads[5] = {1, 0, 0, 0, 1}; /* the jail reads stdin and control */
  pid_t pid = fork();
  if (pid < 0) {
    for (int k = 0; k < 5; k++) close(p[k][0]), close(p[k][1]);
    free(env);
    return say("err %s fork: %s\n", id, strerror(errno));
  }
  if (pid == 0) {
    int status_fd = p[3][1];
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    char self[32];
    snprintf(self, sizeof self, "%d\n", getpid());
    for (int k = 0; k < ncg; k++) {
      int fd = open(cgroups[k], O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write_all(fd, self, strlen(self)) < 0) child_fail(status_fd, cgroups[k]);
      close(fd);
    }
    int filter = open(seccomp, O_RDONLY | O_CLOEXEC);
    if (filter < 0) child_fail(status_fd, seccomp);
    /* a jail from the template: the home (a mount made after the template) is taken along
       as a detached copy of its mount, and the template's namespace as an fd, entered once
       the fds are placed */
    int templated = strcmp(argv[0], "@template") == 0, home_tree = -1, template_ns = -1;
    if (templated) {
      const char *home = NULL;
      for (int k = 1; argv[k] && argv[k + 1] && strcmp(argv[k], "--") != 0; k++)
        if (strcmp(argv[k], "--bind") == 0) home = argv[k + 1];
      if (!home) { errno = EINVAL; child_fail(status_fd, "a template jail needs --bind HOME"); }
      if (tpl.ns < 0) { errno = ENOSYS; child_fail(status_fd, "no template (serve started without --template)"); }
      int tree = (int)syscall(SYS_open_tree, AT_FDCWD, home, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
      if (tree < 0) child_fail(status_fd, "open_tree");
      home_tree = fcntl(tree, F_DUPFD_CLOEXEC, 16);
      template_ns = fcntl(tpl.ns, F_DUPFD_CLOEXEC, 16);
      if (home_tree < 0 || template_ns < 0) child_fail(status_fd, "dup");
      close(tree);
    }
    /* move everything above the last target first, so no dup2 below overwrites a source */
    int ends[6 + MAX_DATA];
    for (int k = 0; k < 5; k++) {
      ends[k] = fcntl(jail_reads[k] ? p[k][0] : p[k][1], F_DUPFD_CLOEXEC, 16);
      if (ends[k] < 0) child_fail(status_fd, "dup");
    }
    ends[5] = fcntl(filter, F_DUPFD_CLOEXEC, 16);
    for (int k = 0; k < ndata; k++) {
      int d = data_pipe(data[k]);
      if (d < 0) child_fail(status_fd, "data");
      ends[6 + k] = fcntl(d, F_DUPFD_CLOEXEC, 16);
      if (ends[6 + k] < 0) child_fail(status_fd, "dup");
    }
    for (int k = 0; k < 6 + ndata; k++)
      if (dup2(ends[k], k) < 0) child_fail(ends[3], "dup2");
    if (templated && (dup2(home_tree, 6 + ndata) < 0 || dup2(template_ns, 7 + ndata) < 0)) child_fail(3, "dup2");
    close_from(6 + ndata + 2 * templated);
    /* bwrap, its init and the supervisor are the last the OOM killer should pick; the
       program puts itself back to 0 */
    int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom >= 0) {
      if (write(oom, "-1000", 5) != 5) { /* not fatal: only a preference */ }
      close(oom);
    }
    if (templated) {
      /* the namespace's fd goes before anything of the run: no run may setns back */
      if (setns(7 + ndata, CLONE_NEWNS) != 0) child_fail(3, "setns");
      close(7 + ndata);
      int count = 0;
      while (argv[1 + count]) count++;
      enter_template(&argv[1], count, env, 6 + ndata);
    }
    execvpe(argv[0], argv, env);
    child_fail(3, argv[0]);
  }
  free(env);
  memset(slot, 0, sizeof *slot);
  snprintf(slot->id, sizeof slot->id, "%s", id);
  slot->pid = pid;
  for (int k = 0; k < 5; k++) {
    close(jail_reads[k] ? p[k][0] : p[k][1]);
    slot->fds[k] = jail_reads[k] ? p[k][1] : p[k][0];
  }
  /* with each fd its pipe's inode: the server checks it opened the very pipe */
  unsigned long ino[5];
  for (int k = 0; k < 5; k++) {
    struct stat st;
    ino[k] = fstat(slot->fds[k], &st) == 0 ? (unsigned long)st.st_ino : 0;
  }
  say("ok %s %d %d:%lu %d:%lu %d:%lu %d:%lu %d:%lu\n", id, pid, slot->fds[0], ino[0], slot->fds[1], ino[1], slot->fds[2], ino[2], slot->fds[3], ino[3],
      slot->fds[4], ino[4]);
}

static void command(char *line) {
  char *f[8192];
  int n = 0;
  for (char *save = NULL, *t = strtok_r(line, "\t", &save); t && n < 8191; t = strtok_r(NULL, "\t", &save)) f[n++] = t;
  f[n] = NULL;
  if (n == 0) return;
  if (strcmp(f[0], "spawn") == 0) return spawn(f, n);
  struct slot *s = n >= 2 ? find(f[1]) : NULL;
  if (strcmp(f[0], "release") == 0 && s) {
    close_fds(s);
    s->released = 1;
    if (s->exited) s->pid = 0;
  }
  else if (strcmp(f[0], "kill") == 0 && s && !s->exited) kill(-s->pid, SIGKILL);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_JAILS; i++) {
      if (slots[i].pid != pid || slots[i].exited) continue;
      say("exit %s %d\n", slots[i].id, status);
      slots[i].exited = 1;
      if (slots[i].released) slots[i].pid = 0;
    }
  }
}

static int serve(char **template_args, int template_n) {
  close_from(3); /* whatever the server inherited stays out of every jail */
  if (template_n > 0 && build_template(template_args, template_n) != 0) return 1;
  /* the server gone (even by SIGKILL, even if someone else holds our stdin): so are we, and
     our jails with us (--die-with-parent) */
  pid_t server = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != server) return 0;
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return perror("signalfd"), 1;
  signal(SIGPIPE, SIG_IGN);
  static char buf[1 << 20];
  size_t len = 0;
  struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return perror("poll"), 1;
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == sizeof info) {
      }
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(STDIN_FILENO, buf + len, sizeof buf - 1 - len);
      if (n <= 0) break; /* the server is gone: so are we, and our jails with us */
      len += (size_t)n;
      char *start = buf, *nl;
      while ((nl = memchr(start, '\n', (size_t)(buf + len - start)))) {
        *nl = '\0';
        command(start);
        start = nl + 1;
      }
      len = (size_t)(buf + len - start);
      memmove(buf, start, len);
      if (len == sizeof buf - 1) len = 0; /* a line this long is no command */
    }
  }
  for (int i = 0; i < MAX_JAILS; i++)
    if (slots[i].pid) kill(-slots[i].pid, SIGKILL);
  return 0;
}


/* ---- inside --------------------------------------------------------------------- */

struct run {
  unsigned long cpu_soft, cpu_hard, nproc, fsize, nofile;
  uid_t uid;
  gid_t gid;
  const char *stdin_mode;
  /* stdin_mode "tty:COLSxROWS": a terminal of that size */
  int tty;
  unsigned short cols, rows;
  char **argv;
  char **env; /* NAME=value entries, NULL-terminated */
};

/* Reads fd 4 to its end. Returns the byte count; 0 means "discard this jail". */
static size_t read_run(char *buf, size_t cap) {
  size_t len = 0;
  for (;;) {
    if (len == cap) die("run description too long");
    ssize_t n = read(CONTROL_FD, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("cannot read the run: %s", strerror(errno));
    if (n == 0) return len;
    len += (size_t)n;
  }
}

static unsigned long number(const char *field, const char *name) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(field, &end, 10);
  if (errno || *field == '\0' || *end != '\0') die("bad %s in run: %s", name, field);
  return v;
}

static void parse_run(char *buf, size_t len, struct run *run) {
  if (buf[len - 1] != '\0') die("run description not terminated");
  char *fields[16];
  size_t nfields = 0;
  char *p = buf;
  while (p < buf + len && nfields < 11) {
    fields[nfields++] = p;
    p += strlen(p) + 1;
  }
  if (nfields < 11 || strcmp(fields[0], PROTOCOL) != 0) die("run description is not " PROTOCOL);
  run->cpu_soft = number(fields[1], "cpu_soft");
  run->cpu_hard = number(fields[2], "cpu_hard");
  run->nproc = number(fields[3], "nproc");
  run->fsize = number(fields[4], "fsize");
  run->nofile = number(fields[5], "nofile");
  run->uid = (uid_t)number(fields[6], "uid");
  run->gid = (gid_t)number(fields[7], "gid");
  run->stdin_mode = fields[8];
  run->tty = 0;
  if (strncmp(run->stdin_mode, "tty:", 4) == 0) {
    unsigned cols, rows;
    char end;
    if (sscanf(run->stdin_mode + 4, "%ux%u%c", &cols, &rows, &end) != 2 || cols == 0 || rows == 0 || cols > 65535 || rows > 65535)
      die("bad terminal size %s", run->stdin_mode);
    run->tty = 1;
    run->cols = (unsigned short)cols;
    run->rows = (unsigned short)rows;
  }
  unsigned long argc = number(fields[9], "argc");
  if (run->uid == 0 || run->gid == 0) die("refusing to run as root");
  if (argc == 0 || argc > 4096) die("bad argc %lu", argc);
  run->argv = calloc(argc + 1, sizeof(char *));
  if (!run->argv) die("out of memory");
  p = fields[10];
  for (unsigned long i = 0; i < argc; i++) {
    if (p >= buf + len) die("run description has fewer than %lu arguments", argc);
    run->argv[i] = p;
    p += strlen(p) + 1;
  }
  if (p >= buf + len) die("run description has no envc");
  unsigned long envc = number(p, "envc");
  p += strlen(p) + 1;
  if (envc > 4096) die("bad envc %lu", envc);
  run->env = calloc(envc + 1, sizeof(char *));
  if (!run->env) die("out of memory");
  for (unsigned long i = 0; i < envc; i++) {
    if (p >= buf + len) die("run description has fewer than %lu variables", envc);
    const char *eq = strchr(p, '=');
    if (!eq || eq == p) die("bad variable in run: %s", p);
    run->env[i] = p;
    p += strlen(p) + 1;
  }
  if (p != buf + len) die("run description has trailing fields");
}

/* Input given in advance becomes a regular (memory) file, as `prog < file` would see. */
static void stdin_to_file(void) {
  int mem = memfd_create("stdin", 0);
  if (mem < 0) die("memfd_create: %s", strerror(errno));
  char buf[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("cannot read stdin: %s", strerror(errno));
    if (n == 0) break;
    if (write_all(mem, buf, (size_t)n) < 0) die("cannot buffer stdin: %s", strerror(errno));
  }
  if (lseek(mem, 0, SEEK_SET) < 0 || dup2(mem, STDIN_FILENO) < 0) die("cannot attach stdin: %s", strerror(errno));
  close(mem);
}

/*
 * Input that streams in while the program runs: fd 0 is already a real pipe (serve made
 * it); it becomes the run user's, so /dev/stdin opens by path as after `|`.
 */
static void stdin_to_pipe(uid_t uid, gid_t gid) {
  struct stat st;
  if (fstat(STDIN_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode)) die("stdin is not a pipe");
  if (fchown(STDIN_FILENO, uid, gid) < 0) die("cannot hand the stdin pipe over: %s", strerror(errno));
}

static void limit(int resource, const char *name, rlim_t soft, rlim_t hard) {
  struct rlimit rl = {soft, hard};
  if (setrlimit(resource, &rl) < 0) die("setrlimit %s: %s", name, strerror(errno));
}

/* Nothing of root survives: no capability in any set, no supplementary group. */
static void become(uid_t uid, gid_t gid) {
  /* only what is still in the bounding set (bwrap left five): each drop commits new
     credentials, and 64 of them were a quarter of a millisecond of every run */
  for (int cap = 0; cap <= 63; cap++) {
    int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (held < 0 && errno == EINVAL) break; /* past the kernel's last capability */
    if (held != 0 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) die("cannot drop capability %d: %s", cap, strerror(errno));
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  /* bwrap hands its kept capabilities down as inheritable too: none may pass an exec */
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) != 0) die("capget: %s", strerror(errno));
  data[0].inheritable = data[1].inheritable = 0;
  if (syscall(SYS_capset, &hdr, data) != 0) die("capset: %s", strerror(errno));
  if (setgroups(0, NULL) < 0) die("setgroups: %s", strerror(errno));
  if (setresgid(gid, gid, gid) < 0) die("setresgid: %s", strerror(errno));
  if (setresuid(uid, uid, uid) < 0) die("setresuid: %s", strerror(errno));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs: %s", strerror(errno));
  if (getuid() != uid || geteuid() != uid || getgid() != gid) die("uid switch did not take");
}

/* bubblewrap's signal state is not the program's business. */
static void default_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
}

/* ---- the terminal (stdin_mode "tty:...") ------------------------------------------ */

/*
 * A live run's terminal. Its master side stays with this supervisor, which relays: what the
 * server sends on fd 0 goes to the terminal's input (the line discipline echoes it, makes
 * Ctrl+C a SIGINT, Ctrl+D an end of input), what the program writes to it goes out on fd 1.
 * fd 0 carries frames, so that a window size can travel with the keystrokes:
 *   'd' LEN(4 bytes, big-endian) BYTES      input for the terminal
 *   'w' 4 COLS(2 bytes) ROWS(2 bytes)       a new window size (the program gets SIGWINCH)
 * Every fd is non-blocking and nothing is read while what was read last is not passed on:
 * a program that never reads its input stops the relay taking more (the server's pipe
 * fills, and the server stops reading its client), one that floods its terminal is only
 * read as fast as the server takes fd 1; neither grows a buffer here.
 */
#define FRAME_HEADER 5
#define MAX_FRAME (1u << 20)

static void set_nonblocking(int fd, int on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

/* Opens a terminal of the jail's own devpts; returns the master, the run user's slave in *slave. */
static int open_terminal(const struct run *run, int *slave) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die("cannot open a terminal: %s", strerror(errno));
  char name[64];
  if (unlockpt(master) != 0 || ptsname_r(master, name, sizeof name) != 0) die("cannot unlock the terminal: %s", strerror(errno));
  *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0) die("cannot open %s: %s", name, strerror(errno));
  /* the run user's alone, as login(1) leaves a terminal (the mode first: this process keeps
     CAP_CHOWN but not CAP_FOWNER, so once it is not the owner it may not change the mode) */
  if (fchmod(*slave, 0600) != 0 || fchown(*slave, run->uid, run->gid) != 0) die("cannot hand %s over: %s", name, strerror(errno));
  struct winsize size = {.ws_row = run->rows, .ws_col = run->cols};
  if (ioctl(master, TIOCSWINSZ, &size) != 0) die("cannot size the terminal: %s", strerror(errno));
  return master;
}

/* In the program's process: the terminal becomes its controlling terminal and its stdio. */
static void attach_terminal(int slave) {
  if (setsid() < 0) die("setsid: %s", strerror(errno));
  if (ioctl(slave, TIOCSCTTY, 0) != 0) die("cannot make the terminal controlling: %s", strerror(errno));
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
    if (dup2(slave, fd) < 0) die("dup2: %s", strerror(errno));
  if (slave > STDERR_FILENO) close(slave);
}

/* The frame being read from fd 0: its header so far, then what of its body is left. */
static struct {
  unsigned char header[FRAME_HEADER];
  unsigned header_len;
  unsigned char type;
  uint32_t left;
  unsigned char size[4];
  unsigned size_len;
} frame;
static unsigned char input[65536];
static size_t input_len, input_off;

/* Passes what was read from fd 0 on; returns 0 when the master cannot take more now, -1 on a broken frame. */
static int feed_terminal(int master) {
  while (input_off < input_len) {
    if (frame.header_len < FRAME_HEADER) {
      frame.header[frame.header_len++] = input[input_off++];
      if (frame.header_len < FRAME_HEADER) continue;
      frame.type = frame.header[0];
      frame.left = (uint32_t)frame.header[1] << 24 | (uint32_t)frame.header[2] << 16 | (uint32_t)frame.header[3] << 8 | frame.header[4];
      frame.size_len = 0;
      if ((frame.type != 'd' && frame.type != 'w') || (frame.type == 'w' && frame.left != 4) || frame.left > MAX_FRAME) return -1;
    } else if (frame.type == 'w') {
      frame.size[frame.size_len++] = input[input_off++];
      frame.left--;
    } else {
      size_t n = input_len - input_off < frame.left ? input_len - input_off : frame.left;
      ssize_t w = write(master, input + input_off, n);
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
      if (w < 0) w = (ssize_t)n; /* the terminal is gone: the input with it */
      input_off += (size_t)w;
      frame.left -= (uint32_t)w;
    }
    if (frame.left == 0) {
      if (frame.type == 'w') {
        struct winsize size = {.ws_col = (unsigned short)(frame.size[0] << 8 | frame.size[1]), .ws_row = (unsigned short)(frame.size[2] << 8 | frame.size[3])};
        if (size.ws_col && size.ws_row) ioctl(master, TIOCSWINSZ, &size);
      }
      frame.header_len = 0;
    }
  }
  return 1;
}

/* Relays until the program has exited; returns its wait status. */
static int relay(pid_t program, int master) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK); /* SIGCHLD is blocked since before the fork */
  if (sfd < 0) die("signalfd: %s", strerror(errno));
  set_nonblocking(master, 1);
  set_nonblocking(STDIN_FILENO, 1);
  set_nonblocking(STDOUT_FILENO, 1);
  static char output[65536];
  size_t output_len = 0, output_off = 0;
  /* held: some process has the terminal open (a read of the master gives EIO when none has) */
  int input_open = 1, held = 1, status = 0;
  for (;;) {
    pid_t pid = waitpid(program, &status, WNOHANG);
    if (pid == program) break;
    if (pid < 0 && errno != EINTR) die("waitpid: %s", strerror(errno));
    int input_waits = input_off < input_len, output_waits = output_off < output_len;
    /* The master is watched only while nothing waits to go out: with its last holder gone
       it reports POLLHUP whatever is asked, and watching it then would spin the loop. While
       no one holds it, it is read again every 100 ms: the program may open /dev/tty anew. */
    struct pollfd fds[4] = {
        {.fd = input_open && !input_waits ? STDIN_FILENO : -1, .events = POLLIN},
        {.fd = held && !output_waits ? master : -1, .events = POLLIN | (input_waits ? POLLOUT : 0)},
        {.fd = output_waits ? STDOUT_FILENO : -1, .events = POLLOUT},
        {.fd = sfd, .events = POLLIN},
    };
    if (poll(fds, 4, held ? -1 : 100) < 0) {
      if (errno == EINTR) continue;
      die("poll: %s", strerror(errno));
    }
    if (fds[3].revents) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == sizeof info) {
      }
    }
    if (fds[0].revents) {
      ssize_t n = read(STDIN_FILENO, input, sizeof input);
      if (n > 0) input_len = (size_t)n, input_off = 0;
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) input_open = 0;
    }
    if (input_off < input_len && feed_terminal(master) < 0) input_open = 0, input_off = input_len;
    if (!output_waits && (fds[1].revents || !held)) {
      ssize_t n = read(master, output, sizeof output);
      if (n > 0) output_len = (size_t)n, output_off = 0, held = 1;
      else if (n < 0 && errno == EAGAIN) held = 1; /* open again, nothing written yet */
      else if (!(n < 0 && errno == EINTR)) held = 0; /* EIO: no one holds it now */
    }
    if (output_off < output_len) {
      ssize_t w = write(STDOUT_FILENO, output + output_off, output_len - output_off);
      if (w > 0) output_off += (size_t)w;
      else if (w < 0 && errno != EAGAIN && errno != EINTR) output_off = output_len; /* the server is gone */
    }
  }
  close(sfd);
  set_nonblocking(STDOUT_FILENO, 0);
  if (output_off < output_len) write_all(STDOUT_FILENO, output + output_off, output_len - output_off);
  /* what the terminal still holds is passed on once leftovers are killed (supervise()):
     a background writer would keep a drain before that going for ever */
  return status;
}

/* Passes on what the terminal still holds, until no one holds it or it stays quiet `quiet_ms`. */
static void drain_terminal(int master, int quiet_ms) {
  static char buf[65536];
  for (;;) {
    struct pollfd fd = {.fd = master, .events = POLLIN};
    int ready = poll(&fd, 1, quiet_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return;
    ssize_t n = read(master, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;
    if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0) return;
  }
}

/*
 * Ends the jail with the program: every process left in the pid namespace (a setsid
 * double-forked sleeper, say) is killed as soon as the program itself has exited, so
 * bubblewrap's init, which waits for all of them, returns at once. The program's status
 * becomes ours, a signal as 128+N, as a shell reports it.
 */
static int supervise(pid_t program, int master) {
  /* all it still needs is to kill the run user's processes (and, for a terminal, to set
     its window size, which its owner may do) */
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {{0}};
  data[0].effective = data[0].permitted = 1u << CAP_KILL;
  if (syscall(SYS_capset, &hdr, data) != 0) die("capset: %s", strerror(errno));
  int status;
  if (master >= 0) status = relay(program, master);
  else
    for (;;) {
      pid_t pid = waitpid(program, &status, 0);
      if (pid == program) break;
      if (pid < 0 && errno != EINTR) die("waitpid: %s", strerror(errno));
    }
  kill(-1, SIGKILL);
  /* what the program's leftovers wrote before they died */
  if (master >= 0) drain_terminal(master, 1000);
  /* the raw status, on the fd the program never had: exit(137) is not a SIGKILL */
  dprintf(STATUS_FD, "exit %d\n", status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

static int inside(void) {
  static char buf[MAX_RUN_BYTES];
  struct run run = {0};
  if (write_all(STATUS_FD, "ready\n", 6) < 0) _exit(SETUP_FAILED);
  size_t len = read_run(buf, sizeof buf);
  if (len == 0) _exit(0);
  parse_run(buf, len, &run);

  /* first: bwrap may have closed fd 5 already, and a terminal opened now could get its number */
  close(CONTROL_FD);
  close(SECCOMP_FD); /* bwrap has loaded it */
  int master = -1, slave = -1;
  if (run.tty) master = open_terminal(&run, &slave);
  else if (strcmp(run.stdin_mode, "file") == 0) stdin_to_file();
  else if (strcmp(run.stdin_mode, "pipe") == 0) stdin_to_pipe(run.uid, run.gid);
  else die("bad stdin mode %s", run.stdin_mode);
  /* No pseudo-terminal of the program's own: each one counts against the host's (shared by
     every devpts instance, kernel.pty.max), and a run holding them all would leave every
     other run without its terminal. The jail's ptmx is root's, so root may close it. */
  if (chmod("/dev/pts/ptmx", 0600) != 0) die("cannot close /dev/pts/ptmx: %s", strerror(errno));
  /* the relay learns of the exit through a signalfd: no SIGCHLD may come before it exists */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (run.tty) sigprocmask(SIG_BLOCK, &chld, NULL);
  pid_t program = fork();
  if (program < 0) die("fork: %s", strerror(errno));
  if (program > 0) {
    /* the supervisor stays root and out of the program's reach. It holds no stream of the
       run, or, for a terminal, only the master side and the server's two pipes to it */
    if (run.tty) close(slave);
    else close(STDIN_FILENO), close(STDOUT_FILENO);
    close(STDERR_FILENO);
    return supervise(program, master);
  }
  if (run.tty) {
    attach_terminal(slave);
    /* full-screen and coloured programs look up the terminal they are on; the run's own
       variables (set below) may name another */
    if (setenv("TERM", "xterm-256color", 1) != 0) die("cannot set TERM");
  }
  /* the output pipes are the program's own, so /dev/stdout and /dev/stderr open by path */
  for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && fchown(fd, run.uid, run.gid) < 0) die("cannot hand fd %d over: %s", fd, strerror(errno));
  }
  limit(RLIMIT_CPU, "cpu", run.cpu_soft, run.cpu_hard);
  limit(RLIMIT_NPROC, "nproc", run.nproc, run.nproc);
  limit(RLIMIT_FSIZE, "fsize", run.fsize, run.fsize);
  limit(RLIMIT_NOFILE, "nofile", run.nofile, run.nofile);
  limit(RLIMIT_CORE, "core", 0, 0);
  limit(RLIMIT_RTPRIO, "rtprio", 0, 0);
  limit(RLIMIT_NICE, "nice", 0, 0);
  limit(RLIMIT_MEMLOCK, "memlock", 64 * 1024, 64 * 1024);
  int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom >= 0) {
    if (write(oom, "0", 1) != 1) die("cannot reset oom_score_adj");
    close(oom);
  }
  umask(077);
  become(run.uid, run.gid);
  const char *home = getenv("HOME");
  if (!home || chdir(home) != 0) die("cannot enter the home %s: %s", home ? home : "(unset)", strerror(errno));
  for (char **e = run.env; *e; e++)
    if (putenv(*e) != 0) die("cannot set %s: %s", *e, strerror(errno));
  default_signals();
  close_from(3);
  execvp(run.argv[0], run.argv);
  int err = errno;
  dprintf(STDERR_FILENO, "%s: %s\n", run.argv[0], err == ENOENT ? "command not found" : strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

/* ---- probe ---------------------------------------------------------------------- */

static const char *status_field(const char *name, char *out, size_t cap) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  size_t n = strlen(name);
  out[0] = '\0';
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, name, n) == 0 && line[n] == ':') {
      char *v = line + n + 1;
      while (*v == ' ' || *v == '\t') v++;
      v[strcspn(v, "\n")] = '\0';
      snprintf(out, cap, "%s", v);
      break;
    }
  }
  if (f) fclose(f);
  return out;
}

static int probe(void) {
  char seccomp[64], caps[64];
  int userns = unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
  struct stat st;
  printf("uid=%d\n", getuid());
  printf("seccomp=%s\n", status_field("Seccomp", seccomp, sizeof seccomp));
  printf("capEff=%s\n", status_field("CapEff", caps, sizeof caps));
  printf("userns=%s\n", userns == 0 ? "allowed" : strerror(userns));
  printf("sys=%s\n", stat("/sys/kernel", &st) == 0 ? "visible" : "absent");
  printf("shadow=%s\n", stat("/etc/shadow", &st) == 0 ? "visible" : "absent");
  char fds[256] = "";
  for (int fd = 0; fd < 1024; fd++)
    if (fcntl(fd, F_GETFD) >= 0) snprintf(fds + strlen(fds), sizeof fds - strlen(fds), "%s%d", fds[0] ? "," : "", fd);
  printf("fds=%s\n", fds);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "serve") == 0) return serve(NULL, 0);
  if (argc >= 3 && strcmp(argv[1], "serve") == 0 && strcmp(argv[2], "--template") == 0) return serve(&argv[3], argc - 3);
  /* builds the template as serve would and says whether it could (the server's choice of bwrap instead) */
  if (argc >= 2 && strcmp(argv[1], "template-check") == 0) return build_template(&argv[2], argc - 2) == 0 ? 0 : 1;
  if (argc == 2 && strcmp(argv[1], "inside") == 0) return inside();
  if (argc == 2 && strcmp(argv[1], "probe") == 0) return probe();
  fprintf(stderr, "usage: runbox-jail serve [--template BWRAP-OPTIONS...] | template-check BWRAP-OPTIONS... | inside | probe\n");
  return 2;
}
