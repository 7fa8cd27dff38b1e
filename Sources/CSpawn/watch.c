// The process watcher's event loop: one epoll set of pidfds. Here in C because glibc's
// struct epoll_event is packed on x86-64, which Swift does not import faithfully.
#include "spawn.h"

#include <errno.h>
#include <sys/epoll.h>

int paastech_watch_create(void) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int paastech_watch_add(int epoll_fd, int fd) {
    struct epoll_event event = { .events = EPOLLIN | EPOLLONESHOT, .data.fd = fd };
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0 ? -errno : 0;
}

int paastech_watch_remove(int epoll_fd, int fd) {
    return epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

int paastech_watch_wait(int epoll_fd, int *ready, int capacity) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int count;
    do { count = epoll_wait(epoll_fd, events, capacity, -1); } while (count < 0 && errno == EINTR);
    if (count < 0) return -errno;
    for (int i = 0; i < count; i++) ready[i] = events[i].data.fd;
    return count;
}
