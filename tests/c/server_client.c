/*
 * server_client: a psws_server and the library's own psws_client talking over loopback.
 *
 * Covered: endpoints on port 0 and psws_server_endpoint; the native re-broadcast of an
 * envelope; a signal route (SIGNAL events with every envelope field) answered with
 * psws_server_send_direct; BINARY and MESSAGE_ERROR events; an HTTP route answered with
 * psws_request_respond, with X-Pode-Signal-* headers resolved; static files; a no-auto-upgrade
 * endpoint whose route upgrades the request (Name/Group/ClientId, Global and Local
 * scope) after reading psws_request_info; Connect/Disconnect events on both sides;
 * names/groups/client-id lists; sends and broadcast levels; client-id signing (plain,
 * tampered, strict, applied to an upgrade); closes from either side; metrics; stop.
 *
 * Every wait is bounded (PSWS_TEST_TIMEOUT_MS, default 10 s); nothing depends on timing.
 */
#include "common.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "server_client"

typedef struct fixture {
  inbox box;
  bool box_ready;
  psws_server *server;
  psws_client *client;
  uint16_t auto_port;   /* endpoint "auto": Ws with the legacy auto-upgrade */
  uint16_t manual_port; /* endpoint "manual": Ws, no auto-upgrade, upgraded by a route */
  uint64_t upgrade_route;
  uint64_t msg_conn, sig_conn, chat_conn; /* server-side connection ids */
  char msg_client_id[256];
} fixture;

/* ---- helpers ----------------------------------------------------------------- */

/* psws_client_connect on its own thread, so that the test thread can answer the
 * REQUEST event that the handshake produces on a no-auto-upgrade endpoint. */
typedef struct connector {
  pthread_t thread;
  bool started;
  const psws_client *client;
  char name[64];
  char url[256];
  const struct psws_connect_options *options;
  psws_status status;
  char error[512]; /* psws_last_error() is per thread: copied here */
} connector;

static void *connect_thread(void *arg) {
  connector *c = arg;
  c->status = psws_client_connect(c->client, S(c->name), S(c->url), c->options);
  if (c->status != PSWS_STATUS_OK) {
    struct psws_str err = psws_last_error();
    snprintf(c->error, sizeof c->error, "%.*s", (int)err.len, err.ptr ? err.ptr : "");
  }
  return NULL;
}

static bool connect_start(connector *c, const psws_client *client, const char *name,
                          uint16_t port, const char *path,
                          const struct psws_connect_options *options) {
  memset(c, 0, sizeof *c);
  c->client = client;
  c->options = options;
  snprintf(c->name, sizeof c->name, "%s", name);
  snprintf(c->url, sizeof c->url, "ws://127.0.0.1:%u%s", (unsigned)port, path);
  c->started = pthread_create(&c->thread, NULL, connect_thread, c) == 0;
  return EXPECT(c->started, "cannot start a connector thread");
}

/* Joins the connector (bounded: the client's connect_timeout_ms is g_timeout_ms). */
static bool connect_finish(connector *c) {
  if (!c->started) return false;
  pthread_join(c->thread, NULL);
  c->started = false;
  return EXPECT(c->status == PSWS_STATUS_OK, "psws_client_connect(%s, %s) returned %s (%s)",
                c->name, c->url, status_name(c->status), c->error);
}

static bool connect_now(fixture *f, const char *name, uint16_t port, const char *path) {
  char url[256];
  snprintf(url, sizeof url, "ws://127.0.0.1:%u%s", (unsigned)port, path);
  return EXPECT_STATUS(psws_client_connect(f->client, S(name), S(url), NULL), PSWS_STATUS_OK);
}

static bool send_text(fixture *f, const char *name, const char *text) {
  return EXPECT_STATUS(
      psws_client_send(f->client, S(name), (const uint8_t *)text, strlen(text), false),
      PSWS_STATUS_OK);
}

/* The next MESSAGE of client connection `name` must be the text `want`. */
static bool expect_client_text(fixture *f, const char *name, const char *want, const char *what) {
  item *it = inbox_wait(&f->box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_MESSAGE, name, what);
  bool ok = it && EXPECT(!it->binary && it->data_len == strlen(want) &&
                             (it->data_len == 0 || memcmp(it->data, want, it->data_len) == 0),
                         "%s: client %s got %s '%s', expected text '%s'", what, name,
                         it->binary ? "binary" : "text", it->data ? (char *)it->data : "", want);
  item_free(it);
  return ok;
}

/* Case-insensitive search (HTTP header names in a raw response). */
static bool contains_nocase(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t i = 0;
    while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
      i++;
    if (i == n) return true;
  }
  return false;
}

static bool str_contains(struct psws_str s, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= s.len; i++) {
    if (memcmp(s.ptr + i, needle, n) == 0) return true;
  }
  return false;
}

static bool str_is_nocase(struct psws_str s, const char *text) {
  if (s.len != strlen(text)) return false;
  for (size_t i = 0; i < s.len; i++) {
    if (tolower((unsigned char)s.ptr[i]) != tolower((unsigned char)text[i])) return false;
  }
  return true;
}

/* True if the request has header `name` (any case) with exactly `value`. */
static bool has_header(const struct psws_request_info *info, const char *name, const char *value) {
  for (size_t i = 0; i < info->headers_len; i++) {
    if (str_is_nocase(info->headers[i].name, name) && str_is(info->headers[i].value, value))
      return true;
  }
  return false;
}

/* Joins a list into "a,b,c" and compares; reports a mismatch. */
static bool expect_list(psws_list *list, const char *want, const char *what) {
  char *joined = list_join(list);
  bool ok = EXPECT(joined && strcmp(joined, want) == 0, "%s: got [%s], expected [%s]", what,
                   joined ? joined : "?", want);
  free(joined);
  return ok;
}

#define NO_FILTER NULL, 0

/* ---- steps --------------------------------------------------------------------- */

