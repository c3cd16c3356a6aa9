/*
 * chat_smoke PORT: chats with examples/c/chat_server (started by run.sh on PORT) through
 * the library's own client: two clients on /msg both receive each message as
 * {"message":...}, "[date]" comes back as a time, and /other has no route (so the server
 * really runs without the legacy auto-upgrade).
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "chat_smoke"

static bool expect_text(inbox *box, const char *name, const char *want, const char *what) {
  item *it = inbox_wait(box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_MESSAGE, name, what);
  bool ok = it && EXPECT(!it->binary && it->data && strcmp((char *)it->data, want) == 0,
                         "%s: %s got '%s', expected '%s'", what, name,
                         it->data ? (char *)it->data : "", want);
  item_free(it);
  return ok;
}

/* The reply to [date]: {"message":"YYYY-MM-DD HH:MM:SS"}. */
static bool expect_date(inbox *box, const char *name) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  item *it = inbox_wait(box, FROM_CLIENT, PSWS_CLIENT_EVENT_KIND_MESSAGE, name, "[date] reply");
  bool ok = it && it->data &&
            EXPECT(sscanf((char *)it->data, "{\"message\":\"%4d-%2d-%2d %2d:%2d:%2d\"}", &y, &mo,
                          &d, &h, &mi, &s) == 6 &&
                       y >= 2000,
                   "%s: the [date] reply is '%s'", name, (char *)it->data);
  item_free(it);
  return ok;
}

static bool send_text(psws_client *client, const char *name, const char *text) {
  return EXPECT_STATUS(
      psws_client_send(client, S(name), (const uint8_t *)text, strlen(text), false),
      PSWS_STATUS_OK);
}

int main(int argc, char **argv) {
  inbox box;
  bool box_ready = false;
  psws_client *client = NULL;
  struct psws_client_config config;
  char url[128];

  if (test_init(PROGRAM) != 0) goto cleanup;
  REQUIRE(argc == 2 && atoi(argv[1]) > 0, "usage: chat_smoke PORT");
  REQUIRE(inbox_init(&box) == 0, "inbox_init");
  box_ready = true;
  TRY(psws_client_config_default(&config));
  config.connect_timeout_ms = g_timeout_ms;
  TRY(psws_client_new(&config, &client));
  TRY(psws_client_set_callback(client, inbox_client_callback, &box));

  snprintf(url, sizeof url, "ws://127.0.0.1:%s/msg", argv[1]);
  TRY(psws_client_connect(client, S("a"), S(url), NULL));
  TRY(psws_client_connect(client, S("b"), S(url), NULL));

  send_text(client, "a", "{\"message\":\"hi\"}");
  expect_text(&box, "a", "{\"message\":\"hi\"}", "a's message to Msg");
  expect_text(&box, "b", "{\"message\":\"hi\"}", "a's message to Msg");
  send_text(client, "b", "{\"message\": {\"x\": [1, 2]}}");
  expect_text(&box, "a", "{\"message\":{\"x\":[1,2]}}", "b's JSON message");
  expect_text(&box, "b", "{\"message\":{\"x\":[1,2]}}", "b's JSON message");
  send_text(client, "b", "{\"message\":\"[DATE]\"}");
  expect_date(&box, "a");
  expect_date(&box, "b");

  snprintf(url, sizeof url, "ws://127.0.0.1:%s/other", argv[1]);
  EXPECT_STATUS(psws_client_connect(client, S("c"), S(url), NULL), PSWS_STATUS_CONNECT);

cleanup:
  EXPECT_STATUS(psws_client_free(client), PSWS_STATUS_OK);
  if (box_ready) inbox_destroy(&box);
  return test_finish(PROGRAM);
}
