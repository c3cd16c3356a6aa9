/* Shared helpers of the C tests of libpsws; see common.h. */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int g_checks = 0;
int g_failures = 0;
unsigned g_timeout_ms = 10000;
static bool g_verbose = false;
/* Failures can be reported from the HTTP thread too. */
static pthread_mutex_t g_report_mutex = PTHREAD_MUTEX_INITIALIZER;

/* ---- checks ---------------------------------------------------------------- */

int test_init(const char *program) {
  const char *timeout = getenv("PSWS_TEST_TIMEOUT_MS");
  const char *verbose = getenv("PSWS_TEST_VERBOSE");
  if (timeout && *timeout) {
    long ms = strtol(timeout, NULL, 10);
    if (ms > 0) g_timeout_ms = (unsigned)ms;
  }
  g_verbose = verbose && *verbose && strcmp(verbose, "0") != 0;
  struct psws_str version = psws_version();
  if (g_verbose) {
    fprintf(stderr, "%s: libpsws %.*s, ABI %u, waits up to %u ms\n", program, (int)version.len,
            version.ptr, psws_abi_version(), g_timeout_ms);
  }
  if (!EXPECT(psws_abi_version() == PSWS_ABI_VERSION,
              "library ABI %u, header ABI %u", psws_abi_version(), (unsigned)PSWS_ABI_VERSION)) {
    return -1;
  }
  EXPECT(version.ptr != NULL && version.len > 0, "psws_version() is empty");
  return 0;
}

int test_finish(const char *program) {
  pthread_mutex_lock(&g_report_mutex);
  int checks = g_checks, failures = g_failures;
  pthread_mutex_unlock(&g_report_mutex);
  printf("%s: %s (%d checks, %d failed)\n", program, failures ? "FAIL" : "ok", checks, failures);
  fflush(stdout);
  return failures ? 1 : 0;
}

const char *status_name(psws_status status) {
  static const char *const names[] = {
      [PSWS_STATUS_OK] = "PSWS_STATUS_OK",
      [PSWS_STATUS_NULL_ARGUMENT] = "PSWS_STATUS_NULL_ARGUMENT",
      [PSWS_STATUS_INVALID_HANDLE] = "PSWS_STATUS_INVALID_HANDLE",
      [PSWS_STATUS_INVALID_UTF8] = "PSWS_STATUS_INVALID_UTF8",
      [PSWS_STATUS_INVALID_ARGUMENT] = "PSWS_STATUS_INVALID_ARGUMENT",
      [PSWS_STATUS_PANIC] = "PSWS_STATUS_PANIC",
      [PSWS_STATUS_BUFFER_TOO_SMALL] = "PSWS_STATUS_BUFFER_TOO_SMALL",
      [PSWS_STATUS_BIND] = "PSWS_STATUS_BIND",
      [PSWS_STATUS_TLS] = "PSWS_STATUS_TLS",
      [PSWS_STATUS_NOT_RUNNING] = "PSWS_STATUS_NOT_RUNNING",
      [PSWS_STATUS_ALREADY_RUNNING] = "PSWS_STATUS_ALREADY_RUNNING",
      [PSWS_STATUS_STOPPED] = "PSWS_STATUS_STOPPED",
      [PSWS_STATUS_ROUTE] = "PSWS_STATUS_ROUTE",
      [PSWS_STATUS_REQUEST_COMPLETED] = "PSWS_STATUS_REQUEST_COMPLETED",
      [PSWS_STATUS_UPGRADE_REJECTED] = "PSWS_STATUS_UPGRADE_REJECTED",
      [PSWS_STATUS_BROADCAST_LEVEL] = "PSWS_STATUS_BROADCAST_LEVEL",
      [PSWS_STATUS_UNKNOWN_NAME] = "PSWS_STATUS_UNKNOWN_NAME",
      [PSWS_STATUS_UNKNOWN_CONNECTION] = "PSWS_STATUS_UNKNOWN_CONNECTION",
      [PSWS_STATUS_INVALID_CLIENT_ID] = "PSWS_STATUS_INVALID_CLIENT_ID",
      [PSWS_STATUS_NAME_IN_USE] = "PSWS_STATUS_NAME_IN_USE",
      [PSWS_STATUS_UNKNOWN_CLIENT] = "PSWS_STATUS_UNKNOWN_CLIENT",
      [PSWS_STATUS_NOT_CONNECTED] = "PSWS_STATUS_NOT_CONNECTED",
      [PSWS_STATUS_CONNECT] = "PSWS_STATUS_CONNECT",
      [PSWS_STATUS_MESSAGE_TOO_LARGE] = "PSWS_STATUS_MESSAGE_TOO_LARGE",
      [PSWS_STATUS_IN_CALLBACK] = "PSWS_STATUS_IN_CALLBACK",
  };
  static _Thread_local char other[32];
  if (status < sizeof names / sizeof names[0] && names[status]) return names[status];
  snprintf(other, sizeof other, "PSWS_STATUS_<%u>", (unsigned)status);
  return other;
}