/* A server with two endpoints on ephemeral ports, routes, and a client. */
static int start(fixture *f) {
  struct psws_server_config config;
  struct psws_client_config client_config;
  struct psws_bound_endpoint bound;
  size_t count = 0;
  uint64_t hello_route = 0, signal_route = 0;
  psws_scope scope = PSWS_SCOPE_DEFAULT;
  const struct psws_str manual_only[] = {S("manual")};

  TRY(psws_server_config_default(&config));
  EXPECT(config.max_message_size == 16u * 1024 * 1024, "default max_message_size %llu",
         (unsigned long long)config.max_message_size);
  EXPECT(config.read_buffer_size == 512, "default read_buffer_size %llu",
         (unsigned long long)config.read_buffer_size);
  EXPECT(config.default_scope == PSWS_SCOPE_GLOBAL, "default scope %u", config.default_scope);
  TRY(psws_server_new(&config, &f->server));
  REQUIRE(f->server != NULL, "psws_server_new gave a NULL handle");
  TRY(psws_server_set_callback(f->server, inbox_server_callback, &f->box));

  struct psws_endpoint ws_auto = {S("auto"), PSWS_PROTOCOL_WS, S("127.0.0.1"), 0,
                                  S(""),     S(""),            S(""),          false};
  struct psws_endpoint ws_manual = ws_auto;
  ws_manual.name = S("manual");
  ws_manual.no_auto_upgrade = true;
  TRY(psws_server_add_endpoint(f->server, &ws_auto));
  TRY(psws_server_add_endpoint(f->server, &ws_manual));

  TRY(psws_server_add_route(f->server, S("GET"), S("/upgrade/:room"), manual_only, 1,
                            &f->upgrade_route));
  TRY(psws_server_add_route(f->server, S("GET"), S("/hello"), NULL, 0, &hello_route));
  EXPECT(hello_route != f->upgrade_route, "two routes got the same id %llu",
         (unsigned long long)hello_route);
  TRY(psws_server_add_signal_route(f->server, S("/sig"), NULL, 0, &signal_route));
  EXPECT_STATUS(psws_server_add_route(f->server, S("GET"), S("/hello"), NULL, 0, NULL),
                PSWS_STATUS_ROUTE);

  TRY(psws_server_start(f->server, &count));
  EXPECT(count == 2, "psws_server_start bound %zu endpoints, expected 2", count);
  TRY(psws_server_endpoint(f->server, 0, &bound));
  EXPECT(str_is(bound.name, "auto") && bound.protocol == PSWS_PROTOCOL_WS &&
             str_is(bound.address, "127.0.0.1") && bound.port != 0,
         "endpoint 0 is %.*s %u %.*s:%u", (int)bound.name.len, bound.name.ptr, bound.protocol,
         (int)bound.address.len, bound.address.ptr, bound.port);
  f->auto_port = bound.port;
  TRY(psws_server_endpoint(f->server, 1, &bound));
  EXPECT(str_is(bound.name, "manual") && bound.port != 0 && bound.port != f->auto_port,
         "endpoint 1 is %.*s port %u", (int)bound.name.len, bound.name.ptr, bound.port);
  f->manual_port = bound.port;
  EXPECT_STATUS(psws_server_endpoint(f->server, 2, &bound), PSWS_STATUS_INVALID_ARGUMENT);
  TRY(psws_server_default_scope(f->server, &scope));
  EXPECT(scope == PSWS_SCOPE_GLOBAL, "default scope is %u", (unsigned)scope);

  TRY(psws_client_config_default(&client_config));
  client_config.connect_timeout_ms = g_timeout_ms;
  TRY(psws_client_new(&client_config, &f->client));
  TRY(psws_client_set_callback(f->client, inbox_client_callback, &f->box));
  return 0;
cleanup:
  return -1;
}

/* Auto-upgrade: Name = URL path; an envelope without a signal route is re-broadcast by
 * the engine (the sender is a recipient too). */
static int rebroadcast(fixture *f) {
  item *it = NULL;
  char url[256], got_url[256];
  size_t url_len = 0;
  psws_client_state state = PSWS_CLIENT_STATE_NOT_REGISTERED;

  REQUIRE(connect_now(f, "c1", f->auto_port, "/msg"), "c1 could not connect");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_CONNECT, "/msg", "c1 connects");
  REQUIRE(it != NULL, "no CONNECT for c1");
  EXPECT(it->scope == PSWS_SCOPE_GLOBAL && strcmp(it->path, "/msg") == 0 &&
             strcmp(it->endpoint_name, "auto") == 0 && it->protocol == PSWS_PROTOCOL_WS &&
             strcmp(it->remote_ip, "127.0.0.1") == 0 && it->remote_port != 0 &&
             it->client_id[0] != '\0' && it->opened_unix_ms > 0,
         "CONNECT c1: scope %u path %s endpoint %s protocol %u ip %s:%u client id '%s'",
         it->scope, it->path, it->endpoint_name, it->protocol, it->remote_ip, it->remote_port,
         it->client_id);
  f->msg_conn = it->conn_id;
  snprintf(f->msg_client_id, sizeof f->msg_client_id, "%s", it->client_id);
  item_free(it);
  it = NULL;

  TRY(psws_client_get_state(f->client, S("c1"), &state));
  EXPECT(state == PSWS_CLIENT_STATE_CONNECTED, "c1 state %u", (unsigned)state);
  snprintf(url, sizeof url, "ws://127.0.0.1:%u/msg", (unsigned)f->auto_port);
  TRY(psws_client_url(f->client, S("c1"), got_url, sizeof got_url, &url_len));
  EXPECT(url_len == strlen(got_url) && strncmp(got_url, url, strlen(url)) == 0,
         "c1 url '%s' (len %zu), expected '%s'", got_url, url_len, url);
  EXPECT_STATUS(psws_client_connect(f->client, S("c1"), S(url), NULL), PSWS_STATUS_NAME_IN_USE);

  send_text(f, "c1", "{\"message\":\"hello\"}");
  expect_client_text(f, "c1", "hello", "re-broadcast of {\"message\":\"hello\"}");
  return 0;
cleanup:
  item_free(it);
  return -1;
}

/* A signal route: messages arrive as SIGNAL events (not re-broadcast); the host replies
 * with psws_server_send_direct. */
