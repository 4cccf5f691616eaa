// netbench: the native side of the iocp-net benchmarks. One single-threaded epoll program that is both the
// load generator for the servers under test and the reference server for the clients under test, so the
// report can say how close iocp-net and net come to what this machine does with plain non-blocking sockets.
//
//   netbench echo-server   [--host H] [--port P]                      echo every byte back (ping-pong reference)
//   netbench accept-server [--host H] [--port P]                      accept and close at once (accept reference)
//   netbench bulk-server   --mode sink|source [--chunk 64k] [--host H] [--port P]
//   (servers also take --nested-epoll yes: wait on an epoll set that watches theirs, then take the events
//   without blocking, as iocp-net does inside libuv's loop; it measures what that nesting costs)
//   netbench pingpong      --port P [--host H] [--conns N] [--size 64] [--duration S] [--warmup S]
//   netbench bulk-send     --port P [--chunk 64k] [--duration S] [--warmup S]      write continuously
//   netbench bulk-recv     --port P [--chunk 64k] [--duration S] [--warmup S]      read continuously
//   netbench connect-rate  --port P [--conns-in-flight K] [--duration S] [--warmup S]
//   netbench hold          --port P --conns N [--rate R]               hold N idle connections
//
// Servers print "listening <port>" (port 0 picks a free one) and run until killed. hold prints "held N" once
// every connection is established and holds them until SIGTERM/SIGINT, or until stdin reaches end of file
// when stdin is a pipe. Measuring modes count only after the warm-up, print "measuring" when they start to
// count, and then one JSON line on stdout with their own CPU time over the window (cpu_seconds).
// Every failure (refused, reset, wrong echo, no progress for --stall seconds) exits non-zero with a message
// on stderr, so that a crashed or hung peer fails the benchmark run instead of producing a number.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 1024
#define CONNECTS_IN_FLIGHT 256  // pacing for pingpong/hold set-up: a burst of 10,000 SYNs overflows backlogs

static struct {
  const char *mode, *host, *bulk_mode;
  int port, conns, size, in_flight, nested_epoll;
  long chunk;
  double duration, warmup, stall, rate;
} opt = {NULL, "127.0.0.1", NULL, 0, 1, 64, 64, 0, 64 * 1024, 3.0, 1.0, 10.0, 0};

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "netbench %s: ", opt.mode ? opt.mode : "");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long parse_size(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (*end == 'k' || *end == 'K') v *= 1024;
  else if (*end == 'm' || *end == 'M') v *= 1024 * 1024;
  else if (*end != '\0') die("bad size '%s'", s);
  if (v <= 0) die("bad size '%s'", s);
  return (long)v;
}

static void parse_args(int argc, char **argv) {
  if (argc < 2) die("usage: netbench <mode> [--option value]... (see the comment at the top of netbench.c)");
  opt.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) die("option %s needs a value", k);
    if (!strcmp(k, "--host")) opt.host = v;
    else if (!strcmp(k, "--port")) opt.port = atoi(v);
    else if (!strcmp(k, "--conns")) opt.conns = atoi(v);
    else if (!strcmp(k, "--size")) opt.size = (int)parse_size(v);
    else if (!strcmp(k, "--chunk")) opt.chunk = parse_size(v);
    else if (!strcmp(k, "--mode")) opt.bulk_mode = v;
    else if (!strcmp(k, "--conns-in-flight")) opt.in_flight = atoi(v);
    else if (!strcmp(k, "--duration")) opt.duration = atof(v);
    else if (!strcmp(k, "--warmup")) opt.warmup = atof(v);
    else if (!strcmp(k, "--stall")) opt.stall = atof(v);
    else if (!strcmp(k, "--rate")) opt.rate = atof(v);
    else if (!strcmp(k, "--nested-epoll") && (!strcmp(v, "yes") || !strcmp(v, "no"))) opt.nested_epoll = !strcmp(v, "yes");
    else if (!strcmp(k, "--nested-epoll")) die("--nested-epoll takes yes or no, not '%s'", v);
    else die("unknown option %s", k);
  }
  if (opt.conns < 1 || opt.in_flight < 1 || opt.size < 1 || opt.duration <= 0 || opt.warmup < 0) {
    die("bad option value");
  }
}

// 10,000 held connections need more descriptors than the usual soft limit of 1024.
static int raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur > 1 << 20 ? 1 << 20 : (int)rl.rlim_cur;
}

