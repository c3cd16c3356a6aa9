/*
 * backplane: two psws_servers joined through a real redis-server (started here on a
 * free port, stopped by its pid, also when a check fails; it dies with this process).
 *
 * Covered: psws_backplane_config_default; psws_server_set_backplane (bad URL, NULL
 * arguments, after start); psws_server_backplane_status without and with a backplane;
 * a send on node A reaching a client of node B; B's client id in A's list; the
 * Published/Received counters.
 *
 * Every wait is bounded (PSWS_TEST_TIMEOUT_MS, default 10 s); nothing depends on timing.
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM "backplane"
#define NO_FILTER NULL, 0

typedef struct fixture {
  inbox box;
  bool box_ready;
  pid_t redis;
  uint16_t redis_port;
  char redis_url[64];
  psws_server *a, *b;
  uint16_t a_port, b_port;
  psws_client *client;
} fixture;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static bool port_answers(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
  close(fd);
  return ok;
}

/* Starts redis-server on a free port (before any engine thread exists) and waits
 * until it accepts connections. */
static int start_redis(fixture *f) {
  f->redis_port = closed_port();
  REQUIRE(f->redis_port != 0, "no free port for redis-server");
  char port[16];
  snprintf(port, sizeof port, "%u", (unsigned)f->redis_port);
  f->redis = fork();
  REQUIRE(f->redis >= 0, "fork failed");
  if (f->redis == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", (char *)NULL);
    _exit(127);
  }
  snprintf(f->redis_url, sizeof f->redis_url, "redis://127.0.0.1:%u/0", (unsigned)f->redis_port);
  int64_t deadline = now_ms() + g_timeout_ms;
  while (!port_answers(f->redis_port)) {
    int status;
    REQUIRE(waitpid(f->redis, &status, WNOHANG) == 0, "redis-server exited (is it installed?)");
    REQUIRE(now_ms() < deadline, "redis-server did not listen on port %s", port);
    sleep_ms(20);
  }
  return 0;
cleanup:
  return -1;
}

static void stop_redis(fixture *f) {
  if (f->redis > 0) {
    kill(f->redis, SIGKILL);
    waitpid(f->redis, NULL, 0);
    f->redis = 0;
  }
}

static int new_node(fixture *f, psws_server **server, uint16_t *port) {
  struct psws_backplane_config config;
  struct psws_bound_endpoint bound;
  size_t count = 0;
  TRY(psws_backplane_config_default(&config));
  config.url = S(f->redis_url);
  TRY(psws_server_new(NULL, server));
  TRY(psws_server_set_callback(*server, inbox_server_callback, &f->box));
  struct psws_endpoint ws = {S("ws"), PSWS_PROTOCOL_WS, S("127.0.0.1"), 0, S(""), S(""), S(""), false};
  TRY(psws_server_add_endpoint(*server, &ws));
  TRY(psws_server_set_backplane(*server, &config));
  TRY(psws_server_start(*server, &count));
  TRY(psws_server_endpoint(*server, 0, &bound));
  *port = bound.port;
  return 0;
cleanup:
  return -1;
}