static int signal_route(fixture *f) {
  item *it = NULL;
  static const uint8_t blob[] = {0, 1, 2, 255};

  REQUIRE(connect_now(f, "c2", f->auto_port, "/sig?room=1"), "c2 could not connect");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_CONNECT, "/sig", "c2 connects");
  REQUIRE(it != NULL, "no CONNECT for c2");
  EXPECT(strcmp(it->query, "room=1") == 0, "c2 query '%s'", it->query);
  f->sig_conn = it->conn_id;
  item_free(it);

  send_text(f, "c2",
            "{\"Message\": {\"text\": \"hi there\", \"n\": 2}, \"path\": \"/msg\", "
            "\"group\": [\"g1\", \"g2\"], \"clientId\": \"abc\", \"direct\": true}");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_SIGNAL, "/sig", "SIGNAL from c2");
  REQUIRE(it != NULL, "no SIGNAL from c2");
  EXPECT(it->conn_id == f->sig_conn, "SIGNAL connection %llu, expected %llu",
         (unsigned long long)it->conn_id, (unsigned long long)f->sig_conn);
  EXPECT(strcmp(it->route, "/sig") == 0, "SIGNAL route '%s'", it->route);
  EXPECT(strcmp(it->text, "{\"text\":\"hi there\",\"n\":2}") == 0, "SIGNAL text '%s'", it->text);
  EXPECT(strcmp(it->signal_path, "/msg") == 0, "SIGNAL path '%s'", it->signal_path);
  EXPECT(it->groups_len == 2 && strcmp(it->groups[0], "g1") == 0 &&
             strcmp(it->groups[1], "g2") == 0,
         "SIGNAL has %zu groups", it->groups_len);
  EXPECT(it->client_ids_len == 1 && strcmp(it->client_ids[0], "abc") == 0,
         "SIGNAL has %zu client ids", it->client_ids_len);
  EXPECT(it->direct, "SIGNAL direct is false");
  EXPECT(it->timestamp_unix_ms > 0, "SIGNAL timestamp %lld", (long long)it->timestamp_unix_ms);
  item_free(it);
  it = NULL;

  TRY(psws_server_send_direct(f->server, f->sig_conn, (const uint8_t *)"reply: hi there", 15,
                              false));
  expect_client_text(f, "c2", "reply: hi there", "direct reply to c2");
  TRY(psws_server_send_direct(f->server, f->sig_conn, blob, sizeof blob, true));
  it = inbox_wait(&f->box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_MESSAGE, "c2", "binary to c2");
  REQUIRE(it != NULL, "no binary message for c2");
  EXPECT(it->binary && it->data_len == sizeof blob && memcmp(it->data, blob, sizeof blob) == 0,
         "c2 got %s of %zu bytes", it->binary ? "binary" : "text", it->data_len);
  item_free(it);
  it = NULL;

  /* A plain envelope on the signal path is a SIGNAL too. Had the engine re-broadcast
   * it, it would sit in c1's and c2's queues before "marker" (sent afterwards). */
  send_text(f, "c2", "{\"message\":\"plain\"}");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_SIGNAL, "/sig", "second SIGNAL");
  REQUIRE(it != NULL, "no second SIGNAL");
  EXPECT(strcmp(it->text, "\"plain\"") == 0 && !it->direct && it->signal_path[0] == '\0' &&
             it->groups_len == 0 && it->client_ids_len == 0,
         "second SIGNAL text '%s'", it->text);
  item_free(it);
  it = NULL;
  send_text(f, "c1", "{\"message\":\"marker\"}");
  expect_client_text(f, "c1", "marker", "c1: the signal was not re-broadcast");
  expect_client_text(f, "c2", "marker", "c2: the signal was not re-broadcast");
  return 0;
cleanup:
  item_free(it);
  return -1;
}

/* BINARY and MESSAGE_ERROR events. */
static int inbound_other(fixture *f) {
  item *it = NULL;
  static const uint8_t blob[] = {9, 8, 7};

  TRY(psws_client_send(f->client, S("c1"), blob, sizeof blob, true));
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_BINARY, "/msg", "BINARY from c1");
  REQUIRE(it != NULL, "no BINARY");
  EXPECT(it->conn_id == f->msg_conn && it->data_len == sizeof blob &&
             memcmp(it->data, blob, sizeof blob) == 0,
         "BINARY of %zu bytes", it->data_len);
  item_free(it);

  send_text(f, "c1", "not json");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_MESSAGE_ERROR, "/msg", "bad envelope");
  REQUIRE(it != NULL, "no MESSAGE_ERROR");
  EXPECT(strcmp(it->text, "not json") == 0 && it->error[0] != '\0',
         "MESSAGE_ERROR text '%s' error '%s'", it->text, it->error);
  item_free(it);

  send_text(f, "c1", "{\"nomessage\":1}");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_MESSAGE_ERROR, "/msg", "no message");
  REQUIRE(it != NULL, "no MESSAGE_ERROR for an envelope without message");
  item_free(it);
  it = NULL;
  return 0;
cleanup:
  item_free(it);
  return -1;
}

/* An HTTP route answered by the host; X-Pode-Signal-* headers name c1's connection. */
static int http_route(fixture *f) {
  http_job job;
  item *it = NULL;
  struct psws_request_info info;
  char headers[512];
  static const struct psws_header reply_headers[] = {{{"X-Test", 6}, {"yes", 3}}};

  snprintf(headers, sizeof headers, "X-Pode-Signal-Name: /msg\r\nX-Pode-Signal-Client-Id: %s\r\n",
           f->msg_client_id);
  REQUIRE(http_start(&job, f->auto_port, "GET", "/hello?x=1&y=%20", headers),
          "cannot start the HTTP thread");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_REQUEST, NULL, "GET /hello");
  REQUIRE(it != NULL && it->request != NULL, "no REQUEST for GET /hello");
  TRY(psws_request_get_info(it->request, &info));
  EXPECT(str_is(info.method, "GET") && str_is(info.path, "/hello") &&
             str_is(info.query, "x=1&y=%20") && str_is(info.route_path, "/hello") &&
             str_is(info.endpoint_name, "auto") && str_is(info.remote_ip, "127.0.0.1") &&
             info.remote_port != 0 && info.body.len == 0 && info.params_len == 0,
         "request info: %.*s %.*s ? %.*s route %.*s endpoint %.*s ip %.*s",
         (int)info.method.len, info.method.ptr, (int)info.path.len, info.path.ptr,
         (int)info.query.len, info.query.ptr, (int)info.route_path.len, info.route_path.ptr,
         (int)info.endpoint_name.len, info.endpoint_name.ptr, (int)info.remote_ip.len,
         info.remote_ip.ptr);
  EXPECT(has_header(&info, "user-agent", "psws-c-tests"), "no User-Agent header in the info");
  EXPECT(info.signal != NULL && info.signal->id == f->msg_conn && str_is(info.signal->name, "/msg"),
         "X-Pode-Signal headers did not resolve to c1's connection");
  TRY(psws_request_respond(it->request, 201, reply_headers, 1, (const uint8_t *)"made", 4));
  EXPECT_STATUS(psws_request_respond(it->request, 200, NULL, 0, NULL, 0),
                PSWS_STATUS_REQUEST_COMPLETED);
  /* The info stays valid until the request is freed. */
  EXPECT(str_is(info.path, "/hello"), "request info changed after the answer");
  TRY(psws_request_free(it->request));
  it->request = NULL;
  EXPECT(http_finish(&job) == 201, "GET /hello answered %d, expected 201", job.status);
  EXPECT(job.response && contains_nocase(job.response, "\r\nx-test: yes\r\n"),
         "the response lacks X-Test: yes");
  EXPECT(strcmp(job.body, "made") == 0, "GET /hello body '%s'", job.body);
  http_free(&job);
  item_free(it);
  return 0;