static struct sockaddr_in target(void) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
  if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1) die("--host must be an IPv4 address, got '%s'", opt.host);
  if (opt.port <= 0 || opt.port > 65535) die("--port is required (1-65535)");
  return sa;
}

static void set_int(int fd, int level, int name, int value) {
  setsockopt(fd, level, name, &value, sizeof value);
}

// SO_LINGER {1, 0}: closing (or exiting) sends RST and frees the port at once. Without it every client
// connection would leave a TIME_WAIT entry behind, and a run opens hundreds of thousands of them.
static void set_abortive_close(int fd) {
  struct linger abortive = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
}

static void epoll_set(int ep, int op, int fd, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (epoll_ctl(ep, op, fd, &ev) != 0) die("epoll_ctl: %s", strerror(errno));
}

// Starts a non-blocking connect; the caller waits for EPOLLOUT and then checks connect_result(), or (connect
// rate) waits for the end of stream, which a failed connect also ends.
static int connect_start(const struct sockaddr_in *sa) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  set_abortive_close(fd);
  if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0 && errno != EINPROGRESS) {
    die("connect %s:%d: %s", opt.host, opt.port, strerror(errno));
  }
  return fd;
}

static void connect_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) die("connect %s:%d: %s", opt.host, opt.port, strerror(err));
}

// One blocking-then-non-blocking connection for the bulk modes.
static int connect_one(void) {
  struct sockaddr_in sa = target();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  set_abortive_close(fd);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect %s:%d: %s", opt.host, opt.port, strerror(errno));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  return fd;
}

// ---- measurement window: counts after the warm-up, fails when nothing moves for --stall seconds ----

static struct {
  double start, window_start, last_progress, cpu_start;
  unsigned long long total, window_base;
  int measuring;
} win;

// This process's CPU time (user + system, all threads), in seconds.
static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void window_begin(void) {
  win.start = win.last_progress = now();
  win.total = win.window_base = 0;
  win.measuring = 0;
}

static void window_add(unsigned long long n) {
  win.total += n;
  if (n > 0) win.last_progress = now();
}

// Returns 1 when the measured window is over.
static int window_tick(void) {
  double t = now();
  if (!win.measuring && t >= win.start + opt.warmup) {
    win.measuring = 1;
    win.window_start = t;
    win.window_base = win.total;
    win.cpu_start = cpu_seconds();
    printf("measuring\n");  // the runner samples the peer's CPU time from here to the result line
    fflush(stdout);
  }
  if (t - win.last_progress > opt.stall) die("no progress for %.0f s: the peer is stuck", opt.stall);
  return win.measuring && t >= win.window_start + opt.duration;
}

static void window_report(const char *unit, double scale, const char *extra) {
  double secs = now() - win.window_start;
  unsigned long long count = win.total - win.window_base;
  printf("{\"mode\":\"%s\",\"value\":%.3f,\"unit\":\"%s\",\"count\":%llu,\"seconds\":%.3f,\"cpu_seconds\":%.4f%s}\n",
         opt.mode, count / secs / scale, unit, count, secs, cpu_seconds() - win.cpu_start, extra);
  fflush(stdout);
}

// ---- servers ----

struct pending { char *buf; size_t len, off; };  // echo bytes the kernel did not take yet