static void vreport(const char *file, int line, const char *fmt, va_list args) {
  pthread_mutex_lock(&g_report_mutex);
  g_failures++;
  fprintf(stderr, "FAIL %s:%d: ", file, line);
  vfprintf(stderr, fmt, args);
  fputc('\n', stderr);
  fflush(stderr);
  pthread_mutex_unlock(&g_report_mutex);
}

static void count_check(void) {
  pthread_mutex_lock(&g_report_mutex);
  g_checks++;
  pthread_mutex_unlock(&g_report_mutex);
}

void report_failure(const char *file, int line, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vreport(file, line, fmt, args);
  va_end(args);
}

bool expect_true(const char *file, int line, bool cond, const char *fmt, ...) {
  count_check();
  if (cond) return true;
  va_list args;
  va_start(args, fmt);
  vreport(file, line, fmt, args);
  va_end(args);
  return false;
}

bool expect_status(const char *file, int line, const char *call, psws_status got,
                   psws_status want) {
  count_check();
  /* Read the message first: it belongs to this thread and the next failing call. */
  struct psws_str err = psws_last_error();
  if (got == want) {
    if (got != PSWS_STATUS_OK && err.len == 0) {
      report_failure(file, line, "%s returned %s but psws_last_error() is empty", call,
                     status_name(got));
      return false;
    }
    return true;
  }
  if (got == PSWS_STATUS_OK) {
    report_failure(file, line, "%s returned PSWS_STATUS_OK, expected %s", call, status_name(want));
  } else {
    report_failure(file, line, "%s returned %s (%.*s), expected %s", call, status_name(got),
                   (int)err.len, err.ptr ? err.ptr : "", status_name(want));
  }
  return false;
}

/* ---- strings --------------------------------------------------------------- */

bool str_is(struct psws_str s, const char *text) {
  size_t n = strlen(text);
  if (s.len != n) return false;
  return n == 0 || (s.ptr != NULL && memcmp(s.ptr, text, n) == 0);
}

char *str_dup(struct psws_str s) {
  char *copy = malloc(s.len + 1);
  if (!copy) return NULL;
  if (s.len) memcpy(copy, s.ptr, s.len);
  copy[s.len] = '\0';
  return copy;
}

char *list_join(const psws_list *list) {
  size_t count = 0, total = 1;
  char *joined = NULL;
  if (!EXPECT_STATUS(psws_list_len(list, &count), PSWS_STATUS_OK)) return NULL;
  for (size_t i = 0; i < count; i++) {
    struct psws_str item;
    if (!EXPECT_STATUS(psws_list_get(list, i, &item), PSWS_STATUS_OK)) return NULL;
    total += item.len + 1;
  }
  joined = malloc(total);
  if (!joined) return NULL;
  size_t at = 0;
  for (size_t i = 0; i < count; i++) {
    struct psws_str item = {NULL, 0};
    if (psws_list_get(list, i, &item) != PSWS_STATUS_OK) break;
    if (i) joined[at++] = ',';
    if (item.len) memcpy(joined + at, item.ptr, item.len);
    at += item.len;
  }
  joined[at] = '\0';
  return joined;
}

/* ---- event inbox ----------------------------------------------------------- */

int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int inbox_init(inbox *box) {
  pthread_condattr_t attr;
  memset(box, 0, sizeof *box);
  if (pthread_mutex_init(&box->mutex, NULL) != 0) return -1;
  if (pthread_condattr_init(&attr) != 0) return -1;
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&box->cond, &attr);
  pthread_condattr_destroy(&attr);
  box->tail = &box->head;
  return rc == 0 ? 0 : -1;
}