cleanup:
  if (it && it->request) psws_request_free(it->request);
  item_free(it);
  http_free(&job);
  return -1;
}

/* Static files served by the engine, without the host. */
static int static_files(fixture *f) {
  char dir[] = "/tmp/psws-c-tests-XXXXXX";
  char file[64] = "";
  http_job job;
  bool removed = false;
  FILE *out = NULL;
  int status;
  memset(&job, 0, sizeof job);

  REQUIRE(mkdtemp(dir) != NULL, "mkdtemp failed");
  snprintf(file, sizeof file, "%s/hello.txt", dir);
  out = fopen(file, "w");
  REQUIRE(out != NULL, "cannot write %s", file);
  fputs("static hello", out);
  fclose(out);

  TRY(psws_server_add_static(f->server, S("/files"), S(dir)));
  REQUIRE(http_start(&job, f->auto_port, "GET", "/files/hello.txt", NULL), "HTTP thread");
  status = http_finish(&job);
  EXPECT(status == 200 && strcmp(job.body, "static hello") == 0,
         "GET /files/hello.txt: HTTP %d body '%s'", status, job.body);
  http_free(&job);
  REQUIRE(http_start(&job, f->auto_port, "GET", "/files/..%2f..%2fetc%2fpasswd", NULL), "HTTP");
  status = http_finish(&job);
  EXPECT(status >= 400 && status < 500, "a traversal out of the folder got HTTP %d", status);
  http_free(&job);
  TRY(psws_server_remove_static(f->server, S("/files"), &removed));
  EXPECT(removed, "psws_server_remove_static did not find /files");
  TRY(psws_server_remove_static(f->server, S("/files"), &removed));
  EXPECT(!removed, "/files was removed twice");
  REQUIRE(http_start(&job, f->auto_port, "GET", "/files/hello.txt", NULL), "HTTP thread");
  status = http_finish(&job);
  EXPECT(status == 404, "GET /files/hello.txt after removal: HTTP %d", status);
  http_free(&job);
  unlink(file);
  rmdir(dir);
  return 0;
cleanup:
  http_free(&job);
  if (file[0]) unlink(file);
  rmdir(dir);
  return -1;
}

/* No auto-upgrade: the WebSocket handshake reaches a route, and the host upgrades the
 * request itself after reading it. */
static int manual_upgrade(fixture *f) {
  connector conn;
  item *it = NULL;
  struct psws_request_info info;
  struct psws_connection_info out;
  struct psws_connect_options options;
  static const struct psws_header extra[] = {{{"X-Test-Header", 13}, {"42", 2}}};
  bool ok = false;
  conn.started = false;

  TRY(psws_connect_options_default(&options));
  options.headers = extra;
  options.headers_len = 1;
  REQUIRE(connect_start(&conn, f->client, "c3", f->manual_port, "/upgrade/lobby?x=1", &options),
          "connector");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_REQUEST, NULL, "handshake of c3");
  REQUIRE(it != NULL && it->request != NULL, "no REQUEST for c3's handshake");
  TRY(psws_request_get_info(it->request, &info));
  EXPECT(str_is(info.method, "GET") && str_is(info.path, "/upgrade/lobby") &&
             str_is(info.query, "x=1") && info.route_id == f->upgrade_route &&
             str_is(info.route_path, "/upgrade/:room") && str_is(info.endpoint_name, "manual") &&
             info.endpoint_protocol == PSWS_PROTOCOL_WS && str_is(info.remote_ip, "127.0.0.1") &&
             info.signal == NULL,
         "handshake info: %.*s %.*s route %llu %.*s endpoint %.*s", (int)info.method.len,
         info.method.ptr, (int)info.path.len, info.path.ptr, (unsigned long long)info.route_id,
         (int)info.route_path.len, info.route_path.ptr, (int)info.endpoint_name.len,
         info.endpoint_name.ptr);
  EXPECT(info.params_len == 1 && str_is(info.params[0].name, "room") &&
             str_is(info.params[0].value, "lobby"),
         "route parameters: %zu", info.params_len);
  EXPECT(has_header(&info, "x-test-header", "42"), "the client's extra header is missing");
  EXPECT(has_header(&info, "upgrade", "websocket"), "no Upgrade: websocket header");

  struct psws_upgrade up = {S("Chat"), S("Room1"), S("client-42"), PSWS_SCOPE_DEFAULT};
  ok = EXPECT_STATUS(psws_request_upgrade(it->request, &up, &out), PSWS_STATUS_OK);
  if (ok) {
    EXPECT(str_is(out.name, "Chat") && str_is(out.group, "Room1") &&
               str_is(out.client_id, "client-42") && out.scope == PSWS_SCOPE_GLOBAL &&
               str_is(out.path, "/upgrade/lobby") && str_is(out.query, "x=1") &&
               str_is(out.endpoint_name, "manual") && out.protocol == PSWS_PROTOCOL_WS &&
               out.id != 0,
           "upgrade out: %.*s/%.*s/%.*s scope %u", (int)out.name.len, out.name.ptr,
           (int)out.group.len, out.group.ptr, (int)out.client_id.len, out.client_id.ptr,
           (unsigned)out.scope);
    f->chat_conn = out.id;
  }
  EXPECT_STATUS(psws_request_respond(it->request, 200, NULL, 0, NULL, 0),
                PSWS_STATUS_REQUEST_COMPLETED);
  EXPECT_STATUS(psws_request_upgrade(it->request, &up, &out), PSWS_STATUS_REQUEST_COMPLETED);
  /* Info read before the upgrade is still readable until the free. */
  EXPECT(str_is(info.path, "/upgrade/lobby") && str_is(info.params[0].value, "lobby"),
         "request info changed after the upgrade");
  TRY(psws_request_free(it->request));
  it->request = NULL;
  item_free(it);
  it = NULL;
  REQUIRE(connect_finish(&conn) && ok, "c3 is not connected");

  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_CONNECT, "Chat", "c3 connects as Chat");
  REQUIRE(it != NULL, "no CONNECT for Chat");
  EXPECT(it->conn_id == f->chat_conn && strcmp(it->client_id, "client-42") == 0 &&
             strcmp(it->group, "Room1") == 0,
         "CONNECT Chat: id %llu client id %s group %s", (unsigned long long)it->conn_id,
         it->client_id, it->group);
  item_free(it);
  return 0;