static void serve(void) {
  enum { ECHO, ACCEPT_CLOSE, SINK, SOURCE } kind;
  if (!strcmp(opt.mode, "echo-server")) kind = ECHO;
  else if (!strcmp(opt.mode, "accept-server")) kind = ACCEPT_CLOSE;
  else if (opt.bulk_mode && !strcmp(opt.bulk_mode, "sink")) kind = SINK;
  else if (opt.bulk_mode && !strcmp(opt.bulk_mode, "source")) kind = SOURCE;
  else die("--mode must be sink or source");

  int maxfd = raise_nofile();
  struct pending *pend = calloc((size_t)maxfd, sizeof *pend);
  size_t offs_len = (size_t)maxfd;
  size_t *source_off = calloc(offs_len, sizeof *source_off);  // where each source connection is in the chunk
  size_t bufsize = (size_t)(opt.chunk > 64 * 1024 ? opt.chunk : 64 * 1024);
  char *buf = malloc(bufsize);
  if (!pend || !source_off || !buf) die("out of memory");
  memset(buf, 'x', bufsize);

  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
  if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1) die("--host must be an IPv4 address");
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  set_int(lfd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0) die("bind %s:%d: %s", opt.host, opt.port, strerror(errno));
  if (listen(lfd, 4096) != 0) die("listen: %s", strerror(errno));
  socklen_t salen = sizeof sa;
  getsockname(lfd, (struct sockaddr *)&sa, &salen);
  printf("listening %d\n", ntohs(sa.sin_port));
  fflush(stdout);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_set(ep, EPOLL_CTL_ADD, lfd, EPOLLIN);
  int outer = -1;
  if (opt.nested_epoll) {
    outer = epoll_create1(EPOLL_CLOEXEC);
    epoll_set(outer, EPOLL_CTL_ADD, ep, EPOLLIN);
  }
  struct epoll_event evs[MAX_EVENTS];
  for (;;) {
    struct epoll_event ready;
    if (outer >= 0 && epoll_wait(outer, &ready, 1, -1) < 0) continue;  // EINTR
    int n = epoll_wait(ep, evs, MAX_EVENTS, outer >= 0 ? 0 : -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) {
            if (errno == EAGAIN || errno == ECONNABORTED || errno == EINTR) break;
            die("accept: %s", strerror(errno));
          }
          if (kind == ACCEPT_CLOSE) { close(c); continue; }
          set_int(c, IPPROTO_TCP, TCP_NODELAY, 1);
          source_off[c] = 0;
          epoll_set(ep, EPOLL_CTL_ADD, c, kind == SOURCE ? EPOLLOUT : EPOLLIN);
        }
        continue;
      }
      int closing = 0;
      if (kind == SOURCE) {
        for (;;) {  // keep the send buffer full
          ssize_t w = send(fd, buf + source_off[fd], (size_t)opt.chunk - source_off[fd], MSG_NOSIGNAL);
          if (w < 0) { closing = errno != EAGAIN; break; }
          source_off[fd] = (source_off[fd] + (size_t)w) % (size_t)opt.chunk;
        }
      } else if (pend[fd].buf != NULL) {  // echo: drain what the kernel refused before reading more
        struct pending *p = &pend[fd];
        ssize_t w = send(fd, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) closing = 1;
        else if (w > 0 && (p->off += (size_t)w) == p->len) {
          free(p->buf);
          p->buf = NULL;
          epoll_set(ep, EPOLL_CTL_MOD, fd, EPOLLIN);
        }
      } else {
        ssize_t r = recv(fd, buf, bufsize, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN)) closing = 1;
        else if (r > 0 && kind == ECHO) {
          ssize_t w = send(fd, buf, (size_t)r, MSG_NOSIGNAL);
          if (w < 0 && errno != EAGAIN) closing = 1;
          else if (w < r) {
            size_t done = w < 0 ? 0 : (size_t)w;
            pend[fd] = (struct pending){malloc((size_t)r - done), (size_t)r - done, 0};
            memcpy(pend[fd].buf, buf + done, (size_t)r - done);
            epoll_set(ep, EPOLL_CTL_MOD, fd, EPOLLOUT);
          }
        }
      }
      if (closing) {
        free(pend[fd].buf);
        pend[fd].buf = NULL;
        close(fd);  // also removes it from the epoll set
      }
    }
  }
}

// ---- ping-pong client ----

struct pp_conn { int connected; int got; uint64_t seq; };

static void fill_message(char *msg, uint64_t seq, int fd) {
  for (int i = 0; i < opt.size; i++) msg[i] = (char)('a' + (seq + (uint64_t)i + (uint64_t)fd) % 26);
}

static void send_message(int fd, struct pp_conn *c, char *msg) {
  fill_message(msg, c->seq, fd);
  ssize_t w = send(fd, msg, (size_t)opt.size, MSG_NOSIGNAL);
  // One small message in flight never fills a socket buffer; anything else is a broken peer.
  if (w != opt.size) die("send on connection fd %d: %s", fd, w < 0 ? strerror(errno) : "short write");
}

