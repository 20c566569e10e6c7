#ifndef TOLLGATE_CSANDBOX_H
#define TOLLGATE_CSANDBOX_H

#include <sys/types.h>

/// The step of entering the sandbox that failed (reported with its errno).
typedef enum {
    TOLLGATE_SANDBOX_OK = 0,
    /// fork(2) itself.
    TOLLGATE_SANDBOX_FORK = 1,
    /// unshare(CLONE_NEWUSER | CLONE_NEWNET).
    TOLLGATE_SANDBOX_UNSHARE = 2,
    /// Writing /proc/self/setgroups, uid_map or gid_map.
    TOLLGATE_SANDBOX_ID_MAP = 3,
    /// Bringing the namespace's loopback interface up.
    TOLLGATE_SANDBOX_LOOPBACK = 4,
    /// Redirecting the standard streams.
    TOLLGATE_SANDBOX_STREAMS = 5,
    /// execve(2).
    TOLLGATE_SANDBOX_EXEC = 6,
    /// The pipe that reports the child's failure.
    TOLLGATE_SANDBOX_PIPE = 7,
} tollgate_sandbox_stage;

/// Forks a child that enters a user and network namespace of its own (its uid and gid mapped to themselves),
/// brings that namespace's loopback up, and executes `path` with `argv` and `envp`, in a new process group, with
/// every signal at its default and none blocked, the given descriptors on 0, 1 and 2 (-1 leaves one as it is;
/// `stderr_fd == -2` duplicates standard output), and every other descriptor closed.
///
/// The child calls only async-signal-safe functions between fork and exec. Returns the child's pid, or -1 with
/// `*stage` and `*error` saying which step failed (the child is reaped then: nothing runs).
pid_t tollgate_spawn_isolated(
    const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd, int stderr_fd,
    int *stage, int *error);

#endif
