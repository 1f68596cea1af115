#ifndef CEPOLL_H
#define CEPOLL_H

#include <stdint.h>

/// Plain functions over epoll and eventfd, whose headers Swift's Glibc module does not expose (and whose
/// `epoll_event` is packed on x86-64): readiness comes back as two plain arrays.

/// A new epoll instance (close-on-exec), or -1 with errno set.
int cepoll_create(void);

/// Waits once for `fd` to be readable (`writable` 0) or writable (1), one-shot: after it fires, the
/// descriptor stays registered but silent until armed again. Adds it on first use. 0, or -1 with errno.
int cepoll_arm(int epfd, int fd, int writable);

/// Stops watching `fd` (before it is closed). 0, or -1 with errno.
int cepoll_remove(int epfd, int fd);

/// Waits up to `timeout_ms` (-1: forever) for at most `max` ready descriptors, written to `fds`.
/// The count, or -1 with errno (EINTR included).
int cepoll_wait(int epfd, int32_t *fds, int max, int timeout_ms);

/// A non-blocking, close-on-exec eventfd that wakes an epoll_wait, or -1 with errno.
int cepoll_eventfd(void);
/// Makes `fd` (an eventfd) readable.
void cepoll_signal(int fd);
/// Reads `fd` (an eventfd) back to not readable.
void cepoll_drain(int fd);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (a GNU extension Swift's Glibc module hides), or -1 with errno.
int cepoll_accept(int listener);

#endif