void item_free(item *it) {
  if (!it) return;
  char **strings[] = {&it->name,  &it->group,         &it->client_id, &it->path,
                      &it->query, &it->endpoint_name, &it->host,      &it->remote_ip,
                      &it->user_agent, &it->route,    &it->text,      &it->error,
                      &it->signal_path};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) free(*strings[i]);
  for (size_t i = 0; i < it->groups_len; i++) free(it->groups[i]);
  for (size_t i = 0; i < it->client_ids_len; i++) free(it->client_ids[i]);
  free(it->groups);
  free(it->client_ids);
  free(it->data);
  free(it);
}

void inbox_destroy(inbox *box) {
  item *it = box->head;
  while (it) {
    item *next = it->next;
    if (it->request) psws_request_free(it->request);
    item_free(it);
    it = next;
  }
  box->head = NULL;
  box->tail = &box->head;
  pthread_cond_destroy(&box->cond);
  pthread_mutex_destroy(&box->mutex);
}

static void push(inbox *box, item *it) {
  pthread_mutex_lock(&box->mutex);
  if (it) {
    *box->tail = it;
    box->tail = &it->next;
  } else {
    box->oom = true;
  }
  pthread_cond_broadcast(&box->cond);
  pthread_mutex_unlock(&box->mutex);
}

/* Copies a string field; sets *ok to false when out of memory. */
static char *copy(struct psws_str s, bool *ok) {
  char *c = str_dup(s);
  if (!c) *ok = false;
  return c;
}

static char **copy_list(const struct psws_str *items, size_t n, bool *ok) {
  if (n == 0) return NULL;
  char **list = calloc(n, sizeof *list);
  if (!list) {
    *ok = false;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) list[i] = copy(items[i], ok);
  return list;
}

static void print_log(const char *who, uint32_t level, struct psws_str text) {
  if (g_verbose) fprintf(stderr, "[%s log %u] %.*s\n", who, level, (int)text.len, text.ptr);
}

void inbox_server_callback(void *userdata, const struct psws_event *event) {
  inbox *box = userdata;
  bool ok = true;
  if (event->kind == PSWS_EVENT_KIND_LOG) {
    print_log("server", event->level, event->text);
    return;
  }
  item *it = calloc(1, sizeof *it);
  if (!it) {
    /* Never keep a request nobody will answer. */
    if (event->request) psws_request_free(event->request);
    push(box, NULL);
    return;
  }
  it->source = FROM_SERVER;
  it->kind = event->kind;
  it->request = event->request;
  if (event->connection) {
    const struct psws_connection_info *c = event->connection;
    it->has_connection = true;
    it->conn_id = c->id;
    it->name = copy(c->name, &ok);
    it->group = copy(c->group, &ok);
    it->client_id = copy(c->client_id, &ok);
    it->path = copy(c->path, &ok);
    it->query = copy(c->query, &ok);
    it->endpoint_name = copy(c->endpoint_name, &ok);
    it->host = copy(c->host, &ok);
    it->remote_ip = copy(c->remote_ip, &ok);
    it->user_agent = copy(c->user_agent, &ok);
    it->scope = c->scope;
    it->protocol = c->protocol;
    it->remote_port = c->remote_port;
    it->opened_unix_ms = c->opened_unix_ms;
  }
  it->route = copy(event->route, &ok);
  it->text = copy(event->text, &ok);
  it->error = copy(event->error, &ok);
  it->signal_path = copy(event->signal_path, &ok);
  if (event->data.len) {
    it->data = malloc(event->data.len);
    if (it->data) {
      memcpy(it->data, event->data.ptr, event->data.len);
      it->data_len = event->data.len;
    } else {
      ok = false;
    }
  }
  it->groups = copy_list(event->groups, event->groups_len, &ok);
  it->groups_len = it->groups ? event->groups_len : 0;
  it->client_ids = copy_list(event->client_ids, event->client_ids_len, &ok);
  it->client_ids_len = it->client_ids ? event->client_ids_len : 0;
  it->direct = event->direct;
  it->close_code = event->close_code;
  it->initiator = event->initiator;
  it->timestamp_unix_ms = event->timestamp_unix_ms;
  if (!ok) {
    if (it->request) psws_request_free(it->request);
    item_free(it);
    it = NULL;
  }
  push(box, it);
}