/* Defaults and refusals, on a server that is never started. */
static int settings(void) {
  struct psws_backplane_config config;
  struct psws_backplane_status status;
  psws_server *server = NULL;
  int rc = -1;
  TRY(psws_backplane_config_default(&config));
  EXPECT(config.outbox_messages == 10000 && config.outbox_bytes == 64u * 1024 * 1024,
         "default outbox %llu messages / %llu bytes", (unsigned long long)config.outbox_messages,
         (unsigned long long)config.outbox_bytes);
  EXPECT(str_is(config.channel_prefix, "psws") && config.url.len == 0, "default prefix/url");
  EXPECT(config.presence_ttl_ms == 15000, "default presence ttl %llu",
         (unsigned long long)config.presence_ttl_ms);
  TRY(psws_server_new(NULL, &server));

  EXPECT_STATUS(psws_server_set_backplane(server, &config), PSWS_STATUS_INVALID_ARGUMENT);
  config.url = S("rediss://127.0.0.1:6379");
  EXPECT_STATUS(psws_server_set_backplane(server, &config), PSWS_STATUS_INVALID_ARGUMENT);
  config.url = S("redis://127.0.0.1:1/0");
  config.outbox_messages = 0;
  EXPECT_STATUS(psws_server_set_backplane(server, &config), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_server_set_backplane(server, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_set_backplane(NULL, &config), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_backplane_config_default(NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_backplane_status(server, NULL), PSWS_STATUS_NULL_ARGUMENT);
  TRY(psws_server_backplane_status(server, &status));
  EXPECT(!status.enabled && !status.connected && status.published == 0, "status without a backplane");
  rc = 0;
cleanup:
  EXPECT_STATUS(psws_server_free(server), PSWS_STATUS_OK);
  return rc;
}

static bool linked(fixture *f) {
  struct psws_backplane_status a, b;
  int64_t deadline = now_ms() + g_timeout_ms;
  for (;;) {
    if (psws_server_backplane_status(f->a, &a) != PSWS_STATUS_OK ||
        psws_server_backplane_status(f->b, &b) != PSWS_STATUS_OK)
      return EXPECT(false, "psws_server_backplane_status failed");
    if (a.enabled && a.connected && b.enabled && b.connected) return true;
    if (now_ms() > deadline) return EXPECT(false, "the nodes did not connect to Redis");
    sleep_ms(20);
  }
}

/* Waits until A's outbox is empty: B can deliver an entry before A has read Redis's reply. */
static bool acknowledged(fixture *f, struct psws_backplane_status *status) {
  int64_t deadline = now_ms() + g_timeout_ms;
  for (;;) {
    if (psws_server_backplane_status(f->a, status) != PSWS_STATUS_OK)
      return EXPECT(false, "psws_server_backplane_status failed");
    if (status->outbox_depth == 0) return true;
    if (now_ms() > deadline) return EXPECT(false, "A's outbox did not empty");
    sleep_ms(20);
  }
}

/* A send on A reaches a client of B; B's client shows in A's list. */
static int across(fixture *f) {
  struct psws_client_config client_config;
  struct psws_backplane_config config;
  struct psws_backplane_status status;
  const struct psws_str feed[] = {S("/feed")};
  psws_list *list = NULL;
  char url[128], *ids = NULL;
  size_t reached = 99;
  item *it = NULL;

  REQUIRE(linked(f), "not linked");
  TRY(psws_client_config_default(&client_config));
  client_config.connect_timeout_ms = g_timeout_ms;
  TRY(psws_client_new(&client_config, &f->client));
  TRY(psws_client_set_callback(f->client, inbox_client_callback, &f->box));
  snprintf(url, sizeof url, "ws://127.0.0.1:%u/feed", (unsigned)f->b_port);
  TRY(psws_client_connect(f->client, S("on-b"), S(url), NULL));
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_CONNECT, "/feed", "on-b connects to B");
  REQUIRE(it != NULL, "no CONNECT on B");
  item_free(it);

  TRY(psws_server_send(f->a, feed, 1, NO_FILTER, NO_FILTER, (const uint8_t *)"from a", 6, &reached));
  EXPECT(reached == 0, "A has no client of its own, reached %zu", reached);
  it = inbox_wait(&f->box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_MESSAGE, "on-b", "A's send on B");
  REQUIRE(it != NULL, "A's send did not reach B's client");
  EXPECT(it->data_len == 6 && memcmp(it->data, "from a", 6) == 0, "B's client got '%s'", (char *)it->data);
  item_free(it);

  REQUIRE(acknowledged(f, &status), "A's broadcast was not acknowledged");
  EXPECT(status.enabled && status.published == 1 && status.dropped == 0 && status.outbox_depth == 0,
         "A: published %llu dropped %llu depth %llu", (unsigned long long)status.published,
         (unsigned long long)status.dropped, (unsigned long long)status.outbox_depth);
  TRY(psws_server_backplane_status(f->b, &status));
  EXPECT(status.received == 1, "B received %llu", (unsigned long long)status.received);

  /* Presence: A lists B's client (written on connect, read every second at most). */
  int64_t deadline = now_ms() + g_timeout_ms;
  for (;;) {
    if (psws_server_signal_client_ids(f->a, S("/feed"), NO_FILTER, &list) == PSWS_STATUS_OK) {
      ids = list_join(list);
      TRY(psws_list_free(list));
      list = NULL;
      if (ids && strlen(ids) > 0 && strchr(ids, ',') == NULL) break;
      free(ids);
      ids = NULL;
    }
    REQUIRE(now_ms() < deadline, "A never listed B's client");
    sleep_ms(50);
  }

  TRY(psws_backplane_config_default(&config));
  config.url = S(f->redis_url);
  EXPECT_STATUS(psws_server_set_backplane(f->a, &config), PSWS_STATUS_ALREADY_RUNNING);
  free(ids);
  return 0;
cleanup:
  free(ids);
  psws_list_free(list);
  return -1;
}

int main(void) {
  fixture f;
  memset(&f, 0, sizeof f);
  if (test_init(PROGRAM) != 0) goto cleanup;
  if (start_redis(&f) != 0) goto cleanup;
  REQUIRE(inbox_init(&f.box) == 0, "inbox_init failed");
  f.box_ready = true;
  if (settings() != 0) goto cleanup;
  if (new_node(&f, &f.a, &f.a_port) != 0) goto cleanup;
  if (new_node(&f, &f.b, &f.b_port) != 0) goto cleanup;
  if (across(&f) != 0) goto cleanup;

cleanup:
  /* Free the client and servers first: afterwards no callback touches the inbox. */
  EXPECT_STATUS(psws_client_free(f.client), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_free(f.a), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_free(f.b), PSWS_STATUS_OK);
  stop_redis(&f);
  if (f.box_ready) inbox_destroy(&f.box);
  return test_finish(PROGRAM);
}
