// An io_uring echo server, the counterpart of `netbench echo-server` (epoll), for one question only: would
// an io_uring backend raise what this machine can do for the ping-pong scenarios? (bench/uring/README.md)
// Per connection: recv -> send -> recv, all as io_uring operations; submissions and completions are
// batched (one io_uring_submit_and_wait per loop turn); accepts are multishot. Not part of the package.
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { ACCEPT = 1, RECV = 2, SEND = 3 };
enum { MAX_FD = 65536, BUF = 65536 };

static char *bufs[MAX_FD];
static struct io_uring ring;

static struct io_uring_sqe *next_sqe(void) {
  struct io_uring_sqe *s = io_uring_get_sqe(&ring);
  if (s == NULL) {  // submission queue full: hand it to the kernel and take a fresh slot
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
  }
  return s;
}

static void submit(int kind, int fd, int len) {
  struct io_uring_sqe *s = next_sqe();
  if (kind == ACCEPT) io_uring_prep_multishot_accept(s, fd, NULL, NULL, 0);
  else if (kind == RECV) io_uring_prep_recv(s, fd, bufs[fd], BUF, 0);
  else io_uring_prep_send(s, fd, bufs[fd], (size_t)len, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, ((uint64_t)fd << 8) | (uint64_t)kind);
}

int main(void) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0 ||
      getsockname(lfd, (struct sockaddr *)&a, &len) != 0) {
    perror("uring_echo: listen");
    return 1;
  }
  int rc = io_uring_queue_init(4096, &ring, 0);
  if (rc < 0) {
    fprintf(stderr, "uring_echo: io_uring refused (%d): a kernel or seccomp profile without io_uring\n", rc);
    return 1;
  }
  printf("listening %d\n", ntohs(a.sin_port));
  fflush(stdout);
  submit(ACCEPT, lfd, 0);
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe *c;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, c) {
      seen++;
      uint64_t tag = io_uring_cqe_get_data64(c);
      int kind = (int)(tag & 0xff), fd = (int)(tag >> 8), res = c->res;
      if (kind == ACCEPT) {
        if (res >= 0 && res < MAX_FD) {
          setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          if (bufs[res] == NULL) bufs[res] = malloc(BUF);
          submit(RECV, res, 0);
        }
        if (!(c->flags & IORING_CQE_F_MORE)) submit(ACCEPT, lfd, 0);
      } else if (res <= 0 && !(kind == SEND && res == 0)) {
        close(fd);  // end of stream or error
      } else if (kind == RECV) {
        submit(SEND, fd, res);  // ping-pong messages are small: a short send is not handled
      } else {
        submit(RECV, fd, 0);
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
}