static void pingpong(void) {
  int maxfd = raise_nofile();
  if (opt.conns + 16 > maxfd) die("--conns %d exceeds the descriptor limit %d", opt.conns, maxfd);
  struct sockaddr_in sa = target();
  struct pp_conn *conns = calloc((size_t)maxfd, sizeof *conns);
  char *msg = malloc((size_t)opt.size), *expect = malloc((size_t)opt.size), *rbuf = malloc((size_t)opt.size);
  if (!conns || !msg || !expect || !rbuf) die("out of memory");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event evs[MAX_EVENTS];

  // Connect, at most CONNECTS_IN_FLIGHT at a time; the first message goes out as soon as each is connected.
  int opened = 0, connected = 0;
  double deadline = now() + 30 + opt.conns / 100.0;
  window_begin();
  int started = 0;
  for (;;) {
    while (opened < opt.conns && opened - connected < CONNECTS_IN_FLIGHT) {
      int fd = connect_start(&sa);
      conns[fd] = (struct pp_conn){0, 0, 0};
      epoll_set(ep, EPOLL_CTL_ADD, fd, EPOLLOUT);
      opened++;
    }
    if (!started && connected == opt.conns) {
      started = 1;
      window_begin();  // the warm-up starts when every connection is up
    }
    if (started && window_tick()) break;
    if (!started && now() > deadline) die("only %d of %d connections established in time", connected, opt.conns);
    int n = epoll_wait(ep, evs, MAX_EVENTS, 50);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      struct pp_conn *c = &conns[fd];
      if (!c->connected) {
        connect_result(fd);
        c->connected = 1;
        connected++;
        set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
        epoll_set(ep, EPOLL_CTL_MOD, fd, EPOLLIN);
        send_message(fd, c, msg);
        continue;
      }
      // Read at most what is missing of the one message in flight.
      ssize_t r = recv(fd, rbuf + c->got, (size_t)(opt.size - c->got), 0);
      if (r == 0) die("the server closed connection fd %d", fd);
      if (r < 0) {
        if (errno == EAGAIN) continue;
        die("recv on connection fd %d: %s", fd, strerror(errno));
      }
      c->got += (int)r;
      if (c->got < opt.size) continue;
      fill_message(expect, c->seq, fd);
      if (memcmp(rbuf, expect, (size_t)opt.size) != 0) die("connection fd %d: the echo differs from what was sent", fd);
      c->got = 0;
      c->seq++;
      if (started) window_add(1);
      send_message(fd, c, msg);
    }
  }
  char extra[64];
  snprintf(extra, sizeof extra, ",\"conns\":%d,\"size\":%d", opt.conns, opt.size);
  window_report("round trips/s", 1, extra);
}

// ---- bulk clients: one connection, non-blocking, the send or receive buffer kept busy ----

static void bulk(int sending) {
  int fd = connect_one();
  char *buf = malloc((size_t)opt.chunk);
  if (!buf) die("out of memory");
  memset(buf, 'y', (size_t)opt.chunk);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_set(ep, EPOLL_CTL_ADD, fd, sending ? EPOLLOUT : EPOLLIN);
  struct epoll_event ev;
  size_t off = 0;  // position inside the current write
  window_begin();
  while (!window_tick()) {
    int n = epoll_wait(ep, &ev, 1, 50);
    if (n <= 0) continue;
    for (int burst = 0; burst < 16; burst++) {  // bounded, so that the clock is read often enough
      ssize_t k = sending ? send(fd, buf + off, (size_t)opt.chunk - off, MSG_NOSIGNAL)
                          : recv(fd, buf, (size_t)opt.chunk, 0);
      if (k == 0) die("the server closed the connection");
      if (k < 0) {
        if (errno == EAGAIN) break;
        die("%s: %s", sending ? "send" : "recv", strerror(errno));
      }
      if (sending) off = (off + (size_t)k) % (size_t)opt.chunk;
      window_add((unsigned long long)k);
    }
  }
  char extra[64];
  snprintf(extra, sizeof extra, ",\"chunk\":%ld", opt.chunk);
  window_report("MB/s", 1e6, extra);
}