cleanup:
  if (it && it->request) psws_request_free(it->request);
  item_free(it);
  if (conn.started) connect_finish(&conn);
  return -1;
}

/* A Local upgrade: not addressable by Name, closed when its request is freed. */
static int local_upgrade(fixture *f) {
  connector conn;
  item *it = NULL;
  psws_request *request = NULL;
  psws_list *names = NULL;
  struct psws_connection_info out;
  uint64_t local_conn = 0;

  REQUIRE(connect_start(&conn, f->client, "c4", f->manual_port, "/upgrade/local", NULL),
          "connector");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_REQUEST, NULL, "handshake of c4");
  REQUIRE(it != NULL && it->request != NULL, "no REQUEST for c4's handshake");
  request = it->request;
  it->request = NULL;
  item_free(it);
  it = NULL;
  struct psws_upgrade up = {S("Temp"), S(""), S(""), PSWS_SCOPE_LOCAL};
  TRY(psws_request_upgrade(request, &up, &out));
  EXPECT(out.scope == PSWS_SCOPE_LOCAL && out.client_id.len > 0, "local upgrade: scope %u",
         (unsigned)out.scope);
  local_conn = out.id;
  REQUIRE(connect_finish(&conn), "c4 is not connected");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_CONNECT, "Temp", "c4 connects");
  REQUIRE(it != NULL, "no CONNECT for c4");
  EXPECT(it->scope == PSWS_SCOPE_LOCAL, "CONNECT Temp scope %u", it->scope);
  item_free(it);
  it = NULL;

  TRY(psws_server_signal_names(f->server, &names));
  expect_list(names, "/msg,/sig,Chat", "Names while a Local connection is open");
  TRY(psws_server_send_direct(f->server, local_conn, (const uint8_t *)"local hello", 11, false));
  expect_client_text(f, "c4", "local hello", "direct send to a Local connection");

  TRY(psws_request_free(request));
  request = NULL;
  it = inbox_wait(&f->box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_DISCONNECTED, "c4",
                  "c4 closed when its request is freed");
  REQUIRE(it != NULL, "c4 was not closed");
  EXPECT(it->initiator == PSWS_CLOSE_INITIATOR_SERVER && it->close_code == 1000,
         "c4 closed by %u with %u", it->initiator, it->close_code);
  item_free(it);
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_DISCONNECT, "Temp", "Temp disconnects");
  REQUIRE(it != NULL, "no DISCONNECT for Temp");
  EXPECT(it->conn_id == local_conn && it->initiator == PSWS_CLOSE_INITIATOR_SERVER,
         "DISCONNECT Temp: initiator %u", it->initiator);
  item_free(it);
  it = NULL;
  TRY(psws_client_remove(f->client, S("c4")));
  psws_list_free(names);
  return 0;
cleanup:
  if (request) psws_request_free(request);
  if (it && it->request) psws_request_free(it->request);
  item_free(it);
  if (conn.started) connect_finish(&conn);
  psws_list_free(names);
  return -1;
}

