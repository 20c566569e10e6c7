// The one place Tollgate enters a sandbox: fork, unshare a user and network namespace, map the ids, bring the
// loopback up, exec. posix_spawn cannot run code between fork and exec, so this is C that calls only
// async-signal-safe functions in the child (POSIX signal-safety(7)); everything it needs is prepared before fork.
#define _GNU_SOURCE
#include "CSandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__

static void report(int fd, int stage) {
    int message[2] = {stage, errno};
    ssize_t ignored = write(fd, message, sizeof message);
    (void)ignored;
    _exit(127);
}

static int write_file(const char *path, const char *text, size_t length) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t written = write(fd, text, length);
    int saved = errno;
    close(fd);
    errno = saved;
    return written == (ssize_t)length ? 0 : -1;
}

/// "<id> <id> 1\n" into `buffer`, without snprintf (not async-signal-safe; here it runs before fork anyway).
static size_t id_map(char *buffer, unsigned long id) {
    char digits[24];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + id % 10);
        id /= 10;
    } while (id > 0);
    size_t length = 0;
    for (int copy = 0; copy < 2; copy++) {
        for (size_t index = count; index > 0; index--) buffer[length++] = digits[index - 1];
        buffer[length++] = ' ';
    }
    buffer[length++] = '1';
    buffer[length++] = '\n';
    return length;
}

static void close_from(int lowest, int keep) {
#ifdef SYS_close_range
    if (keep > lowest) syscall(SYS_close_range, (unsigned)lowest, (unsigned)(keep - 1), 0u);
    if (syscall(SYS_close_range, (unsigned)(keep + 1), ~0u, 0u) == 0) return;
#endif
    for (int fd = lowest; fd < 65536; fd++) {
        if (fd != keep) close(fd);
    }
}

pid_t tollgate_spawn_isolated(
    const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd, int stderr_fd,
    int *stage, int *error) {
    char uid_map[64], gid_map[64];
    size_t uid_length = id_map(uid_map, (unsigned long)geteuid());
    size_t gid_length = id_map(gid_map, (unsigned long)getegid());

    int pipe_ends[2];
    if (pipe2(pipe_ends, O_CLOEXEC) != 0) {
        *stage = TOLLGATE_SANDBOX_PIPE;
        *error = errno;
        return -1;
    }
    // No handler of this process may run in the child between fork and exec.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = fork();
    if (pid == 0) {
        int failure = pipe_ends[1];
        close(pipe_ends[0]);
        struct sigaction standard;
        memset(&standard, 0, sizeof standard);
        standard.sa_handler = SIG_DFL;
        for (int signal = 1; signal < NSIG; signal++) sigaction(signal, &standard, NULL);
        setpgid(0, 0);
        if (stdin_fd >= 0 && dup2(stdin_fd, 0) < 0) report(failure, TOLLGATE_SANDBOX_STREAMS);
        if (stdout_fd >= 0 && dup2(stdout_fd, 1) < 0) report(failure, TOLLGATE_SANDBOX_STREAMS);
        if (stderr_fd == -2 && dup2(1, 2) < 0) report(failure, TOLLGATE_SANDBOX_STREAMS);
        if (stderr_fd >= 0 && dup2(stderr_fd, 2) < 0) report(failure, TOLLGATE_SANDBOX_STREAMS);
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) report(failure, TOLLGATE_SANDBOX_UNSHARE);
        if (write_file("/proc/self/setgroups", "deny", 4) != 0 && errno != ENOENT) {
            report(failure, TOLLGATE_SANDBOX_ID_MAP);
        }
        if (write_file("/proc/self/uid_map", uid_map, uid_length) != 0) report(failure, TOLLGATE_SANDBOX_ID_MAP);
        if (write_file("/proc/self/gid_map", gid_map, gid_length) != 0) report(failure, TOLLGATE_SANDBOX_ID_MAP);
        int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (probe < 0) report(failure, TOLLGATE_SANDBOX_LOOPBACK);
        struct ifreq request;
        memset(&request, 0, sizeof request);
        memcpy(request.ifr_name, "lo", 3);
        if (ioctl(probe, SIOCGIFFLAGS, &request) != 0) report(failure, TOLLGATE_SANDBOX_LOOPBACK);
        request.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(probe, SIOCSIFFLAGS, &request) != 0) report(failure, TOLLGATE_SANDBOX_LOOPBACK);
        close(probe);
        close_from(3, failure);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        report(failure, TOLLGATE_SANDBOX_EXEC);
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(pipe_ends[1]);
    if (pid < 0) {
        close(pipe_ends[0]);
        *stage = TOLLGATE_SANDBOX_FORK;
        *error = fork_errno;
        return -1;
    }
    // The group exists before anyone signals it, whichever of parent and child runs first.
    setpgid(pid, pid);
    int message[2] = {0, 0};
    ssize_t count;
    do {
        count = read(pipe_ends[0], message, sizeof message);
    } while (count < 0 && errno == EINTR);
    close(pipe_ends[0]);
    if (count == (ssize_t)sizeof message) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        *stage = message[0];
        *error = message[1];
        return -1;
    }
    *stage = TOLLGATE_SANDBOX_OK;
    *error = 0;
    return pid;
}
#else
pid_t tollgate_spawn_isolated(
    const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd, int stderr_fd,
    int *stage, int *error) {
    // User and network namespaces are Linux's: elsewhere local-only cannot be had, so nothing starts.
    (void)path, (void)argv, (void)envp, (void)stdin_fd, (void)stdout_fd, (void)stderr_fd;
    *stage = TOLLGATE_SANDBOX_UNSHARE;
    *error = ENOSYS;
    return -1;
}
#endif
