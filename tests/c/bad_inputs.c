/*
 * bad_inputs: every misuse a C caller can make must come back as a status code with a
 * message in psws_last_error(), never as a crash or a memory error (run.sh runs this
 * under valgrind, which also catches reads through stale views).
 *
 * Covered: NULL handles and NULL outputs; freed handles used again and freed twice;
 * handles of one kind passed as another (and forged ones); invalid UTF-8; NULL pointers
 * with a length; enum values and settings out of range; the server lifecycle (not running, already
 * running, bind conflict, stopped); BUFFER_TOO_SMALL; client connects to http:// and to
 * a closed port; requests answered twice, upgraded after an answer, freed unanswered,
 * upgraded when they are no handshake, pending during a stop, outliving their server;
 * the per-thread last error; blocking calls made from a callback.
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "bad_inputs"

/* A message fragment psws_last_error() must contain after the call just checked. */
static void expect_error_mentions(const char *file, int line, const char *fragment) {
  struct psws_str err = psws_last_error();
  char *text = str_dup(err);
  expect_true(file, line, text && strstr(text, fragment) != NULL,
              "psws_last_error() is '%s', expected it to mention '%s'", text ? text : "?", fragment);
  free(text);
}
#define EXPECT_ERROR_MENTIONS(fragment) expect_error_mentions(__FILE__, __LINE__, fragment)

static const char bad_utf8[] = "\xff\xfe";
static const struct psws_str BAD = {bad_utf8, 2};
static const struct psws_str TRUNCATED = {"ab\xc3", 3};
static const struct psws_str OVERLONG = {"\xc0\xaf", 2};
static const struct psws_str SURROGATE = {"\xed\xa0\x80", 3};
static const struct psws_str NULL_WITH_LENGTH = {NULL, 5};

static struct psws_endpoint ws_endpoint(const char *name, uint16_t port) {
  struct psws_endpoint e = {S(name), PSWS_PROTOCOL_WS, S("127.0.0.1"), port,
                            S(""),   S(""),            S(""),          false};
  return e;
}

/* ---- NULL handles and NULL outputs ------------------------------------------------ */

