/*
 * Writes runbox's syscall filter as raw BPF to stdout. Built with libseccomp at setup or
 * image build and run once at server start; bubblewrap loads the result from an fd
 * (--seccomp) as the last step before the jail's launcher starts, so the filter costs
 * nothing per run and binds the launcher, the program and everything it starts.
 *
 * Default allow with a denylist (Flatpak's model), aimed at the kernel's attack surface a
 * program never needs: other ABIs, namespaces, mounts, keyrings, io_uring, bpf, tracing,
 * modules, clocks, and sockets beyond unix/inet/inet6/netlink-route.
 *
 * libseccomp ORs the rules on one syscall and refuses two comparisons of one argument in
 * a rule, so each flag and each refused range gets its own rule.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static scmp_filter_ctx ctx;

static void fail(const char *what, int rc) {
  fprintf(stderr, "seccomp-export: %s: %s\n", what, strerror(-rc));
  exit(1);
}

/* A syscall this libseccomp or architecture does not know is skipped, not fatal. */
static void refuse(const char *name, int err) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
  if (rc < 0) fail(name, rc);
}

static void refuse_if(const char *name, int err, struct scmp_arg_cmp cmp) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 1, cmp);
  if (rc < 0) fail(name, rc);
}

static const char *const refused[] = {
    /* namespaces and the filesystem tree */
    "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "open_by_handle_at", "name_to_handle_at",
    /* keyrings */
    "add_key", "request_key", "keyctl",
    /* kernel interfaces behind most recent escalations */
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd",
    /* looking into or steering other processes */
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise", "process_mrelease",
    /* 16-bit segments: old exploit material, nothing a program needs */
    "modify_ldt",
    /* the machine itself */
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "settimeofday", "clock_settime", "clock_adjtime", "syslog", "acct", "swapon", "swapoff",
    "quotactl", "quotactl_fd", "lookup_dcookie", "vhangup", "iopl", "ioperm", "uselib", "ustat", "sysfs",
    "_sysctl", "nfsservctl", "sethostname", "setdomainname", "fanotify_init",
};

static const unsigned long namespace_flags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                                CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET, CLONE_NEWTIME};

int main(void) {
  if (isatty(STDOUT_FILENO)) {
    fprintf(stderr, "usage: seccomp-export > filter.bpf\n");
    return 2;
  }
  /* other ABIs (i386 int 0x80, x32) are not in the filter: libseccomp kills them */
  ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) fail("seccomp_init", -ENOMEM);
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0) fail("badarch", rc);

  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) refuse(refused[i], EPERM);

  /* threads and fork stay; a new namespace does not. clone3 hides its flags in memory,
     so it answers "not implemented" and libc falls back to clone. */
  for (size_t i = 0; i < sizeof namespace_flags / sizeof *namespace_flags; i++)
    refuse_if("clone", EPERM, SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
  refuse("clone3", ENOSYS);

  /* sockets: unix, inet, inet6, and netlink for routes only (getifaddrs) */
  refuse_if("socket", EAFNOSUPPORT, SCMP_A0(SCMP_CMP_EQ, AF_UNSPEC));
  for (int family = AF_INET + 1; family < AF_INET6; family++) refuse_if("socket", EAFNOSUPPORT, SCMP_A0(SCMP_CMP_EQ, family));
  for (int family = AF_INET6 + 1; family < AF_NETLINK; family++) refuse_if("socket", EAFNOSUPPORT, SCMP_A0(SCMP_CMP_EQ, family));
  refuse_if("socket", EAFNOSUPPORT, SCMP_A0(SCMP_CMP_GT, AF_NETLINK));
  {
    int nr = seccomp_syscall_resolve_name("socket");
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), nr, 2, SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                          SCMP_A2(SCMP_CMP_NE, 0 /* NETLINK_ROUTE */));
    if (rc < 0) fail("socket netlink", rc);
  }

  /* socketpair creates sockets of any family: only unix ones, which are all it is for */
  refuse_if("socketpair", EAFNOSUPPORT, SCMP_A0(SCMP_CMP_NE, AF_UNIX));

  /* mount-family calls newer than this libseccomp's table, by their x86_64 numbers */
#if defined(__x86_64__)
  {
    static const int newer[] = {457 /* statmount */, 458 /* listmount */, 467 /* open_tree_attr */};
    for (size_t i = 0; i < sizeof newer / sizeof *newer; i++) {
      rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), newer[i], 0);
      if (rc < 0 && rc != -EEXIST) fail("newer mount call", rc);
    }
  }
#endif

  /* pushing keystrokes into a terminal someone else reads (the kernel compares 32 bits) */
  refuse_if("ioctl", EPERM, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
  refuse_if("ioctl", EPERM, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
  /* another line discipline on a terminal (n_gsm, n_hdlc...): kernel code behind past
     escalations, and nothing a program on runbox's terminal needs */
  refuse_if("ioctl", EPERM, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSETD));

  rc = seccomp_export_bpf(ctx, STDOUT_FILENO);
  if (rc < 0) fail("export", rc);
  seccomp_release(ctx);
  return 0;
}
