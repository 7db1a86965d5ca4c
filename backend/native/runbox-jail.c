/*
 * runbox's jail launcher: the two small steps around bubblewrap that a shell chain of
 * sh + prlimit + setpriv used to do, in one exec each.
 *
 *   runbox-jail enter --cgroup FILE... --seccomp BPF -- bwrap ARGS...
 *     Outside the jail, as root: moves itself into the run's cgroups (so bubblewrap and
 *     everything after it is counted and limited), opens the syscall filter on fd 5 for
 *     bwrap's `--seccomp 5`, and execs bwrap.
 *
 *   runbox-jail inside            (bwrap's command: pid 2 of the jail, still root)
 *     Says "ready" on fd 3 and parks until the server writes the run on fd 4:
 *       "runbox1\0" cpu_soft cpu_hard nproc fsize nofile uid gid stdin_mode argc argv...
 *     every field NUL-terminated. An empty fd 4 (closed without a run) discards the jail.
 *     Then: stdin becomes a file (stdin_mode "file": everything on fd 0, read to the end,
 *     in a memfd, as a shell's `< file`) so /dev/stdin can be opened by path; then forks
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* ---- enter ---------------------------------------------------------------------- */

static int enter(int argc, char **argv) {
  int i = 0;
  const char *seccomp = NULL;
  char pid[32];
  snprintf(pid, sizeof pid, "%d\n", getpid());
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc) {
      int fd = open(argv[++i], O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write_all(fd, pid, strlen(pid)) < 0) die("cannot join cgroup %s: %s", argv[i], strerror(errno));
      close(fd);
    } else if (strcmp(argv[i], "--seccomp") == 0 && i + 1 < argc) {
      seccomp = argv[++i];
    } else {
      die("runbox-jail enter: unknown option %s", argv[i]);
    }
  }
  if (i + 1 >= argc) die("runbox-jail enter: no command after --");
  if (seccomp) {
    int fd = open(seccomp, O_RDONLY);
    if (fd < 0) die("cannot open the syscall filter %s: %s", seccomp, strerror(errno));
    if (fd != SECCOMP_FD) {
      if (dup2(fd, SECCOMP_FD) < 0) die("dup2: %s", strerror(errno));
      close(fd);
    }
  }
  execvp(argv[i + 1], &argv[i + 1]);
  die("cannot start %s: %s", argv[i + 1], strerror(errno));
  return SETUP_FAILED;
}

/* ---- inside --------------------------------------------------------------------- */

struct run {
  unsigned long cpu_soft, cpu_hard, nproc, fsize, nofile;
  uid_t uid;
  gid_t gid;
  const char *stdin_mode;
  char **argv;
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
 * Input that streams in while the program runs: the program reads a real pipe, whatever
 * the server's end is (a socket, from Node), so /dev/stdin opens by path as after `|`.
 * A child of the supervisor copies into it, as root (the program cannot stop it), and
 * holds nothing else of the run.
 */
static void stdin_to_pipe(uid_t uid, gid_t gid) {
  struct stat st;
  if (fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode)) return; /* already a pipe */
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) die("pipe2: %s", strerror(errno));
  pid_t copier = fork();
  if (copier < 0) die("fork: %s", strerror(errno));
  if (copier == 0) {
    close(p[0]);
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    close(STATUS_FD);
    close(CONTROL_FD);
    signal(SIGPIPE, SIG_IGN);
    char buf[65536];
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || write_all(p[1], buf, (size_t)n) < 0) _exit(0);
    }
  }
  close(p[1]);
  /* a pipe belongs to its maker: the program may reopen it (/dev/stdin) only if it is its own */
  if (fchown(p[0], uid, gid) < 0) die("cannot hand the stdin pipe over: %s", strerror(errno));
  if (dup2(p[0], STDIN_FILENO) < 0) die("cannot attach stdin: %s", strerror(errno));
  close(p[0]);
}

static void limit(int resource, const char *name, rlim_t soft, rlim_t hard) {
  struct rlimit rl = {soft, hard};
  if (setrlimit(resource, &rl) < 0) die("setrlimit %s: %s", name, strerror(errno));
}

/* Nothing of root survives: no capability in any set, no supplementary group. */
static void become(uid_t uid, gid_t gid) {
  for (int cap = 0; cap <= 63; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) die("cannot drop capability %d: %s", cap, strerror(errno));
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
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

/*
 * Ends the jail with the program: every process left in the pid namespace (a setsid
 * double-forked sleeper, say) is killed as soon as the program itself has exited, so
 * bubblewrap's init, which waits for all of them, returns at once. The program's status
 * becomes ours, a signal as 128+N, as a shell reports it.
 */
static int supervise(pid_t program) {
  int status;
  for (;;) {
    pid_t pid = waitpid(program, &status, 0);
    if (pid == program) break;
    if (pid < 0 && errno != EINTR) die("waitpid: %s", strerror(errno));
  }
  kill(-1, SIGKILL);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

static int inside(void) {
  static char buf[MAX_RUN_BYTES];
  struct run run;
  if (write_all(STATUS_FD, "ready\n", 6) < 0) _exit(SETUP_FAILED);
  size_t len = read_run(buf, sizeof buf);
  if (len == 0) _exit(0);
  parse_run(buf, len, &run);

  if (strcmp(run.stdin_mode, "file") == 0) stdin_to_file();
  else if (strcmp(run.stdin_mode, "pipe") == 0) stdin_to_pipe(run.uid, run.gid);
  else die("bad stdin mode %s", run.stdin_mode);

  close(CONTROL_FD);
  close(SECCOMP_FD); /* bwrap has loaded it */
  pid_t program = fork();
  if (program < 0) die("fork: %s", strerror(errno));
  if (program > 0) {
    /* the supervisor stays root and out of the program's reach; it holds no stream of the run */
    close(STDIN_FILENO);
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    close(STATUS_FD);
    return supervise(program);
  }
  limit(RLIMIT_CPU, "cpu", run.cpu_soft, run.cpu_hard);
  limit(RLIMIT_NPROC, "nproc", run.nproc, run.nproc);
  limit(RLIMIT_FSIZE, "fsize", run.fsize, run.fsize);
  limit(RLIMIT_NOFILE, "nofile", run.nofile, run.nofile);
  limit(RLIMIT_CORE, "core", 0, 0);
  umask(077);
  become(run.uid, run.gid);
  default_signals();
  close(STATUS_FD);
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
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "enter") == 0) return enter(argc - 2, argv + 2);
  if (argc == 2 && strcmp(argv[1], "inside") == 0) return inside();
  if (argc == 2 && strcmp(argv[1], "probe") == 0) return probe();
  fprintf(stderr, "usage: runbox-jail enter --cgroup FILE... --seccomp BPF -- bwrap ARGS...\n"
                  "       runbox-jail inside | probe\n");
  return 2;
}