/* Names, groups and client ids; sends and broadcast levels. */
static int lists_and_sends(fixture *f) {
  psws_list *list = NULL;
  size_t count = 0, reached = 777;
  bool exists = false;
  psws_broadcast_level level = PSWS_BROADCAST_LEVEL_CLIENT_ID;
  const struct psws_str chat[] = {S("Chat")};
  const struct psws_str room_upper[] = {S("ROOM1")};
  const struct psws_str other_group[] = {S("other")};
  const struct psws_str chat_id[] = {S("client-42")};
  const struct psws_str wrong_id[] = {S("nope")};
  struct psws_str got;

  TRY(psws_server_signal_names(f->server, &list));
  expect_list(list, "/msg,/sig,Chat", "psws_server_signal_names");
  EXPECT_STATUS(psws_list_get(list, 3, &got), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_list_get(list, 0, NULL), PSWS_STATUS_NULL_ARGUMENT);
  TRY(psws_list_free(list));
  list = NULL;
  TRY(psws_server_signal_groups(f->server, S("Chat"), &list));
  expect_list(list, "Room1", "groups of Chat");
  TRY(psws_list_free(list));
  list = NULL;
  TRY(psws_server_signal_client_ids(f->server, S("Chat"), NO_FILTER, &list));
  expect_list(list, "client-42", "client ids of Chat");
  TRY(psws_list_free(list));
  list = NULL;
  TRY(psws_server_signal_client_ids(f->server, S("Chat"), room_upper, 1, &list));
  expect_list(list, "client-42", "client ids of Chat in group ROOM1 (groups ignore case)");
  TRY(psws_list_free(list));
  list = NULL;
  TRY(psws_server_signal_client_ids(f->server, S("Chat"), other_group, 1, &list));
  expect_list(list, "", "client ids of Chat in group other");
  TRY(psws_list_free(list));
  list = NULL;
  EXPECT_STATUS(psws_server_signal_groups(f->server, S("Nope"), &list), PSWS_STATUS_UNKNOWN_NAME);
  EXPECT(list == NULL, "a failed call wrote its output");
  EXPECT_STATUS(psws_server_signal_groups(f->server, S("chat"), &list), PSWS_STATUS_UNKNOWN_NAME);
  TRY(psws_client_names(f->client, &list));
  expect_list(list, "c1,c2,c3", "psws_client_names");
  TRY(psws_list_free(list));
  list = NULL;

  TRY(psws_server_signal_count(f->server, S(""), &count));
  EXPECT(count == 3, "signal count %zu, expected 3", count);
  TRY(psws_server_signal_count(f->server, S("Chat"), &count));
  EXPECT(count == 1, "signal count of Chat %zu, expected 1", count);
  TRY(psws_server_signal_exists(f->server, S("Chat"), room_upper, 1, chat_id, 1, &exists));
  EXPECT(exists, "Chat/ROOM1/client-42 does not exist");
  TRY(psws_server_signal_exists(f->server, S("Chat"), NO_FILTER, wrong_id, 1, &exists));
  EXPECT(!exists, "Chat/nope exists");

  TRY(psws_server_send(f->server, chat, 1, NO_FILTER, NO_FILTER, (const uint8_t *)"to chat", 7,
                       &reached));
  EXPECT(reached == 1, "send to Chat reached %zu", reached);
  expect_client_text(f, "c3", "to chat", "send to Name Chat");

  TRY(psws_server_send(f->server, NULL, 0, NO_FILTER, NO_FILTER, (const uint8_t *)"all", 3,
                       &reached));
  EXPECT(reached == 3, "send to every Name reached %zu, expected 3", reached);
  expect_client_text(f, "c1", "all", "c1: send to every Name");
  expect_client_text(f, "c2", "all", "c2: send to every Name");
  expect_client_text(f, "c3", "all", "c3: send to every Name");

  TRY(psws_server_set_broadcast_level(f->server, S("Chat"), PSWS_BROADCAST_LEVEL_GROUP));
  TRY(psws_server_broadcast_level(f->server, S("CHAT"), &level));
  EXPECT(level == PSWS_BROADCAST_LEVEL_GROUP, "level of CHAT %u", (unsigned)level);
  TRY(psws_server_broadcast_level(f->server, S("other"), &level));
  EXPECT(level == PSWS_BROADCAST_LEVEL_NAME, "level of other %u", (unsigned)level);
  reached = 777;
  EXPECT_STATUS(psws_server_send(f->server, chat, 1, NO_FILTER, NO_FILTER,
                                 (const uint8_t *)"blocked", 7, &reached),
                PSWS_STATUS_BROADCAST_LEVEL);
  EXPECT(reached == 777, "a refused send wrote out_reached (%zu)", reached);
  TRY(psws_server_send(f->server, chat, 1, room_upper, 1, NO_FILTER,
                       (const uint8_t *)"group ok", 8, &reached));
  EXPECT(reached == 1, "send to Chat/ROOM1 reached %zu", reached);
  expect_client_text(f, "c3", "group ok", "send at level GROUP");
  TRY(psws_server_set_broadcast_level(f->server, S("*"), PSWS_BROADCAST_LEVEL_CLIENT_ID));
  TRY(psws_server_set_broadcast_level(f->server, S("Chat"), PSWS_BROADCAST_LEVEL_CLIENT_ID));
  EXPECT_STATUS(psws_server_send(f->server, chat, 1, room_upper, 1, NO_FILTER,
                                 (const uint8_t *)"blocked", 7, NULL),
                PSWS_STATUS_BROADCAST_LEVEL);
  EXPECT_STATUS(psws_server_send(f->server, NULL, 0, NO_FILTER, NO_FILTER,
                                 (const uint8_t *)"blocked", 7, NULL),
                PSWS_STATUS_BROADCAST_LEVEL);
  TRY(psws_server_send(f->server, chat, 1, NO_FILTER, chat_id, 1, (const uint8_t *)"id ok", 5,
                       &reached));
  expect_client_text(f, "c3", "id ok", "send at level CLIENT_ID");
  TRY(psws_server_set_broadcast_level(f->server, S("*"), PSWS_BROADCAST_LEVEL_NAME));
  TRY(psws_server_set_broadcast_level(f->server, S("Chat"), PSWS_BROADCAST_LEVEL_NAME));
  return 0;
cleanup:
  psws_list_free(list);
  return -1;
}

