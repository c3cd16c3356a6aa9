/*
 * Shared helpers of the C tests of libpsws (see run.sh).
 *
 * - Checks: TRY() for steps a test cannot go on without (report, then goto cleanup),
 *   EXPECT_STATUS() and EXPECT() for checks that report and carry on. Every failed
 *   check prints file:line, the call, the status name and psws_last_error().
 * - An event inbox: the server and client callbacks copy each event (its strings are
 *   only valid during the callback) into a queue guarded by a pthread mutex and
 *   condition variable; the test thread takes events out with a bounded wait.
 * - A tiny blocking HTTP/1.1 client that runs on its own thread, for routes whose
 *   request the test thread has to answer.
 *
 * Include this file first: it selects POSIX 2008.
 */
#ifndef PSWS_TEST_COMMON_H
#define PSWS_TEST_COMMON_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psws.h"

/* ---- checks ---------------------------------------------------------------- */

/* Checks made and checks failed so far (all threads). */
extern int g_checks;
extern int g_failures;
/* Upper bound of every wait, in ms: PSWS_TEST_TIMEOUT_MS, default 10000. */
extern unsigned g_timeout_ms;

/* Reads the environment (timeout, verbosity) and checks the ABI version. */
int test_init(const char *program);
/* Prints the one-line result and returns the exit code (0 only if nothing failed). */
int test_finish(const char *program);

/* "PSWS_STATUS_OK", ... ("PSWS_STATUS_<n>" for a number the header does not know). */
const char *status_name(psws_status status);

void report_failure(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records a check of `got` against `want`; prints the call and psws_last_error() on a
 * mismatch, and also when a failing call left psws_last_error() empty. */
bool expect_status(const char *file, int line, const char *call, psws_status got, psws_status want);

#define FAIL(...) report_failure(__FILE__, __LINE__, __VA_ARGS__)

/* Must return PSWS_STATUS_OK; otherwise report and goto cleanup. */
#define TRY(call)                                                                          \
  do {                                                                                     \
    if (!expect_status(__FILE__, __LINE__, #call, (call), PSWS_STATUS_OK)) goto cleanup;   \
  } while (0)

/* Must return `want`; reports and carries on. Evaluates to true on a match. */
#define EXPECT_STATUS(call, want) expect_status(__FILE__, __LINE__, #call, (call), (want))

/* A condition that must hold; reports and carries on. Evaluates to the condition. */
#define EXPECT(cond, ...) expect_true(__FILE__, __LINE__, (cond), __VA_ARGS__)

/* A condition the rest of the test depends on: report, then goto cleanup. */
#define REQUIRE(cond, ...)                                                                 \
  do {                                                                                     \
    if (!expect_true(__FILE__, __LINE__, (cond), __VA_ARGS__)) goto cleanup;              \
  } while (0)

bool expect_true(const char *file, int line, bool cond, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ---- strings --------------------------------------------------------------- */

/* A psws_str for a literal or NUL-terminated C string. */
#define S(text) psws_str_c(text)

/* True if `s` holds exactly the bytes of `text`. */
bool str_is(struct psws_str s, const char *text);
/* A malloc'd, NUL-terminated copy of `s` (NULL only when out of memory). */
char *str_dup(struct psws_str s);
/* The bytes of a list as one NUL-terminated, comma-separated string, for messages and
 * comparisons ("a,b,c"); NULL on error (reported). The caller frees it. */
char *list_join(const psws_list *list);

/* ---- event inbox ----------------------------------------------------------- */

enum { FROM_SERVER = 1, FROM_CLIENT = 2 };

/* One copied event. For server events the connection fields describe
 * event->connection; for client events `name` is the client connection's Name. */
typedef struct item {
  struct item *next;
  int source;     /* FROM_SERVER or FROM_CLIENT */
  uint32_t kind;  /* psws_event_kind or psws_client_event_kind */
  psws_request *request; /* REQUEST: owned by whoever takes the item */
  /* connection (server events) or client Name (client events) */
  bool has_connection;
  uint64_t conn_id;
  char *name, *group, *client_id, *path, *query, *endpoint_name, *host, *remote_ip,
      *user_agent;
  uint32_t scope, protocol;
  uint16_t remote_port;
  int64_t opened_unix_ms;
  /* payloads */
  char *route, *text, *error, *signal_path;
  unsigned char *data;
  size_t data_len;
  bool binary, direct, reconnecting;
  char **groups, **client_ids;
  size_t groups_len, client_ids_len;
  uint16_t close_code;
  uint32_t initiator, attempt;
  int64_t timestamp_unix_ms;
} item;

typedef struct inbox {
  pthread_mutex_t mutex;
  pthread_cond_t cond; /* signalled on every new item; uses CLOCK_MONOTONIC */
  item *head;
  item **tail;
  bool oom; /* an event could not be copied (reported by inbox_wait) */
} inbox;

int inbox_init(inbox *box);
/* Frees every queued item; REQUEST items' requests are freed (answered 500). Call only
 * after the callbacks that feed the inbox are removed (server/client freed). */
void inbox_destroy(inbox *box);

/* psws_event_callback / psws_client_callback: userdata is the inbox. LOG events are
 * printed (with PSWS_TEST_VERBOSE=1), not queued. */
void inbox_server_callback(void *userdata, const struct psws_event *event);
void inbox_client_callback(void *userdata, const struct psws_client_event *event);

/* Takes out the oldest item from `source` of `kind` whose Name is `name` (NULL: any
 * Name), waiting up to g_timeout_ms; other items stay queued. NULL on timeout (a
 * failure is reported with `what`). */
#define inbox_wait(box, source, kind, name, what) \
  inbox_wait_at(__FILE__, __LINE__, (box), (source), (kind), (name), (what))
item *inbox_wait_at(const char *file, int line, inbox *box, int source, uint32_t kind,
                    const char *name, const char *what);
void item_free(item *it);

/* ---- HTTP client on a thread ------------------------------------------------ */

typedef struct http_job {
  pthread_t thread;
  bool started;
  uint16_t port;
  char request[2048];
  int status;    /* HTTP status, or -1 when there was no valid response */
  char *response; /* whole response (malloc'd) */
  size_t response_len;
  const char *body; /* into response */
} http_job;

/* Sends `method path` (plus `extra_headers`, each ending in \r\n) to 127.0.0.1:port on a
 * new thread, with Connection: close; the socket times out after g_timeout_ms. */
bool http_start(http_job *job, uint16_t port, const char *method, const char *path,
                const char *extra_headers);
/* Waits for the thread; returns the HTTP status (-1 on failure). */
int http_finish(http_job *job);
void http_free(http_job *job);

/* A TCP port on 127.0.0.1 that was free a moment ago and has no listener now. */
uint16_t closed_port(void);

/* Current time in ms (CLOCK_MONOTONIC). */
int64_t now_ms(void);

#endif /* PSWS_TEST_COMMON_H */