void inbox_client_callback(void *userdata, const struct psws_client_event *event) {
  inbox *box = userdata;
  bool ok = true;
  if (event->kind == PSWS_CLIENT_EVENT_KIND_LOG) {
    print_log("client", event->level, event->text);
    return;
  }
  item *it = calloc(1, sizeof *it);
  if (!it) {
    push(box, NULL);
    return;
  }
  it->source = FROM_CLIENT;
  it->kind = event->kind;
  it->name = copy(event->name, &ok);
  it->text = copy(event->text, &ok);
  if (event->data.len) {
    /* One extra NUL byte so text payloads can be compared as C strings. */
    it->data = malloc(event->data.len + 1);
    if (it->data) {
      memcpy(it->data, event->data.ptr, event->data.len);
      it->data[event->data.len] = 0;
      it->data_len = event->data.len;
    } else {
      ok = false;
    }
  }
  it->binary = event->binary;
  it->close_code = event->close_code;
  it->initiator = event->initiator;
  it->reconnecting = event->reconnecting;
  it->attempt = event->attempt;
  if (!ok) {
    item_free(it);
    it = NULL;
  }
  push(box, it);
}

static bool matches(const item *it, int source, uint32_t kind, const char *name) {
  return it->source == source && it->kind == kind &&
         (name == NULL || (it->name && strcmp(it->name, name) == 0));
}

item *inbox_wait_at(const char *file, int line, inbox *box, int source, uint32_t kind,
                    const char *name, const char *what) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += g_timeout_ms / 1000;
  deadline.tv_nsec += (long)(g_timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  item *found = NULL;
  bool oom = false;
  pthread_mutex_lock(&box->mutex);
  for (;;) {
    for (item **at = &box->head; *at; at = &(*at)->next) {
      if (matches(*at, source, kind, name)) {
        found = *at;
        *at = found->next;
        if (box->tail == &found->next) box->tail = at;
        found->next = NULL;
        break;
      }
    }
    oom = box->oom;
    if (found || oom) break;
    if (pthread_cond_timedwait(&box->cond, &box->mutex, &deadline) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&box->mutex);
  if (oom) report_failure(file, line, "an event was lost: out of memory in the callback");
  if (!found) {
    report_failure(file, line, "no %s event (kind %u%s%s) within %u ms: %s",
                   source == FROM_SERVER ? "server" : "client", (unsigned)kind,
                   name ? ", name " : "", name ? name : "", g_timeout_ms, what);
  }
  count_check();
  return found;
}

/* ---- HTTP client on a thread ------------------------------------------------ */

static int connect_local(uint16_t port) {
  struct sockaddr_in addr;
  struct timeval tv = {(time_t)(g_timeout_ms / 1000), (long)(g_timeout_ms % 1000) * 1000};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void *http_thread(void *arg) {
  http_job *job = arg;
  size_t cap = 4096, len = 0;
  char *buf = NULL;
  int fd = connect_local(job->port);
  if (fd < 0) goto cleanup;
  size_t total = strlen(job->request), sent = 0;
  while (sent < total) {
    ssize_t n = send(fd, job->request + sent, total - sent, 0);
    if (n <= 0) goto cleanup;
    sent += (size_t)n;
  }
  buf = malloc(cap);
  if (!buf) goto cleanup;
  for (;;) {
    if (len + 1 >= cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) goto cleanup;
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EOF, or the timeout */
    len += (size_t)n;
  }
  buf[len] = '\0';
  int status = 0;
  if (sscanf(buf, "HTTP/1.%*d %d", &status) == 1) {
    char *body = strstr(buf, "\r\n\r\n");
    job->status = status;
    job->body = body ? body + 4 : buf + len;
  }
  job->response = buf;
  job->response_len = len;
  buf = NULL;
cleanup:
  free(buf);
  if (fd >= 0) close(fd);
  return NULL;
}

bool http_start(http_job *job, uint16_t port, const char *method, const char *path,
                const char *extra_headers) {
  memset(job, 0, sizeof *job);
  job->status = -1;
  job->body = "";
  job->port = port;
  int n = snprintf(job->request, sizeof job->request,
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: psws-c-tests\r\n"
                   "Connection: close\r\nContent-Length: 0\r\n%s\r\n",
                   method, path, (unsigned)port, extra_headers ? extra_headers : "");
  if (n < 0 || (size_t)n >= sizeof job->request) return false;
  job->started = pthread_create(&job->thread, NULL, http_thread, job) == 0;
  return job->started;
}

int http_finish(http_job *job) {
  if (job->started) {
    pthread_join(job->thread, NULL);
    job->started = false;
  }
  return job->status;
}

void http_free(http_job *job) {
  http_finish(job);
  free(job->response);
  job->response = NULL;
  job->body = "";
}

uint16_t closed_port(void) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
      getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}