/* Client-id signing: plain, tampered, strict, and applied to an upgrade. */
static int signing(fixture *f) {
  char id[256], other[256], tampered[256];
  size_t len = 0, other_len = 0;
  bool enabled = true, is_signed = false, valid = false;
  connector conn;
  item *it = NULL;
  struct psws_connection_info out;
  size_t closed = 0;
  conn.started = false;

  TRY(psws_server_signing_enabled(f->server, &enabled));
  EXPECT(!enabled, "signing is on before psws_server_enable_signing");
  TRY(psws_server_test_client_id(f->server, S("plain"), S(""), S(""), &is_signed, &valid));
  EXPECT(!is_signed && valid, "signing off: plain id signed %d valid %d", is_signed, valid);
  EXPECT_STATUS(psws_server_sign_client_id(f->server, S("plain"), S(""), S(""), id, sizeof id, &len),
                PSWS_STATUS_INVALID_ARGUMENT);

  TRY(psws_server_enable_signing(f->server, S("s3cret"), false));
  TRY(psws_server_signing_enabled(f->server, &enabled));
  EXPECT(enabled, "signing is off after psws_server_enable_signing");
  TRY(psws_server_new_client_id(f->server, S(""), S("ua"), S("127.0.0.1"), id, sizeof id, &len));
  EXPECT(len > 0 && len == strlen(id), "new client id length %zu, strlen %zu", len, strlen(id));
  TRY(psws_server_test_client_id(f->server, S(id), S("ua"), S("127.0.0.1"), &is_signed, &valid));
  EXPECT(is_signed && valid, "a new signed id: signed %d valid %d", is_signed, valid);

  /* Tamper with the last character. */
  snprintf(tampered, sizeof tampered, "%s", id);
  tampered[len - 1] = tampered[len - 1] == 'A' ? 'B' : 'A';
  TRY(psws_server_test_client_id(f->server, S(tampered), S("ua"), S("127.0.0.1"), &is_signed,
                                 &valid));
  EXPECT(!is_signed && !valid, "a tampered id: signed %d valid %d", is_signed, valid);
  EXPECT_STATUS(psws_server_new_client_id(f->server, S(tampered), S("ua"), S("127.0.0.1"), other,
                                          sizeof other, &other_len),
                PSWS_STATUS_INVALID_CLIENT_ID);
  TRY(psws_server_test_client_id(f->server, S("plain"), S(""), S(""), &is_signed, &valid));
  EXPECT(!is_signed && !valid, "signing on: plain id signed %d valid %d", is_signed, valid);

  TRY(psws_server_sign_client_id(f->server, S("plain"), S(""), S(""), other, sizeof other,
                                 &other_len));
  EXPECT(strcmp(other, "plain") != 0 && other_len == strlen(other), "signed 'plain' is '%s'", other);
  TRY(psws_server_test_client_id(f->server, S(other), S("x"), S("10.0.0.1"), &is_signed, &valid));
  EXPECT(is_signed && valid, "non-strict signing depends on the client (%d %d)", is_signed, valid);

  /* Strict: bound to User-Agent and IP. */
  TRY(psws_server_enable_signing(f->server, S("s3cret"), true));
  TRY(psws_server_new_client_id(f->server, S(""), S("agent A"), S("127.0.0.1"), id, sizeof id,
                                &len));
  TRY(psws_server_test_client_id(f->server, S(id), S("agent A"), S("127.0.0.1"), &is_signed,
                                 &valid));
  EXPECT(is_signed && valid, "strict id for its own client: %d %d", is_signed, valid);
  TRY(psws_server_test_client_id(f->server, S(id), S("agent B"), S("127.0.0.1"), &is_signed,
                                 &valid));
  EXPECT(!is_signed && !valid, "strict id for another User-Agent: %d %d", is_signed, valid);
  TRY(psws_server_test_client_id(f->server, S(id), S("agent A"), S("10.1.2.3"), &is_signed,
                                 &valid));
  EXPECT(!is_signed && !valid, "strict id for another IP: %d %d", is_signed, valid);

  /* An upgrade while signing is on gets a signed id, bound to its client. */
  REQUIRE(connect_start(&conn, f->client, "c5", f->manual_port, "/upgrade/signed", NULL),
          "connector");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_REQUEST, NULL, "handshake of c5");
  REQUIRE(it != NULL && it->request != NULL, "no REQUEST for c5's handshake");
  struct psws_upgrade up = {S("Signed"), S(""), S("given"), PSWS_SCOPE_GLOBAL};
  if (EXPECT_STATUS(psws_request_upgrade(it->request, &up, &out), PSWS_STATUS_OK)) {
    EXPECT(!str_is(out.client_id, "given"), "the upgrade's client id was not signed");
    char *cid = str_dup(out.client_id), *ua = str_dup(out.user_agent), *ip = str_dup(out.remote_ip);
    if (cid && ua && ip) {
      EXPECT_STATUS(psws_server_test_client_id(f->server, S(cid), S(ua), S(ip), &is_signed, &valid),
                    PSWS_STATUS_OK);
      EXPECT(is_signed && valid, "the upgrade's signed id does not verify for its client");
    }
    free(cid);
    free(ua);
    free(ip);
  }
  TRY(psws_request_free(it->request));
  it->request = NULL;
  item_free(it);
  it = NULL;
  REQUIRE(connect_finish(&conn), "c5 is not connected");
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_CONNECT, "Signed", "c5 connects");
  item_free(it);
  it = NULL;
  TRY(psws_server_close_signals(f->server, S("Signed"), NO_FILTER, NO_FILTER, &closed));
  EXPECT(closed == 1, "psws_server_close_signals closed %zu", closed);
  it = inbox_wait(&f->box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_DISCONNECTED, "c5", "c5 closed");
  EXPECT(it && it->close_code == 1000 && it->initiator == PSWS_CLOSE_INITIATOR_SERVER,
         "c5 closed with %u by %u", it ? it->close_code : 0, it ? it->initiator : 9);
  item_free(it);
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_DISCONNECT, "Signed", "Signed gone");
  item_free(it);
  it = NULL;
  TRY(psws_client_remove(f->client, S("c5")));

  TRY(psws_server_disable_signing(f->server));
  TRY(psws_server_signing_enabled(f->server, &enabled));
  EXPECT(!enabled, "signing is still on");
  return 0;
cleanup:
  if (it && it->request) psws_request_free(it->request);
  item_free(it);
  if (conn.started) connect_finish(&conn);
  return -1;
}

/* Disconnects from the client side and closes from the server side. */
/* The same counters as Prometheus text: from the library (a one-string list) and from a
 * GET route that the engine answers without the host. */
static int metrics_text(fixture *f) {
  psws_list *list = NULL;
  size_t len = 0;
  struct psws_str text;
  http_job job;
  memset(&job, 0, sizeof job);

  TRY(psws_server_metrics_text(f->server, &list));
  TRY(psws_list_len(list, &len));
  TRY(psws_list_get(list, 0, &text));
  EXPECT(len == 1 && str_contains(text, "# TYPE psws_connections gauge\n") &&
             str_contains(text, "\npsws_connections_opened_total 5\n") &&
             str_contains(text, "\npsws_connections_closed_total{reason=\"peer_closed\"} "),
         "metrics text: %.*s", (int)text.len, text.ptr);
  TRY(psws_list_free(list));
  list = NULL;

  TRY(psws_server_add_metrics_route(f->server, S("/metrics"), S("")));
  EXPECT_STATUS(psws_server_add_metrics_route(f->server, S("/metrics"), S("")), PSWS_STATUS_ROUTE);
  REQUIRE(http_start(&job, f->auto_port, "GET", "/metrics", ""), "cannot start the HTTP thread");
  EXPECT(http_finish(&job) == 200, "GET /metrics answered %d", job.status);
  EXPECT(job.response && contains_nocase(job.response, "content-type: text/plain; version=0.0.4"),
         "GET /metrics: no 0.0.4 content type");
  EXPECT(job.body && strstr(job.body, "\npsws_connections_opened_total 5\n"),
         "GET /metrics body: %s", job.body ? job.body : "(none)");
  http_free(&job);
  return 0;
cleanup:
  psws_list_free(list);
  http_free(&job);
  return -1;
}

