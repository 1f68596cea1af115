#define _GNU_SOURCE
#include "CEpoll.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int cepoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int cepoll_arm(int epfd, int fd, int writable) {
    struct epoll_event event = {0};
    event.events = (writable ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT | EPOLLRDHUP;
    event.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event) == 0) return 0;
    if (errno != ENOENT) return -1;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int cepoll_remove(int epfd, int fd) {
    struct epoll_event event = {0};
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &event);
}

int cepoll_wait(int epfd, int32_t *fds, int max, int timeout_ms) {
    struct epoll_event events[256];
    if (max > 256) max = 256;
    int count = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < count; i++) fds[i] = events[i].data.fd;
    return count;
}

int cepoll_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void cepoll_signal(int fd) {
    eventfd_write(fd, 1);
}

void cepoll_drain(int fd) {
    eventfd_t value;
    eventfd_read(fd, &value);
}

int cepoll_accept(int listener) {
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