static void null_handles(void) {
  size_t n = 0;
  struct psws_request_info info;
  EXPECT_STATUS(psws_server_start(NULL, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_ERROR_MENTIONS("NULL");
  EXPECT_STATUS(psws_server_stop(NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_set_callback(NULL, inbox_server_callback, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_add_route(NULL, S("GET"), S("/"), NULL, 0, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_send(NULL, NULL, 0, NULL, 0, NULL, 0, (const uint8_t *)"x", 1, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_client_connect(NULL, S("a"), S("ws://127.0.0.1:1/"), NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_client_send(NULL, S("a"), (const uint8_t *)"x", 1, false),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_list_len(NULL, &n), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_request_get_info(NULL, &info), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_request_respond(NULL, 200, NULL, 0, NULL, 0), PSWS_STATUS_NULL_ARGUMENT);
  /* Freeing NULL does nothing. */
  EXPECT_STATUS(psws_server_free(NULL), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_client_free(NULL), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_list_free(NULL), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_request_free(NULL), PSWS_STATUS_OK);
}

static int null_outputs(void) {
  psws_server *server = NULL;
  psws_client *client = NULL;
  psws_list *list = NULL;
  char buffer[64];
  bool is_signed = true, valid = true;
  struct psws_str item;

  EXPECT_STATUS(psws_server_config_default(NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_client_config_default(NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_connect_options_default(NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_new(NULL, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_client_new(NULL, NULL), PSWS_STATUS_NULL_ARGUMENT);

  TRY(psws_server_new(NULL, &server));
  TRY(psws_client_new(NULL, &client));
  EXPECT_STATUS(psws_server_add_endpoint(server, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_signal_names(server, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_signal_count(server, S(""), NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_signal_exists(server, S("x"), NULL, 0, NULL, 0, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_connection_open(server, 1, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_signing_enabled(server, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_default_scope(server, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_broadcast_level(server, S("x"), NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_metrics(server, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_metrics_text(server, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_add_metrics_route(server, (struct psws_str){NULL, 1}, S("")),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_new_client_id(server, S(""), S(""), S(""), buffer, sizeof buffer, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  /* Outputs are written only on success: the other output stays untouched. */
  EXPECT_STATUS(psws_server_test_client_id(server, S("id"), S(""), S(""), NULL, &valid),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT(valid, "out_valid was written by a failed call");
  EXPECT_STATUS(psws_server_test_client_id(server, S("id"), S(""), S(""), &is_signed, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT(is_signed, "out_signed was written by a failed call");
  EXPECT_STATUS(psws_client_get_state(client, S("x"), NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_client_names(client, NULL), PSWS_STATUS_NULL_ARGUMENT);

  /* Optional outputs may be NULL. */
  EXPECT_STATUS(psws_server_add_route(server, S("GET"), S("/x"), NULL, 0, NULL), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_add_signal_route(server, S("/x"), NULL, 0, NULL), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_remove_route(server, S("GET"), S("/x"), S(""), NULL), PSWS_STATUS_OK);

  /* An empty list is still a list. */
  TRY(psws_server_signal_names(server, &list));
  EXPECT_STATUS(psws_list_len(list, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_list_get(list, 0, NULL), PSWS_STATUS_NULL_ARGUMENT); /* outputs are checked first */
  EXPECT_STATUS(psws_list_get(list, 0, &item), PSWS_STATUS_INVALID_ARGUMENT);
  TRY(psws_list_free(list));
  list = NULL;

cleanup:
  psws_list_free(list);
  EXPECT_STATUS(psws_client_free(client), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_free(server), PSWS_STATUS_OK);
  return 0;
}

/* ---- freed, double-freed, wrong-kind and forged handles ----------------------------- */

static int stale_and_wrong_handles(void) {
  psws_server *server = NULL, *freed_server = NULL;
  psws_client *client = NULL, *freed_client = NULL;
  psws_list *list = NULL, *freed_list = NULL;
  size_t n = 0;
  bool enabled = true;
  struct psws_request_info info;
  int on_the_stack = 0;

  TRY(psws_server_new(NULL, &server));
  TRY(psws_client_new(NULL, &client));
  TRY(psws_server_signal_names(server, &list));

  /* Freed, then used and freed again. */
  TRY(psws_server_signal_names(server, &freed_list));
  TRY(psws_list_free(freed_list));
  EXPECT_STATUS(psws_list_len(freed_list, &n), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_ERROR_MENTIONS("not live");
  EXPECT_STATUS(psws_list_free(freed_list), PSWS_STATUS_INVALID_HANDLE);

  TRY(psws_server_new(NULL, &freed_server));
  TRY(psws_server_free(freed_server));
  EXPECT_STATUS(psws_server_start(freed_server, NULL), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_server_set_callback(freed_server, inbox_server_callback, NULL),
                PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_server_signing_enabled(freed_server, &enabled), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_server_free(freed_server), PSWS_STATUS_INVALID_HANDLE);

  TRY(psws_client_new(NULL, &freed_client));
  TRY(psws_client_free(freed_client));
  EXPECT_STATUS(psws_client_send(freed_client, S("a"), (const uint8_t *)"x", 1, false),
                PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_client_free(freed_client), PSWS_STATUS_INVALID_HANDLE);

  /* A handle of another kind: refused, and not freed by the wrong _free. */
  EXPECT_STATUS(psws_client_send((const psws_client *)server, S("a"), (const uint8_t *)"x", 1, false),
                PSWS_STATUS_INVALID_HANDLE);
  EXPECT_ERROR_MENTIONS("psws_server");
  EXPECT_STATUS(psws_list_len((const psws_list *)server, &n), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_request_get_info((const psws_request *)server, &info), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_request_respond((const psws_request *)list, 200, NULL, 0, NULL, 0),
                PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_server_start((const psws_server *)client, NULL), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_list_free((psws_list *)server), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_request_free((psws_request *)list), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_client_free((psws_client *)server), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_server_free((psws_server *)client), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_server_signing_enabled(server, &enabled), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_list_len(list, &n), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_client_names(client, &freed_list), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_list_free(freed_list), PSWS_STATUS_OK);

  /* Never issued: a small number, and the address of a C object. */
  EXPECT_STATUS(psws_server_start((const psws_server *)(uintptr_t)0x1234, NULL),
                PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_list_len((const psws_list *)(void *)&on_the_stack, &n),
                PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_server_free((psws_server *)(void *)&on_the_stack), PSWS_STATUS_INVALID_HANDLE);

cleanup:
  EXPECT_STATUS(psws_list_free(list), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_client_free(client), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_free(server), PSWS_STATUS_OK);
  return 0;
}

/* ---- strings: invalid UTF-8, NULL with a length -------------------------------------- */

static int bad_strings(void) {
  psws_server *server = NULL;
  psws_client *client = NULL;
  size_t count = 99;
  const struct psws_str bad_names[] = {S("ok"), BAD};
  struct psws_endpoint endpoint = ws_endpoint("e", 0);
  struct psws_connect_options options;

  TRY(psws_server_new(NULL, &server));
  TRY(psws_client_new(NULL, &client));

  EXPECT_STATUS(psws_server_add_route(server, S("GET"), BAD, NULL, 0, NULL), PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_server_add_route(server, S("GET"), TRUNCATED, NULL, 0, NULL),
                PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_server_add_route(server, S("GET"), OVERLONG, NULL, 0, NULL),
                PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_server_add_route(server, S("GET"), SURROGATE, NULL, 0, NULL),
                PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_server_add_route(server, S("GET"), S("/p"), bad_names, 2, NULL),
                PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_server_add_signal_route(server, BAD, NULL, 0, NULL), PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_server_enable_signing(server, BAD, false), PSWS_STATUS_INVALID_UTF8);
  endpoint.name = BAD;
  EXPECT_STATUS(psws_server_add_endpoint(server, &endpoint), PSWS_STATUS_INVALID_UTF8);
  endpoint = ws_endpoint("e", 0);
  endpoint.address = TRUNCATED;
  EXPECT_STATUS(psws_server_add_endpoint(server, &endpoint), PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_server_send(server, bad_names, 2, NULL, 0, NULL, 0, (const uint8_t *)"x", 1, NULL),
                PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_server_send(server, NULL, 0, NULL, 0, NULL, 0, (const uint8_t *)bad_utf8, 2, NULL),
                PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_client_connect(client, BAD, S("ws://127.0.0.1:1/"), NULL),
                PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_client_connect(client, S("a"), SURROGATE, NULL), PSWS_STATUS_INVALID_UTF8);
  /* Text must be UTF-8; binary may be anything (then the unknown Name is the error). */
  EXPECT_STATUS(psws_client_send(client, S("a"), (const uint8_t *)bad_utf8, 2, false),
                PSWS_STATUS_INVALID_UTF8);
  EXPECT_STATUS(psws_client_send(client, S("a"), (const uint8_t *)bad_utf8, 2, true),
                PSWS_STATUS_UNKNOWN_CLIENT);

  /* A NULL pointer with a length. */
  EXPECT_STATUS(psws_server_add_route(server, S("GET"), NULL_WITH_LENGTH, NULL, 0, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_add_route(server, S("GET"), S("/p"), NULL, 2, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_send(server, NULL, 0, NULL, 3, NULL, 0, (const uint8_t *)"x", 1, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_server_send(server, NULL, 0, NULL, 0, NULL, 0, NULL, 3, NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_client_send(client, S("a"), NULL, 4, true), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_client_connect(client, NULL_WITH_LENGTH, S("ws://127.0.0.1:1/"), NULL),
                PSWS_STATUS_NULL_ARGUMENT);
  TRY(psws_connect_options_default(&options));
  options.headers_len = 1; /* headers stays NULL */
  EXPECT_STATUS(psws_client_connect(client, S("a"), S("ws://127.0.0.1:1/"), &options),
                PSWS_STATUS_NULL_ARGUMENT);
  TRY(psws_connect_options_default(&options));
  options.protocols_len = 2;
  EXPECT_STATUS(psws_client_connect(client, S("a"), S("ws://127.0.0.1:1/"), &options),
                PSWS_STATUS_NULL_ARGUMENT);

  /* NULL with length 0 is the empty string. */
  struct psws_str empty = {NULL, 0};
  EXPECT_STATUS(psws_server_signal_count(server, empty, &count), PSWS_STATUS_OK);
  EXPECT(count == 0, "signal count of a new server is %zu", count);

  /* Status texts. */
  struct psws_str text = psws_status_text(PSWS_STATUS_STOPPED);
  EXPECT(text.len > 0, "psws_status_text(STOPPED) is empty");
  EXPECT(str_is(psws_status_text(9999), "unknown status"), "psws_status_text(9999) is '%.*s'",
         (int)psws_status_text(9999).len, psws_status_text(9999).ptr);

cleanup:
  EXPECT_STATUS(psws_client_free(client), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_free(server), PSWS_STATUS_OK);
  return 0;
}

/* ---- enum values out of range ---------------------------------------------------- */

static int bad_enums(void) {
  psws_server *server = NULL, *never = NULL;
  struct psws_server_config config;
  struct psws_endpoint endpoint = ws_endpoint("e", 0);
  psws_scope scope = PSWS_SCOPE_DEFAULT;

  TRY(psws_server_config_default(&config));
  config.slow_reader = 3;
  EXPECT_STATUS(psws_server_new(&config, &never), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("slow-reader");
  EXPECT(never == NULL, "psws_server_new wrote its output on failure");
  TRY(psws_server_config_default(&config));
  config.default_scope = 9;
  EXPECT_STATUS(psws_server_new(&config, &never), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT(never == NULL, "psws_server_new wrote its output on failure");

  TRY(psws_server_config_default(&config));
  config.read_buffer_size = 0;
  EXPECT_STATUS(psws_server_new(&config, &never), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("read_buffer_size");
  EXPECT(never == NULL, "psws_server_new wrote its output on failure");

  TRY(psws_server_new(NULL, &server));
  endpoint.protocol = 7;
  EXPECT_STATUS(psws_server_add_endpoint(server, &endpoint), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("protocol");
  EXPECT_STATUS(psws_server_set_broadcast_level(server, S("x"), 9), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_server_set_broadcast_level(server, S(""), PSWS_BROADCAST_LEVEL_GROUP),
                PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_server_set_default_scope(server, 5), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_server_set_default_scope(server, PSWS_SCOPE_DEFAULT),
                PSWS_STATUS_INVALID_ARGUMENT);
  TRY(psws_server_default_scope(server, &scope));
  EXPECT(scope == PSWS_SCOPE_GLOBAL, "the default scope changed to %u", (unsigned)scope);
  EXPECT_STATUS(psws_server_close_connection(server, 1, 999, S("")), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_server_close_connection(server, 1, 5000, S("")), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_server_close_connection(server, 1, 1005, S("")), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_server_add_route(server, S("G T"), S("/"), NULL, 0, NULL), PSWS_STATUS_ROUTE);

cleanup:
  EXPECT_STATUS(psws_server_free(never), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_free(server), PSWS_STATUS_OK);
  return 0;
}

/* Client settings and connect options out of range. */
static int bad_client_numbers(void) {
  psws_client *client = NULL, *never = NULL;
  struct psws_client_config config;
  struct psws_connect_options options;
  psws_client_state state = PSWS_CLIENT_STATE_CONNECTED;
  static const char ten[] = "0123456789";

  TRY(psws_client_config_default(&config));
  config.connect_timeout_ms = 0;
  EXPECT_STATUS(psws_client_new(&config, &never), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("connect_timeout");
  EXPECT(never == NULL, "psws_client_new wrote its output on failure");
  config.connect_timeout_ms = g_timeout_ms;
  config.extra_ca_file = BAD;
  EXPECT_STATUS(psws_client_new(&config, &never), PSWS_STATUS_INVALID_UTF8);
  config.extra_ca_file = S("");
  config.max_message_size = 4;
  TRY(psws_client_new(&config, &client));

  TRY(psws_connect_options_default(&options));
  options.reconnect = true;
  options.reconnect_jitter = 5.0;
  EXPECT_STATUS(psws_client_connect(client, S("j"), S("ws://127.0.0.1:1/"), &options),
                PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_ERROR_MENTIONS("jitter");
  TRY(psws_connect_options_default(&options));
  options.reconnect = true;
  options.reconnect_initial_delay_ms = 0;
  EXPECT_STATUS(psws_client_connect(client, S("j"), S("ws://127.0.0.1:1/"), &options),
                PSWS_STATUS_INVALID_ARGUMENT);
  TRY(psws_client_get_state(client, S("j"), &state));
  EXPECT(state == PSWS_CLIENT_STATE_NOT_REGISTERED, "refused options registered the Name (%u)",
         (unsigned)state);
  EXPECT_STATUS(psws_client_send(client, S("j"), (const uint8_t *)ten, 10, false),
                PSWS_STATUS_MESSAGE_TOO_LARGE);

cleanup:
  EXPECT_STATUS(psws_client_free(never), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_client_free(client), PSWS_STATUS_OK);
  return 0;
}

/* ---- lifecycle: not running, already running, bind conflict, stopped --------------- */

static int lifecycle(void) {
  psws_server *server = NULL, *rival = NULL;
  struct psws_endpoint endpoint = ws_endpoint("e", 0);
  struct psws_bound_endpoint bound;
  size_t count = 0, closed = 0;
  const uint8_t *x = (const uint8_t *)"x";

  TRY(psws_server_new(NULL, &server));
  EXPECT_STATUS(psws_server_start(server, &count), PSWS_STATUS_INVALID_ARGUMENT); /* no endpoint */
  EXPECT_STATUS(psws_server_send(server, NULL, 0, NULL, 0, NULL, 0, x, 1, NULL),
                PSWS_STATUS_NOT_RUNNING);
  EXPECT_STATUS(psws_server_send_direct(server, 1, x, 1, false), PSWS_STATUS_NOT_RUNNING);
  EXPECT_STATUS(psws_server_endpoint(server, 0, &bound), PSWS_STATUS_INVALID_ARGUMENT);
  TRY(psws_server_add_endpoint(server, &endpoint));
  TRY(psws_server_start(server, &count));
  EXPECT_STATUS(psws_server_start(server, &count), PSWS_STATUS_ALREADY_RUNNING);
  EXPECT_STATUS(psws_server_add_endpoint(server, &endpoint), PSWS_STATUS_ALREADY_RUNNING);
  TRY(psws_server_endpoint(server, 0, &bound));
  EXPECT_STATUS(psws_server_endpoint(server, 0, NULL), PSWS_STATUS_NULL_ARGUMENT);

  /* A second server on the same port cannot bind, and nothing stays bound. */
  TRY(psws_server_new(NULL, &rival));
  endpoint.port = bound.port;
  TRY(psws_server_add_endpoint(rival, &endpoint));
  EXPECT_STATUS(psws_server_start(rival, &count), PSWS_STATUS_BIND);
  TRY(psws_server_free(rival));
  rival = NULL;

  TRY(psws_server_stop(server));
  EXPECT_STATUS(psws_server_stop(server), PSWS_STATUS_OK); /* idempotent */
  EXPECT_STATUS(psws_server_start(server, &count), PSWS_STATUS_STOPPED);
  EXPECT_STATUS(psws_server_add_endpoint(server, &endpoint), PSWS_STATUS_STOPPED);
  EXPECT_STATUS(psws_server_send(server, NULL, 0, NULL, 0, NULL, 0, x, 1, NULL), PSWS_STATUS_STOPPED);
  EXPECT_STATUS(psws_server_send_direct(server, 1, x, 1, true), PSWS_STATUS_STOPPED);
  EXPECT_STATUS(psws_server_close_signals(server, S("n"), NULL, 0, NULL, 0, &closed),
                PSWS_STATUS_STOPPED);
  EXPECT_STATUS(psws_server_close_connection(server, 1, 1000, S("")), PSWS_STATUS_STOPPED);
  /* Its port is free again: a new server binds it. */
  TRY(psws_server_new(NULL, &rival));
  TRY(psws_server_add_endpoint(rival, &endpoint));
  EXPECT_STATUS(psws_server_start(rival, &count), PSWS_STATUS_OK);

cleanup:
  EXPECT_STATUS(psws_server_free(rival), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_server_free(server), PSWS_STATUS_OK);
  return 0;
}

/* ---- caller buffers ------------------------------------------------------------- */

static int buffers(void) {
  psws_server *server = NULL;
  char buffer[64];
  size_t len = 0;

  TRY(psws_server_new(NULL, &server));
  /* Signing is off: a fresh id is a GUID of 36 characters. */
  memset(buffer, 'Z', sizeof buffer);
  EXPECT_STATUS(psws_server_new_client_id(server, S(""), S(""), S(""), buffer, 4, &len),
                PSWS_STATUS_BUFFER_TOO_SMALL);
  EXPECT(len == 36, "BUFFER_TOO_SMALL reported %zu bytes needed, expected 36", len);
  EXPECT_ERROR_MENTIONS("36");
  EXPECT(buffer[0] == 'Z' && buffer[4] == 'Z', "a buffer that was too small was written");
  len = 0;
  EXPECT_STATUS(psws_server_new_client_id(server, S(""), S(""), S(""), NULL, 0, &len),
                PSWS_STATUS_BUFFER_TOO_SMALL);
  EXPECT(len == 36, "size query reported %zu", len);
  EXPECT_STATUS(psws_server_new_client_id(server, S(""), S(""), S(""), NULL, 100, &len),
                PSWS_STATUS_NULL_ARGUMENT);
  /* Exactly the length: no NUL; one more: NUL-terminated. */
  EXPECT_STATUS(psws_server_new_client_id(server, S("exact-id"), S(""), S(""), buffer, 8, &len),
                PSWS_STATUS_OK);
  EXPECT(len == 8 && memcmp(buffer, "exact-id", 8) == 0 && buffer[8] == 'Z',
         "an exact-size buffer: len %zu, byte after '%c'", len, buffer[8]);
  EXPECT_STATUS(psws_server_new_client_id(server, S("exact-id"), S(""), S(""), buffer, 9, &len),
                PSWS_STATUS_OK);
  EXPECT(buffer[8] == '\0', "a buffer with room was not NUL-terminated");
  EXPECT_STATUS(psws_server_new_client_id(server, S(""), S(""), S(""), buffer, sizeof buffer, &len),
                PSWS_STATUS_OK);
  EXPECT(len == 36 && strlen(buffer) == 36, "a fresh id of %zu bytes", len);

cleanup:
  EXPECT_STATUS(psws_server_free(server), PSWS_STATUS_OK);
  return 0;
}

/* ---- client connect errors ------------------------------------------------------- */

static int client_errors(void) {
  psws_client *client = NULL;
  psws_list *names = NULL;
  psws_client_state state = PSWS_CLIENT_STATE_CONNECTED;
  char url[128], buffer[64];
  size_t len = 0, count = 9;
  struct psws_client_config config;

  TRY(psws_client_config_default(&config));
  config.connect_timeout_ms = g_timeout_ms;
  TRY(psws_client_new(&config, &client));

  EXPECT_STATUS(psws_client_connect(client, S("h"), S("http://127.0.0.1:1/"), NULL),
                PSWS_STATUS_CONNECT);
  EXPECT_ERROR_MENTIONS("ws://");
  EXPECT_STATUS(psws_client_connect(client, S("h"), S("not a url"), NULL), PSWS_STATUS_CONNECT);
  EXPECT_STATUS(psws_client_connect(client, S(""), S("ws://127.0.0.1:1/"), NULL),
                PSWS_STATUS_INVALID_ARGUMENT);
  uint16_t port = closed_port();
  REQUIRE(port != 0, "no free port");
  snprintf(url, sizeof url, "ws://127.0.0.1:%u/msg", (unsigned)port);
  EXPECT_STATUS(psws_client_connect(client, S("closed"), S(url), NULL), PSWS_STATUS_CONNECT);
  /* A failed connect leaves nothing registered. */
  TRY(psws_client_get_state(client, S("closed"), &state));
  EXPECT(state == PSWS_CLIENT_STATE_NOT_REGISTERED, "state after a failed connect: %u",
         (unsigned)state);
  TRY(psws_client_get_state(client, S("h"), &state));
  EXPECT(state == PSWS_CLIENT_STATE_NOT_REGISTERED, "state after a bad URL: %u", (unsigned)state);
  TRY(psws_client_names(client, &names));
  TRY(psws_list_len(names, &count));
  EXPECT(count == 0, "%zu names registered after failed connects", count);

  EXPECT_STATUS(psws_client_send(client, S("closed"), (const uint8_t *)"x", 1, false),
                PSWS_STATUS_UNKNOWN_CLIENT);
  EXPECT_STATUS(psws_client_disconnect(client, S("closed")), PSWS_STATUS_UNKNOWN_CLIENT);
  EXPECT_STATUS(psws_client_remove(client, S("closed")), PSWS_STATUS_UNKNOWN_CLIENT);
  EXPECT_STATUS(psws_client_reset(client, S("closed"), S("")), PSWS_STATUS_UNKNOWN_CLIENT);
  EXPECT_STATUS(psws_client_url(client, S("closed"), buffer, sizeof buffer, &len),
                PSWS_STATUS_UNKNOWN_CLIENT);

cleanup:
  EXPECT_STATUS(psws_list_free(names), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_client_free(client), PSWS_STATUS_OK);
  return 0;
}

/* ---- requests ----------------------------------------------------------------- */

typedef struct request_server {
  inbox box;
  bool box_ready;
  psws_server *server;
  uint16_t port;
} request_server;

static int request_server_start(request_server *rs) {
  struct psws_endpoint http = {S("web"), PSWS_PROTOCOL_HTTP, S("127.0.0.1"), 0,
                               S(""),    S(""),              S(""),          false};
  struct psws_bound_endpoint bound;
  memset(rs, 0, sizeof *rs);
  REQUIRE(inbox_init(&rs->box) == 0, "inbox_init");
  rs->box_ready = true;
  TRY(psws_server_new(NULL, &rs->server));
  TRY(psws_server_set_callback(rs->server, inbox_server_callback, &rs->box));
  TRY(psws_server_add_endpoint(rs->server, &http));
  TRY(psws_server_add_route(rs->server, S("*"), S("/r"), NULL, 0, NULL));
  TRY(psws_server_start(rs->server, NULL));
  TRY(psws_server_endpoint(rs->server, 0, &bound));
  rs->port = bound.port;
  return 0;
cleanup:
  return -1;
}

static void request_server_free(request_server *rs) {
  EXPECT_STATUS(psws_server_free(rs->server), PSWS_STATUS_OK);
  rs->server = NULL;
  if (rs->box_ready) inbox_destroy(&rs->box);
  rs->box_ready = false;
}

/* Starts GET /r and takes the REQUEST out of the inbox (the caller owns it). */
static psws_request *next_request(request_server *rs, http_job *job, const char *what) {
  if (!EXPECT(http_start(job, rs->port, "GET", "/r", NULL), "cannot start the HTTP thread"))
    return NULL;
  item *it = inbox_wait(&rs->box, FROM_SERVER, PSWS_EVENT_KIND_REQUEST, NULL, what);
  psws_request *request = it ? it->request : NULL;
  item_free(it);
  return request;
}

static int requests(void) {
  request_server rs;
  http_job job;
  psws_request *request = NULL;
  struct psws_request_info info;
  struct psws_connection_info out;
  int status;
  static const struct psws_header bad_header[] = {{{"bad name", 8}, {"v", 1}}};
  struct psws_upgrade up = {S("N"), S(""), S(""), PSWS_SCOPE_DEFAULT};
  memset(&job, 0, sizeof job);

  if (request_server_start(&rs) != 0) goto cleanup;

  /* Bad arguments leave the request pending; then it is answered once. */
  request = next_request(&rs, &job, "GET /r (answered twice)");
  REQUIRE(request != NULL, "no request");
  EXPECT_STATUS(psws_request_get_info(request, NULL), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_request_respond(request, 1000, NULL, 0, NULL, 0), PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_request_respond(request, 200, bad_header, 1, NULL, 0),
                PSWS_STATUS_INVALID_ARGUMENT);
  EXPECT_STATUS(psws_request_respond(request, 200, NULL, 1, NULL, 0), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_request_respond(request, 200, NULL, 0, NULL, 2), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_request_upgrade(request, NULL, &out), PSWS_STATUS_NULL_ARGUMENT);
  EXPECT_STATUS(psws_request_upgrade(request, &up, NULL), PSWS_STATUS_NULL_ARGUMENT);
  up.scope = 9;
  EXPECT_STATUS(psws_request_upgrade(request, &up, &out), PSWS_STATUS_INVALID_ARGUMENT);
  up.scope = PSWS_SCOPE_DEFAULT;
  up.name = S("");
  EXPECT_STATUS(psws_request_upgrade(request, &up, &out), PSWS_STATUS_INVALID_ARGUMENT);
  up.name = BAD;
  EXPECT_STATUS(psws_request_upgrade(request, &up, &out), PSWS_STATUS_INVALID_UTF8);
  up.name = S("N");
  TRY(psws_request_get_info(request, &info));
  TRY(psws_request_respond(request, 200, NULL, 0, (const uint8_t *)"first", 5));
  EXPECT_STATUS(psws_request_respond(request, 200, NULL, 0, (const uint8_t *)"second", 6),
                PSWS_STATUS_REQUEST_COMPLETED);
  EXPECT_STATUS(psws_request_upgrade(request, &up, &out), PSWS_STATUS_REQUEST_COMPLETED);
  EXPECT_STATUS(psws_request_get_info(request, &info), PSWS_STATUS_OK);
  EXPECT(str_is(info.path, "/r") && str_is(info.method, "GET"), "request info after the answer");
  TRY(psws_request_free(request));
  EXPECT_STATUS(psws_request_free(request), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_request_respond(request, 200, NULL, 0, NULL, 0), PSWS_STATUS_INVALID_HANDLE);
  EXPECT_STATUS(psws_request_get_info(request, &info), PSWS_STATUS_INVALID_HANDLE);
  request = NULL;
  status = http_finish(&job);
  EXPECT(status == 200 && strcmp(job.body, "first") == 0, "answered twice: HTTP %d body '%s'",
         status, job.body);
  http_free(&job);

  /* Freed unanswered: 500. */
  request = next_request(&rs, &job, "GET /r (freed unanswered)");
  REQUIRE(request != NULL, "no request");
  TRY(psws_request_free(request));
  request = NULL;
  status = http_finish(&job);
  EXPECT(status == 500, "a request freed unanswered got HTTP %d, expected 500", status);
  http_free(&job);

  /* Not a WebSocket handshake: the upgrade answers it with an error status. */
  request = next_request(&rs, &job, "GET /r (upgrade without handshake)");
  REQUIRE(request != NULL, "no request");
  EXPECT_STATUS(psws_request_upgrade(request, &up, &out), PSWS_STATUS_UPGRADE_REJECTED);
  EXPECT_STATUS(psws_request_respond(request, 200, NULL, 0, NULL, 0), PSWS_STATUS_REQUEST_COMPLETED);
  TRY(psws_request_free(request));
  request = NULL;
  status = http_finish(&job);
  EXPECT(status == 400 || status == 405 || status == 412 || status == 426,
         "a rejected upgrade answered HTTP %d", status);
  http_free(&job);

  /* No callback: the request is answered 500, never left hanging. */
  TRY(psws_server_set_callback(rs.server, NULL, NULL));
  EXPECT(http_start(&job, rs.port, "GET", "/r", NULL), "cannot start the HTTP thread");
  status = http_finish(&job);
  EXPECT(status == 500, "a request without a callback got HTTP %d, expected 500", status);
  http_free(&job);
  TRY(psws_server_set_callback(rs.server, inbox_server_callback, &rs.box));

  /* Pending during a stop: the client gets 503; the handle stays valid until freed,
   * even after the server is freed. */
  request = next_request(&rs, &job, "GET /r (pending during stop)");
  REQUIRE(request != NULL, "no request");
  TRY(psws_server_stop(rs.server));
  status = http_finish(&job);
  EXPECT(status == 503, "a request pending during stop got HTTP %d, expected 503", status);
  http_free(&job);
  request_server_free(&rs);
  EXPECT_STATUS(psws_request_get_info(request, &info), PSWS_STATUS_OK);
  EXPECT(str_is(info.path, "/r") && str_is(info.remote_ip, "127.0.0.1"),
         "request info after the server was freed");
  EXPECT_STATUS(psws_request_respond(request, 200, NULL, 0, NULL, 0), PSWS_STATUS_REQUEST_COMPLETED);
  EXPECT_STATUS(psws_request_free(request), PSWS_STATUS_OK);
  request = NULL;

cleanup:
  if (request) psws_request_free(request);
  http_free(&job);
  request_server_free(&rs);
  return 0;
}

/* ---- the last error is per thread ------------------------------------------------ */

typedef struct thread_check {
  bool empty_at_start;
  psws_status status;
  char message[256];
} thread_check;

static void *fail_on_another_thread(void *arg) {
  thread_check *t = arg;
  size_t n = 0;
  t->empty_at_start = psws_last_error().len == 0;
  t->status = psws_list_len((const psws_list *)(uintptr_t)0x4242, &n);
  struct psws_str err = psws_last_error();
  snprintf(t->message, sizeof t->message, "%.*s", (int)err.len, err.ptr ? err.ptr : "");
  return NULL;
}

static int last_error_per_thread(void) {
  thread_check t;
  pthread_t thread;
  bool enabled = false;
  psws_server *server = NULL;
  char *mine = NULL;
  memset(&t, 0, sizeof t);

  EXPECT_STATUS(psws_server_start(NULL, NULL), PSWS_STATUS_NULL_ARGUMENT);
  mine = str_dup(psws_last_error());
  REQUIRE(mine != NULL, "out of memory");
  REQUIRE(pthread_create(&thread, NULL, fail_on_another_thread, &t) == 0, "pthread_create");
  pthread_join(thread, NULL);
  EXPECT(t.empty_at_start, "a new thread's psws_last_error() is not empty");
  EXPECT(t.status == PSWS_STATUS_INVALID_HANDLE && t.message[0] != '\0',
         "the other thread got %s '%s'", status_name(t.status), t.message);
  EXPECT(str_is(psws_last_error(), mine), "another thread's failure changed this thread's error");
  /* A successful call leaves the message alone. */
  TRY(psws_server_new(NULL, &server));
  TRY(psws_server_signing_enabled(server, &enabled));
  EXPECT(str_is(psws_last_error(), mine), "a successful call changed psws_last_error()");

cleanup:
  free(mine);
  psws_server_free(server);
  return 0;
}

/* ---- blocking calls from a callback ---------------------------------------------- */

typedef struct reentry {
  psws_client *client;
  psws_server *server;
  pthread_mutex_t mutex;
  psws_status connect_status, send_status, respond_status, free_status;
  psws_status set_callback_status, server_free_status;
  bool called;
} reentry;

/* Makes calls from inside the callback: blocking ones and ones that would wait for this
 * very call (refused), non-blocking ones (allowed), and answers the request right there. */
static void reentrant_callback(void *userdata, const struct psws_event *event) {
  reentry *r = userdata;
  if (event->kind != PSWS_EVENT_KIND_REQUEST) return;
  psws_status connect = psws_client_connect(r->client, S("x"), S("ws://127.0.0.1:1/"), NULL);
  psws_status send = psws_server_send(r->server, NULL, 0, NULL, 0, NULL, 0,
                                      (const uint8_t *)"x", 1, NULL);
  psws_status set_callback = psws_server_set_callback(r->server, NULL, NULL);
  psws_status server_free = psws_server_free(r->server);
  psws_status respond = psws_request_respond(event->request, 202, NULL, 0, NULL, 0);
  psws_status freed = psws_request_free(event->request);
  pthread_mutex_lock(&r->mutex);
  r->set_callback_status = set_callback;
  r->server_free_status = server_free;
  r->connect_status = connect;
  r->send_status = send;
  r->respond_status = respond;
  r->free_status = freed;
  r->called = true;
  pthread_mutex_unlock(&r->mutex);
}

static int calls_from_callback(void) {
  reentry r;
  http_job job;
  struct psws_endpoint http = {S("web"), PSWS_PROTOCOL_HTTP, S("127.0.0.1"), 0,
                               S(""),    S(""),              S(""),          false};
  struct psws_bound_endpoint bound;
  memset(&r, 0, sizeof r);
  memset(&job, 0, sizeof job);
  pthread_mutex_init(&r.mutex, NULL);

  TRY(psws_client_new(NULL, &r.client));
  TRY(psws_server_new(NULL, &r.server));
  TRY(psws_server_set_callback(r.server, reentrant_callback, &r));
  TRY(psws_server_add_endpoint(r.server, &http));
  TRY(psws_server_add_route(r.server, S("GET"), S("/r"), NULL, 0, NULL));
  TRY(psws_server_start(r.server, NULL));
  TRY(psws_server_endpoint(r.server, 0, &bound));
  REQUIRE(http_start(&job, bound.port, "GET", "/r", NULL), "cannot start the HTTP thread");
  int status = http_finish(&job);
  EXPECT(status == 202, "a request answered inside the callback got HTTP %d", status);
  pthread_mutex_lock(&r.mutex);
  EXPECT(r.called, "the callback did not run");
  EXPECT(r.connect_status == PSWS_STATUS_INVALID_ARGUMENT,
         "psws_client_connect from a callback returned %s, expected INVALID_ARGUMENT",
         status_name(r.connect_status));
  EXPECT(r.send_status == PSWS_STATUS_OK, "psws_server_send from a callback: %s",
         status_name(r.send_status));
  EXPECT(r.set_callback_status == PSWS_STATUS_IN_CALLBACK && r.server_free_status == PSWS_STATUS_IN_CALLBACK,
         "set_callback/free of the server from its own callback: %s/%s, expected IN_CALLBACK",
         status_name(r.set_callback_status), status_name(r.server_free_status));
  EXPECT(r.respond_status == PSWS_STATUS_OK && r.free_status == PSWS_STATUS_OK,
         "respond/free from a callback: %s/%s", status_name(r.respond_status),
         status_name(r.free_status));
  pthread_mutex_unlock(&r.mutex);

cleanup:
  http_free(&job);
  EXPECT_STATUS(psws_server_free(r.server), PSWS_STATUS_OK);
  EXPECT_STATUS(psws_client_free(r.client), PSWS_STATUS_OK);
  pthread_mutex_destroy(&r.mutex);
  return 0;
}

int main(void) {
  if (test_init(PROGRAM) != 0) return test_finish(PROGRAM);
  null_handles();
  null_outputs();
  stale_and_wrong_handles();
  bad_strings();
  bad_enums();
  bad_client_numbers();
  lifecycle();
  buffers();
  client_errors();
  requests();
  last_error_per_thread();
  calls_from_callback();
  return test_finish(PROGRAM);
}