static int disconnects(fixture *f) {
  item *it = NULL;
  psws_client_state state = PSWS_CLIENT_STATE_CONNECTED;
  bool open = true;
  struct psws_metrics m;

  TRY(psws_client_disconnect(f->client, S("c1")));
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_DISCONNECT, "/msg", "c1 disconnects");
  REQUIRE(it != NULL, "no DISCONNECT for c1");
  EXPECT(it->conn_id == f->msg_conn && it->close_code == 1000 &&
             it->initiator == PSWS_CLOSE_INITIATOR_CLIENT,
         "DISCONNECT c1: code %u initiator %u", it->close_code, it->initiator);
  item_free(it);
  it = inbox_wait(&f->box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_DISCONNECTED, "c1", "c1 closed");
  REQUIRE(it != NULL, "no DISCONNECTED for c1");
  EXPECT(it->initiator == PSWS_CLOSE_INITIATOR_CLIENT && !it->reconnecting,
         "c1 DISCONNECTED: initiator %u reconnecting %d", it->initiator, it->reconnecting);
  item_free(it);
  it = NULL;
  TRY(psws_client_get_state(f->client, S("c1"), &state));
  EXPECT(state == PSWS_CLIENT_STATE_DISCONNECTED, "c1 state %u", (unsigned)state);
  EXPECT_STATUS(psws_client_send(f->client, S("c1"), (const uint8_t *)"x", 1, false),
                PSWS_STATUS_NOT_CONNECTED);
  TRY(psws_client_remove(f->client, S("c1")));
  TRY(psws_client_get_state(f->client, S("c1"), &state));
  EXPECT(state == PSWS_CLIENT_STATE_NOT_REGISTERED, "c1 state after remove %u", (unsigned)state);
  EXPECT_STATUS(psws_client_send(f->client, S("c1"), (const uint8_t *)"x", 1, false),
                PSWS_STATUS_UNKNOWN_CLIENT);

  TRY(psws_server_close_connection(f->server, f->sig_conn, 4001, S("bye")));
  it = inbox_wait(&f->box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_DISCONNECTED, "c2", "c2 closed");
  REQUIRE(it != NULL, "no DISCONNECTED for c2");
  EXPECT(it->close_code == 4001 && strcmp(it->text, "bye") == 0 &&
             it->initiator == PSWS_CLOSE_INITIATOR_SERVER,
         "c2 DISCONNECTED: code %u reason '%s' initiator %u", it->close_code, it->text,
         it->initiator);
  item_free(it);
  it = inbox_wait(&f->box, FROM_SERVER, PSWS_EVENT_KIND_DISCONNECT, "/sig", "/sig disconnects");
  REQUIRE(it != NULL, "no DISCONNECT for c2");
  EXPECT(it->conn_id == f->sig_conn && it->close_code == 4001 && strcmp(it->text, "bye") == 0 &&
             it->initiator == PSWS_CLOSE_INITIATOR_SERVER,
         "DISCONNECT c2: code %u reason '%s' initiator %u", it->close_code, it->text,
         it->initiator);
  item_free(it);
  it = NULL;
  TRY(psws_server_connection_open(f->server, f->sig_conn, &open));
  EXPECT(!open, "c2's connection is still open");
  TRY(psws_server_connection_open(f->server, f->chat_conn, &open));
  EXPECT(open, "Chat's connection is not open");
  EXPECT_STATUS(psws_server_send_direct(f->server, f->sig_conn, (const uint8_t *)"x", 1, false),
                PSWS_STATUS_UNKNOWN_CONNECTION);

  TRY(psws_server_metrics(f->server, &m));
  EXPECT(m.connections == 1, "metrics: %llu connections open, expected 1",
         (unsigned long long)m.connections);
  EXPECT(m.connections_total == 5, "metrics: %llu connections in total, expected 5",
         (unsigned long long)m.connections_total);
  EXPECT(m.messages_in >= 7 && m.http_requests >= 5 && m.messages_out >= 10,
         "metrics: in %llu, out %llu, http %llu", (unsigned long long)m.messages_in,
         (unsigned long long)m.messages_out, (unsigned long long)m.http_requests);
  return metrics_text(f);
cleanup:
  item_free(it);
  return -1;
}

/* Stop: Close 1001 to the remaining connection; later calls are STOPPED. */
static int stop(fixture *f) {
  item *it = NULL;

  TRY(psws_server_stop(f->server));
  it = inbox_wait(&f->box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_DISCONNECTED, "c3",
                  "c3 closed by the stop");
  REQUIRE(it != NULL, "no DISCONNECTED for c3");
  EXPECT(it->close_code == 1001 && it->initiator == PSWS_CLOSE_INITIATOR_SERVER,
         "c3 DISCONNECTED: code %u initiator %u", it->close_code, it->initiator);
  item_free(it);
  it = NULL;
  EXPECT_STATUS(psws_server_send(f->server, NULL, 0, NO_FILTER, NO_FILTER, (const uint8_t *)"x",
                                 1, NULL),
                PSWS_STATUS_STOPPED);
  TRY(psws_server_stop(f->server));
  return 0;
cleanup:
  item_free(it);
  return -1;
}

int main(void) {
  fixture f;
  memset(&f, 0, sizeof f);
  if (test_init(PROGRAM) != 0) goto cleanup;
  REQUIRE(inbox_init(&f.box) == 0, "inbox_init failed");
  f.box_ready = true;

  if (start(&f) != 0) goto cleanup;
  if (rebroadcast(&f) != 0) goto cleanup;
  if (signal_route(&f) != 0) goto cleanup;
  if (inbound_other(&f) != 0) goto cleanup;
  if (http_route(&f) != 0) goto cleanup;
  if (static_files(&f) != 0) goto cleanup;
  if (manual_upgrade(&f) != 0) goto cleanup;
  if (local_upgrade(&f) != 0) goto cleanup;
  if (lists_and_sends(&f) != 0) goto cleanup;
  if (signing(&f) != 0) goto cleanup;
  if (disconnects(&f) != 0) goto cleanup;
  if (stop(&f) != 0) goto cleanup;

cleanup:
  /* Free the client and server first: afterwards no callback touches the inbox. */
  EXPECT_STATUS(psws_client_free(f.client), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_free(f.server), PSWS_STATUS_OK);
  if (f.box_ready) inbox_destroy(&f.box);
  return test_finish(PROGRAM);
}
