/* Runs one external command for the firmware runner: no shell (arguments are
 * passed as they are), output into a log file, killed after a timeout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fw_util.h"

static void log_command(int fd, const char *const *argv, const char *cwd) {
    dprintf(fd, "$");
    if (cwd) dprintf(fd, " (cd %s &&", cwd);
    for (size_t i = 0; argv[i]; i++) dprintf(fd, " %s", argv[i]);
    dprintf(fd, "%s\n", cwd ? ")" : "");
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int fw_exec(const char *const *argv, const char *cwd, const char *log_path, int timeout_s) {
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    log_command(fd, argv, cwd);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    /* The child reports a failed exec through this pipe; a successful exec closes it. */
    int ep[2] = {-1, -1};
    if (pipe(ep) == 0) {
        fcntl(ep[0], F_SETFD, FD_CLOEXEC);
        fcntl(ep[1], F_SETFD, FD_CLOEXEC);
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fd);
        if (null_fd >= 0) close(null_fd);
        if (ep[0] >= 0) close(ep[0]), close(ep[1]);
        return -1;
    }
    if (pid == 0) {
        /* Own process group, so a timeout kills whatever the command started too. */
        setpgid(0, 0);
        if (null_fd >= 0) dup2(null_fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (cwd && chdir(cwd) != 0) {
            dprintf(2, "cannot enter %s: %s\n", cwd, strerror(errno));
            _exit(127);
        }
        execvp(argv[0], (char *const *)argv);
        int e = errno;
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(e));
        if (ep[1] >= 0 && write(ep[1], &e, sizeof e) < 0) _exit(127);
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no race with the kill below */
    if (null_fd >= 0) close(null_fd);
    int exec_failed = 0;
    if (ep[0] >= 0) {
        close(ep[1]);
        int e;
        ssize_t r;
        while ((r = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR) {
        }
        exec_failed = r == (ssize_t)sizeof e;
        close(ep[0]);
    }
    double deadline = now_s() + timeout_s;
    long nap_ns = 1000000;
    int status = 0, rc = -1;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            rc = -1;
            goto out;
        }
        if (now_s() > deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            dprintf(fd, "killed after %d s timeout\n", timeout_s);
            rc = -2;
            goto out;
        }
        struct timespec ts = {0, nap_ns};
        nanosleep(&ts, NULL);
        if (nap_ns < 20000000) nap_ns *= 2;
    }
    if (exec_failed) rc = -1;
    else if (WIFEXITED(status)) rc = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) rc = 128 + WTERMSIG(status);
    if (rc > 0) dprintf(fd, "exit status %d\n", rc);
out:
    close(fd);
    return rc;
}