// ---- connect rate: connect, wait for the server's FIN, close with RST, repeat ----
//
// This side must cost the server under test nothing but the connections themselves, and its own cost per
// connection must not depend on the server's timing. At these rates it needs most of a core, so both matter:
//  - Each connection is watched for its end only (EPOLLIN | EPOLLRDHUP from the start), not first for
//    EPOLLOUT and then for the FIN. With both, a FIN that arrived before this side polled came with the
//    connect completion in one event, and a later one took a second event, an EAGAIN recv and an epoll_ctl:
//    a server that closed a little later was measured as slower than it was. A failed connect still ends
//    the wait (EPOLLERR), and its recv() reports the error.
//  - It polls without sleeping. A sleeping load generator is woken by every FIN, and on loopback the
//    server's close() pays for that wake-up: measured on the 2-core VM, node's net server then spent ~18%
//    more CPU per connection (_raw_spin_unlock_irqrestore up from 11% to 15% of its profile).
static void connect_rate(void) {
  raise_nofile();
  struct sockaddr_in sa = target();
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event evs[MAX_EVENTS];
  unsigned long long resets = 0;
  window_begin();
  for (int i = 0; i < opt.in_flight; i++) epoll_set(ep, EPOLL_CTL_ADD, connect_start(&sa), EPOLLIN | EPOLLRDHUP);
  while (!window_tick()) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, 0);  // never sleeps: see above
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      char b[16];
      ssize_t r = recv(fd, b, sizeof b, 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r > 0) die("the server sent data; it should close at once");
      if (r < 0 && errno != ECONNRESET) die("connect %s:%d: %s", opt.host, opt.port, strerror(errno));
      if (r < 0) resets++;  // closed all the same, with RST instead of FIN
      close(fd);  // connect_start() made the close abortive: no TIME_WAIT pile-up at this rate
      window_add(1);
      epoll_set(ep, EPOLL_CTL_ADD, connect_start(&sa), EPOLLIN | EPOLLRDHUP);
    }
  }
  char extra[64];
  snprintf(extra, sizeof extra, ",\"in_flight\":%d,\"resets\":%llu", opt.in_flight, resets);
  window_report("connections/s", 1, extra);
}

// ---- hold: N idle connections for the memory scenario ----
//
// --rate R opens at most R connections per second. Without it, a burst outruns a server that accepts more
// slowly than the kernel completes handshakes: its accept queue overflows, the kernel drops the final ACKs,
// and connections that this side counts as established may never reach the server. An idle connection never
// sends anything that would reveal it, so the server would wait forever for the last few.

static void hold(void) {
  int maxfd = raise_nofile();
  if (opt.conns + 16 > maxfd) die("--conns %d exceeds the descriptor limit %d", opt.conns, maxfd);
  struct sockaddr_in sa = target();
  char *up = calloc((size_t)maxfd, 1);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event evs[MAX_EVENTS];
  struct stat st;
  int watch_stdin = fstat(0, &st) == 0 && S_ISFIFO(st.st_mode);
  if (watch_stdin) epoll_set(ep, EPOLL_CTL_ADD, 0, EPOLLIN);
  int opened = 0, connected = 0, announced = 0;
  double start = now(), deadline = start + 30 + opt.conns / 100.0;
  for (;;) {
    int allowed = opt.rate > 0 ? (int)(opt.rate * (now() - start)) + 1 : opt.conns;
    while (opened < opt.conns && opened < allowed && opened - connected < CONNECTS_IN_FLIGHT) {
      epoll_set(ep, EPOLL_CTL_ADD, connect_start(&sa), EPOLLOUT);
      opened++;
    }
    if (!announced && connected == opt.conns) {
      printf("held %d\n", connected);
      fflush(stdout);
      announced = 1;
    }
    if (!announced && now() > deadline) die("only %d of %d connections established in time", connected, opt.conns);
    int n = epoll_wait(ep, evs, MAX_EVENTS, opened < opt.conns ? 2 : 100);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == 0) {
        char b[256];
        if (read(0, b, sizeof b) <= 0) exit(0);
        continue;
      }
      if (!up[fd]) {
        connect_result(fd);
        up[fd] = 1;
        connected++;
        epoll_set(ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLRDHUP);
        continue;
      }
      die("the server closed or reset held connection fd %d (%d connected)", fd, connected);
    }
  }
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  const char *m = opt.mode;
  if (!strcmp(m, "echo-server") || !strcmp(m, "accept-server") || !strcmp(m, "bulk-server")) serve();
  else if (!strcmp(m, "pingpong")) pingpong();
  else if (!strcmp(m, "bulk-send")) bulk(1);
  else if (!strcmp(m, "bulk-recv")) bulk(0);
  else if (!strcmp(m, "connect-rate")) connect_rate();
  else if (!strcmp(m, "hold")) hold();
  else die("unknown mode '%s'", m);
  return 0;
}
