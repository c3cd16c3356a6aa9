/* chat_server.c: Pode's Web-SignalManual.ps1 chat on libpsws, in C.
 *
 * A Ws endpoint on port 8091 (or argv[1]) with no auto-upgrade; GET /msg is upgraded to
 * a signal connection with Name "Msg"; a signal route on /msg sends every message to
 * Name "Msg" as {"message":...}, turning "[date]" into the current time. Stops cleanly
 * on SIGINT or SIGTERM. Browser side: new WebSocket("ws://localhost:8091/msg"). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "psws.h"

/* Prints why a call failed; returns true when it succeeded. */
static bool ok(psws_status status, const char *what) {
  if (status == PSWS_STATUS_OK) return true;
  struct psws_str error = psws_last_error(); /* this thread's last failure */
  fprintf(stderr, "%s failed (%u): %.*s\n", what, (unsigned)status, (int)error.len, error.ptr);
  return false;
}

/* SIGNAL on /msg: Send-PodeSignal -Name Msg -Value @{ message = $msg }. */
static void on_signal(const psws_server *server, const struct psws_event *event) {
  static const char prefix[] = "{\"message\":";
  struct psws_str message = event->text; /* the envelope's message as JSON: "\"hi\"" */
  struct psws_str name = psws_str_c("Msg");
  char date[64];
  if (message.len == 8 && strncasecmp(message.ptr, "\"[date]\"", 8) == 0) {
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    strftime(date, sizeof date, "\"%Y-%m-%d %H:%M:%S\"", &local);
    message = psws_str_c(date);
  }
  size_t len = sizeof prefix - 1 + message.len + 1;
  char *payload = malloc(len);
  if (!payload) return;
  memcpy(payload, prefix, sizeof prefix - 1);
  memcpy(payload + sizeof prefix - 1, message.ptr, message.len);
  payload[len - 1] = '}';
  ok(psws_server_send(server, &name, 1, NULL, 0, NULL, 0, (const uint8_t *)payload, len, NULL),
     "send");
  free(payload);
}

/* Runs on engine threads, with data valid only during the call: no blocking calls
 * here (psws_server_free, psws_server_set_callback, psws_client_connect...). */
static void on_event(void *userdata, const struct psws_event *event) {
  const psws_server *server = userdata;
  if (event->kind == PSWS_EVENT_KIND_REQUEST) {
    /* GET /msg: ConvertTo-PodeSignalConnection -Name Msg. The request is ours: free it. */
    struct psws_upgrade upgrade = {psws_str_c("Msg"), psws_str_c(""), psws_str_c(""),
                                   PSWS_SCOPE_DEFAULT};
    struct psws_connection_info connection;
    if (ok(psws_request_upgrade(event->request, &upgrade, &connection), "upgrade")) {
      printf("connected: %.*s\n", (int)connection.client_id.len, connection.client_id.ptr);
    }
    psws_request_free(event->request);
  } else if (event->kind == PSWS_EVENT_KIND_SIGNAL) {
    on_signal(server, event);
  } else if (event->kind == PSWS_EVENT_KIND_DISCONNECT) {
    printf("disconnected: %.*s\n", (int)event->connection->client_id.len,
           event->connection->client_id.ptr);
  }
}

int main(int argc, char **argv) {
  psws_server *server = NULL;
  struct psws_bound_endpoint bound;
  sigset_t stop_signals;
  int signal_number = 0, exit_code = 1;

  /* Block SIGINT/SIGTERM before the engine starts its threads (they inherit the mask),
   * then wait for them with sigwait on this thread. */
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);

  struct psws_endpoint ws = {psws_str_c("ws"),  PSWS_PROTOCOL_WS, psws_str_c("localhost"),
                             (uint16_t)(argc > 1 ? atoi(argv[1]) : 8091),
                             psws_str_c(""),    psws_str_c(""),   psws_str_c(""),
                             true /* no_auto_upgrade */};
  if (psws_abi_version() != PSWS_ABI_VERSION) {
    fprintf(stderr, "libpsws ABI %u, expected %u\n", psws_abi_version(), PSWS_ABI_VERSION);
    return 1;
  }
  if (!ok(psws_server_new(NULL, &server), "psws_server_new") ||
      !ok(psws_server_set_callback(server, on_event, server), "set_callback") ||
      !ok(psws_server_add_endpoint(server, &ws), "add_endpoint") ||
      !ok(psws_server_add_route(server, psws_str_c("GET"), psws_str_c("/msg"), NULL, 0, NULL),
          "add_route") ||
      !ok(psws_server_add_signal_route(server, psws_str_c("/msg"), NULL, 0, NULL),
          "add_signal_route") ||
      !ok(psws_server_start(server, NULL), "start") ||
      !ok(psws_server_endpoint(server, 0, &bound), "endpoint")) {
    goto cleanup;
  }
  printf("chat server on ws://localhost:%u/msg (Ctrl+C stops it)\n", (unsigned)bound.port);

  if (sigwait(&stop_signals, &signal_number) == 0) {
    printf("stopping on signal %d\n", signal_number);
  }
  if (ok(psws_server_stop(server), "stop")) exit_code = 0;

cleanup:
  psws_server_free(server); /* NULL is fine; no callback runs once it returns */
  return exit_code;
}
