/*
 * A whole OKR cycle through the C ABI: organisation, planning, check-ins, review,
 * retrospective, close; then queries (rollup, as-of, scores, report, stats, cycles),
 * validate, flush, polling at the ends of the log, a subscription, export/import, error
 * paths (a repeated key, a text over the limit) and every free with NULL. Exit code 0 and a last line "cycle.c: ok" mean
 * success. Usage: cycle <store path or :memory:>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okr.h"

static int failures = 0;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fprintf(stderr, "\n");                                                   \
      failures++;                                                              \
    }                                                                          \
  } while (0)


static const char *MASTER = "00000000-0000-0000-0000-000000000001";
static const char *LEAD = "00000000-0000-0000-0000-000000000002";
static const char *MEMBER = "00000000-0000-0000-0000-000000000003";
static const char *ROOT = "00000000-0000-0000-0000-000000000100";
static const char *TEAM = "00000000-0000-0000-0000-000000000101";
static const char *CYCLE = "00000000-0000-0000-0000-000000000200";
static const char *OBJECTIVE = "00000000-0000-0000-0000-000000000300";
static const char *KR1 = "00000000-0000-0000-0000-000000000400";
static const char *KR2 = "00000000-0000-0000-0000-000000000401";

static int next_command = 0;
static char buf[4096];

/* Builds a command with a fresh command id; `body` is the JSON of the body. */
static const char *command(const char *actor, const char *at, const char *body) {
  next_command++;
  snprintf(buf, sizeof buf,
           "{\"version\":1,\"envelope\":{\"command_id\":\"00000000-0000-0000-0001-%012d\","
           "\"actor\":\"%s\",\"at\":\"%s\"},\"body\":%s}",
           next_command, actor, at, body);
  return buf;
}

/* Executes a command that must succeed; returns the last global position. */
static long execute(okr_engine *engine, const char *json) {
  okr_bytes *out = NULL;
  okr_error *err = NULL;
  okr_result rc = okr_engine_execute(engine, (const uint8_t *)json, strlen(json), &out, &err);
  long position = -1;
  if (rc != OKR_RESULT_OK) {
    fprintf(stderr, "command refused (%u %s): %s\n  %s\n", rc, okr_result_str(rc),
            okr_error_message(err), json);
    failures++;
  } else {
    const char *text = (const char *)okr_bytes_data(out);
    CHECK(text[okr_bytes_len(out)] == '\0', "outputs end with NUL");
    CHECK(strstr(text, "\"version\":1") != NULL, "%s", text);
    const char *p = strstr(text, "\"positions\":[");
    if (p) {
      p += strlen("\"positions\":[");
      while (*p && *p != ']') {
        position = strtol(p, (char **)&p, 10);
        if (*p == ',') p++;
      }
    }
  }
  okr_bytes_free(out);
  okr_error_free(err);
  return position;
}

/* Runs a query that must succeed; the caller frees the result. */
static okr_bytes *query(okr_engine *engine, const char *json) {
  okr_bytes *out = NULL;
  okr_error *err = NULL;
  okr_result rc = okr_engine_query(engine, (const uint8_t *)json, strlen(json), &out, &err);
  if (rc != OKR_RESULT_OK) {
    fprintf(stderr, "query failed (%u): %s\n  %s\n", rc, okr_error_message(err), json);
    failures++;
  }
  okr_error_free(err);
  return out;
}

static int contains(okr_bytes *b, const char *needle) {
  return b != NULL && strstr((const char *)okr_bytes_data(b), needle) != NULL;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : ":memory:";
  char body[1024];
  char q[512];

  CHECK(okr_abi_version() == OKR_ABI_VERSION, "abi %u", okr_abi_version());
  CHECK(strlen(okr_version()) > 0, "version");
  CHECK(strcmp(okr_result_str(OKR_RESULT_REJECTED), "the command was rejected by the OKR rules") == 0,
        "%s", okr_result_str(OKR_RESULT_REJECTED));

  okr_engine *engine = NULL;
  okr_error *err = NULL;
  const char *options = "{\"version\":1,\"durability\":\"none\",\"snapshot_every\":5}";
  okr_result rc = okr_engine_open((const uint8_t *)path, strlen(path), (const uint8_t *)options,
                                  strlen(options), &engine, &err);
  if (rc != OKR_RESULT_OK) {
    fprintf(stderr, "open failed: %s\n", okr_error_message(err));
    okr_error_free(err);
    return 1;
  }

  /* --- organisation --- */
  const char *t0 = "2025-01-02T09:00:00Z";
  snprintf(body, sizeof body,
           "{\"type\":\"define_unit\",\"unit\":\"%s\",\"name\":\"Federation\",\"kind\":\"organisation\"}",
           ROOT);
  execute(engine, command(MASTER, t0, body));
  snprintf(body, sizeof body, "{\"type\":\"register_person\",\"person\":\"%s\",\"name\":\"Alex\"}", MASTER);
  execute(engine, command(MASTER, t0, body));
  snprintf(body, sizeof body,
           "{\"type\":\"grant_membership\",\"unit\":\"%s\",\"person\":\"%s\",\"role\":\"okr_master\"}",
           ROOT, MASTER);
  execute(engine, command(MASTER, t0, body));
  snprintf(body, sizeof body,
           "{\"type\":\"define_unit\",\"unit\":\"%s\",\"name\":\"Permits\",\"kind\":\"team\",\"parent\":\"%s\"}",
           TEAM, ROOT);
  execute(engine, command(MASTER, t0, body));
  snprintf(body, sizeof body, "{\"type\":\"register_person\",\"person\":\"%s\",\"name\":\"Lee\"}", LEAD);
  execute(engine, command(MASTER, t0, body));
  snprintf(body, sizeof body,
           "{\"type\":\"grant_membership\",\"unit\":\"%s\",\"person\":\"%s\",\"role\":\"lead\"}", TEAM, LEAD);
  execute(engine, command(MASTER, t0, body));
  snprintf(body, sizeof body, "{\"type\":\"register_person\",\"person\":\"%s\",\"name\":\"Mo\"}", MEMBER);
  execute(engine, command(MASTER, t0, body));
  snprintf(body, sizeof body,
           "{\"type\":\"grant_membership\",\"unit\":\"%s\",\"person\":\"%s\",\"role\":\"member\"}", TEAM,
           MEMBER);
  execute(engine, command(MASTER, t0, body));

  /* --- planning --- */
  snprintf(body, sizeof body,
           "{\"type\":\"plan_cycle\",\"cycle\":\"%s\",\"name\":\"2025-Q1\",\"kind\":\"regular\","
           "\"start\":\"2025-01-06\",\"end\":\"2025-03-28\",\"check_in_weekday\":\"Mon\"}",
           CYCLE);
  execute(engine, command(MASTER, "2025-01-03T09:00:00Z", body));
  snprintf(body, sizeof body,
           "{\"type\":\"draft_objective\",\"cycle\":\"%s\",\"objective\":\"%s\",\"unit\":\"%s\","
           "\"title\":\"Citizens get building permits faster\",\"beneficiary\":\"citizens\","
           "\"kind\":\"committed\"}",
           CYCLE, OBJECTIVE, TEAM);
  execute(engine, command(LEAD, "2025-01-03T10:00:00Z", body));
  snprintf(body, sizeof body,
           "{\"type\":\"add_key_result\",\"objective\":\"%s\",\"key_result\":\"%s\","
           "\"title\":\"Share of permits decided online\",\"weight\":2,\"owner\":\"%s\","
           "\"kind\":{\"type\":\"increase\",\"baseline\":10,\"target\":50,\"unit\":\"%%\"}}",
           OBJECTIVE, KR1, MEMBER);
  execute(engine, command(LEAD, "2025-01-03T10:05:00Z", body));
  snprintf(body, sizeof body,
           "{\"type\":\"add_key_result\",\"objective\":\"%s\",\"key_result\":\"%s\","
           "\"title\":\"Days to a decision\","
           "\"kind\":{\"type\":\"decrease\",\"baseline\":30,\"target\":10,\"unit\":\"days\"}}",
           OBJECTIVE, KR2);
  execute(engine, command(LEAD, "2025-01-03T10:06:00Z", body));
  snprintf(body, sizeof body, "{\"type\":\"commit_objective\",\"objective\":\"%s\"}", OBJECTIVE);
  execute(engine, command(LEAD, "2025-01-03T11:00:00Z", body));
  snprintf(body, sizeof body, "{\"type\":\"start_cycle\",\"cycle\":\"%s\"}", CYCLE);
  execute(engine, command(MASTER, "2025-01-06T08:00:00Z", body));

  /* --- weekly check-ins --- */
  snprintf(body, sizeof body,
           "{\"type\":\"check_in\",\"key_result\":\"%s\",\"value\":30,\"confidence\":7,\"note\":\"half way\"}",
           KR1);
  long first_check_in = execute(engine, command(MEMBER, "2025-01-13T09:00:00Z", body));
  snprintf(body, sizeof body, "{\"type\":\"check_in\",\"key_result\":\"%s\",\"value\":20,\"confidence\":6}",
           KR2);
  execute(engine, command(MEMBER, "2025-01-20T09:00:00Z", body));
  snprintf(body, sizeof body, "{\"type\":\"check_in\",\"key_result\":\"%s\",\"value\":50,\"confidence\":9}",
           KR1);
  execute(engine, command(MEMBER, "2025-03-24T09:00:00Z", body));

  /* --- review, retrospective, close --- */
  snprintf(body, sizeof body, "{\"type\":\"begin_review\",\"cycle\":\"%s\"}", CYCLE);
  execute(engine, command(MASTER, "2025-03-29T09:00:00Z", body));
  snprintf(body, sizeof body, "{\"type\":\"begin_retrospective\",\"cycle\":\"%s\"}", CYCLE);
  execute(engine, command(MASTER, "2025-04-01T09:00:00Z", body));
  snprintf(body, sizeof body,
           "{\"type\":\"add_retro_item\",\"cycle\":\"%s\",\"item\":\"00000000-0000-0000-0000-000000000500\","
           "\"kind\":\"keep\",\"text\":\"weekly check-ins\"}",
           CYCLE);
  execute(engine, command(LEAD, "2025-04-01T10:00:00Z", body));
  snprintf(body, sizeof body, "{\"type\":\"close_cycle\",\"cycle\":\"%s\"}", CYCLE);
  long last = execute(engine, command(MASTER, "2025-04-02T09:00:00Z", body));
  CHECK(last == 20, "last position %ld", last);

  /* --- a refused command: wrong phase --- */
  {
    snprintf(body, sizeof body, "{\"type\":\"check_in\",\"key_result\":\"%s\",\"value\":1,\"confidence\":1}",
             KR1);
    const char *json = command(MEMBER, "2025-04-03T09:00:00Z", body);
    okr_bytes *out = (okr_bytes *)1;
    rc = okr_engine_execute(engine, (const uint8_t *)json, strlen(json), &out, &err);
    CHECK(rc == OKR_RESULT_REJECTED, "rc %u", rc);
    CHECK(out == NULL, "out is NULL on failure");
    CHECK(okr_error_code(err) == OKR_RESULT_REJECTED, "code");
    CHECK(strstr(okr_error_message(err), "\"rejection\":\"wrong_phase\"") != NULL, "%s",
          okr_error_message(err));
    okr_error_free(err);
    err = NULL;
  }

  /* --- queries --- */
  snprintf(q, sizeof q, "{\"version\":1,\"query\":\"rollup\",\"cycle\":\"%s\"}", CYCLE);
  okr_bytes *rollup = query(engine, q);
  CHECK(contains(rollup, "\"query\":\"rollup\""), "rollup");
  CHECK(contains(rollup, "\"cycle\":833333"), "%s", rollup ? (const char *)okr_bytes_data(rollup) : "");
  CHECK(contains(rollup, "\"progress_ppm\":1000000"), "kr1 done");
  CHECK(contains(rollup, "\"progress_ppm\":500000"), "kr2 half way");
  printf("rollup: %s\n", rollup ? (const char *)okr_bytes_data(rollup) : "(none)");
  okr_bytes_free(rollup);

  snprintf(q, sizeof q, "{\"version\":1,\"query\":\"as_of\",\"position\":%ld,\"cycle\":\"%s\"}",
           first_check_in, CYCLE);
  okr_bytes *past = query(engine, q);
  CHECK(contains(past, "\"phase\":\"running\""), "running then");
  CHECK(contains(past, "\"progress_ppm\":500000"), "kr1 half way then");
  CHECK(contains(past, "\"cycle\":333333"), "%s", past ? (const char *)okr_bytes_data(past) : "");
  okr_bytes_free(past);

  snprintf(q, sizeof q, "{\"query\":\"scores\",\"cycle\":\"%s\"}", CYCLE);
  okr_bytes *scores = query(engine, q);
  CHECK(contains(scores, "\"cycle\":833333"), "scores");
  okr_bytes_free(scores);

  snprintf(q, sizeof q, "{\"version\":1,\"query\":\"rescore\",\"cycle\":\"%s\",\"policy\":\"equal\"}", CYCLE);
  okr_bytes *rescore = query(engine, q);
  CHECK(contains(rescore, "\"cycle\":750000"), "%s", rescore ? (const char *)okr_bytes_data(rescore) : "");
  okr_bytes_free(rescore);

  snprintf(q, sizeof q, "{\"version\":1,\"query\":\"history\",\"cycle\":\"%s\"}", CYCLE);
  okr_bytes *history = query(engine, q);
  CHECK(contains(history, "\"week\":12"), "history");
  okr_bytes_free(history);

  snprintf(q, sizeof q, "{\"version\":1,\"query\":\"cycle\",\"cycle\":\"%s\"}", CYCLE);
  okr_bytes *cycle = query(engine, q);
  CHECK(contains(cycle, "\"phase\":\"closed\""), "closed");
  okr_bytes_free(cycle);

  okr_bytes *position = query(engine, "{\"version\":1,\"query\":\"position\"}");
  CHECK(contains(position, "\"position\":20"), "position");
  okr_bytes_free(position);

  /* --- polling --- */
  {
    okr_bytes *page = NULL;
    rc = okr_engine_events_since(engine, 18, 100, &page, &err);
    CHECK(rc == OKR_RESULT_OK, "events_since %u", rc);
    CHECK(contains(page, "\"next_position\":21"), "next position");
    CHECK(contains(page, "\"event_type\":\"cycle_closed\""), "closed event");
    okr_bytes_free(page);
  }

  /* --- the ends of the log: 21 is the next position, 22 is beyond --- */
  {
    okr_bytes *page = NULL;
    rc = okr_engine_events_since(engine, 21, 100, &page, &err);
    CHECK(rc == OKR_RESULT_OK, "events_since at the end %u", rc);
    CHECK(contains(page, "\"events\":[]"), "nothing new");
    CHECK(contains(page, "\"next_position\":21"), "stays at 21");
    okr_bytes_free(page);
    page = NULL;
    rc = okr_engine_events_since(engine, 22, 100, &page, &err);
    CHECK(rc == OKR_RESULT_NOT_FOUND, "beyond the end %u", rc);
    CHECK(page == NULL, "no page on failure");
    okr_error_free(err);
    err = NULL;
    rc = okr_engine_events_since(engine, 0, 0, &page, &err);
    CHECK(rc == OKR_RESULT_INVALID_ARGUMENT, "max 0 %u", rc);
    okr_error_free(err);
    err = NULL;
  }

  /* --- report, stats, cycles --- */
  {
    okr_bytes *report = query(engine, "{\"query\":\"report\"}");
    CHECK(contains(report, "\"report_version\":1"), "report");
    CHECK(contains(report, "\"name\":\"2025-Q1\""), "the closed cycle's report");
    okr_bytes_free(report);
    okr_bytes *stats = query(engine, "{\"query\":\"stats\"}");
    CHECK(contains(stats, "\"query\":\"stats\""), "stats");
    okr_bytes_free(stats);
    char bq[256];
    snprintf(bq, sizeof bq, "{\"query\":\"board\",\"unit\":\"%s\"}", TEAM);
    okr_bytes *board = query(engine, bq);
    CHECK(contains(board, "\"query\":\"board\""), "board");
    CHECK(contains(board, "\"cycle_name\":\"2025-Q1\""), "the closed cycle's board");
    CHECK(contains(board, "\"name\":\"Permits\""), "the team's lane");
    CHECK(contains(board, "\"top3\":[]"), "no initiative, no TOP-3");
    okr_bytes_free(board);
    const char *two = "{\"query\":\"board\",\"unit\":\"00000000-0000-0000-0000-000000000101\","
                      "\"objective\":\"00000000-0000-0000-0000-000000000300\"}";
    okr_bytes *none = (okr_bytes *)1;
    rc = okr_engine_query(engine, (const uint8_t *)two, strlen(two), &none, &err);
    CHECK(rc == OKR_RESULT_INVALID_QUERY, "board with two scopes %u", rc);
    CHECK(strstr(okr_error_message(err), "at most one") != NULL, "%s", okr_error_message(err));
    okr_error_free(err);
    err = NULL;
    okr_bytes *cycles = query(engine, "{\"version\":1.0,\"query\":\"cycles\"}");
    CHECK(contains(cycles, "\"phase\":\"closed\""), "cycles");
    okr_bytes_free(cycles);
  }

  /* --- validate: decided, not written; then flush --- */
  {
    snprintf(body, sizeof body,
             "{\"type\":\"define_unit\",\"unit\":\"00000000-0000-0000-0000-000000000199\","
             "\"name\":\"Bauhof\",\"kind\":\"team\",\"parent\":\"%s\"}", ROOT);
    const char *json = command(MASTER, "2025-04-01T09:00:00Z", body);
    okr_bytes *dry = NULL;
    rc = okr_engine_validate(engine, (const uint8_t *)json, strlen(json), &dry, &err);
    CHECK(rc == OKR_RESULT_OK, "validate %u %s", rc, okr_error_message(err));
    CHECK(contains(dry, "\"unit_defined\""), "the event it would record");
    okr_bytes_free(dry);
    okr_bytes *p = query(engine, "{\"query\":\"position\"}");
    CHECK(contains(p, "\"position\":20"), "nothing written");
    okr_bytes_free(p);
    rc = okr_engine_flush(engine, &err);
    CHECK(rc == OKR_RESULT_OK, "flush %u", rc);
  }

  /* --- bad input: a repeated key, a text over the limit --- */
  {
    okr_bytes *out = NULL;
    const char *twice = "{\"query\":\"position\",\"query\":\"state\"}";
    rc = okr_engine_query(engine, (const uint8_t *)twice, strlen(twice), &out, &err);
    CHECK(rc == OKR_RESULT_INVALID_QUERY, "repeated key %u", rc);
    CHECK(strstr(okr_error_message(err), "more than once") != NULL, "%s", okr_error_message(err));
    okr_error_free(err);
    err = NULL;
    size_t n = 10001;
    char *name = malloc(n + 1);
    memset(name, 'x', n);
    name[n] = '\0';
    char *big = malloc(n + 512);
    snprintf(big, n + 512,
             "{\"envelope\":{\"command_id\":\"00000000-0000-0000-0009-000000000001\","
             "\"actor\":\"%s\",\"at\":\"2025-04-01T09:00:00Z\"},"
             "\"body\":{\"type\":\"rename_unit\",\"unit\":\"%s\",\"name\":\"%s\"}}",
             MASTER, ROOT, name);
    rc = okr_engine_execute(engine, (const uint8_t *)big, strlen(big), &out, &err);
    CHECK(rc == OKR_RESULT_TOO_LARGE, "text over the limit %u", rc);
    CHECK(strstr(okr_error_message(err), "`body.name`") != NULL, "%s", okr_error_message(err));
    okr_error_free(err);
    err = NULL;
    free(name);
    free(big);
  }

  /* --- a subscription: the last event, then a live one --- */
  {
    okr_subscription *sub = NULL;
    rc = okr_engine_subscribe(engine, 20, &sub, &err);
    CHECK(rc == OKR_RESULT_OK, "subscribe %u", rc);
    okr_bytes *page = NULL;
    rc = okr_subscription_next(sub, 10, 0, &page, &err);
    CHECK(rc == OKR_RESULT_OK, "next %u", rc);
    CHECK(contains(page, "\"position\":20"), "the last event");
    CHECK(contains(page, "\"next_position\":21"), "then 21");
    okr_bytes_free(page);
    snprintf(body, sizeof body,
             "{\"type\":\"rename_unit\",\"unit\":\"%s\",\"name\":\"Verbund\"}", ROOT);
    execute(engine, command(MASTER, "2025-04-01T09:00:00Z", body));
    rc = okr_subscription_next(sub, 10, 1000, &page, &err);
    CHECK(rc == OKR_RESULT_OK, "next live %u", rc);
    CHECK(contains(page, "\"unit_renamed\""), "the live event");
    okr_bytes_free(page);
    okr_subscription_free(sub);
    okr_subscription_free(NULL);
  }

  /* --- export, import into a new engine in memory --- */
  {
    okr_bytes *log = NULL;
    rc = okr_engine_export(engine, &log, &err);
    CHECK(rc == OKR_RESULT_OK, "export %u", rc);
    okr_engine *copy = NULL;
    rc = okr_engine_open((const uint8_t *)":memory:", 8, NULL, 0, &copy, &err);
    CHECK(rc == OKR_RESULT_OK, "open copy %u", rc);
    rc = okr_engine_import(copy, okr_bytes_data(log), okr_bytes_len(log), &err);
    CHECK(rc == OKR_RESULT_OK, "import %u %s", rc, okr_error_message(err));
    okr_bytes *p = query(copy, "{\"query\":\"position\"}");
    CHECK(contains(p, "\"position\":21"), "imported position");
    okr_bytes_free(p);
    /* a second import into a non-empty store is refused */
    rc = okr_engine_import(copy, okr_bytes_data(log), okr_bytes_len(log), &err);
    CHECK(rc == OKR_RESULT_IMPORT, "second import %u", rc);
    okr_error_free(err);
    err = NULL;
    okr_bytes_free(log);
    okr_engine_close(copy);
  }

  /* --- error paths: NULL argument, no err_out, closed handle --- */
  {
    okr_bytes *out = NULL;
    rc = okr_engine_query(NULL, (const uint8_t *)"{}", 2, &out, &err);
    CHECK(rc == OKR_RESULT_NULL_ARGUMENT, "null engine %u", rc);
    CHECK(strstr(okr_error_message(err), "`engine`") != NULL, "%s", okr_error_message(err));
    okr_error_free(err);
    err = NULL;
    rc = okr_engine_query(engine, (const uint8_t *)"{", 1, &out, NULL);
    CHECK(rc == OKR_RESULT_MALFORMED_JSON, "malformed %u", rc);
  }

  /* --- every free accepts NULL --- */
  okr_bytes_free(NULL);
  okr_error_free(NULL);
  okr_engine_close(NULL);
  CHECK(okr_bytes_data(NULL) == NULL, "data of NULL");
  CHECK(okr_bytes_len(NULL) == 0, "len of NULL");
  CHECK(okr_error_code(NULL) == OKR_RESULT_OK, "code of NULL");
  CHECK(strcmp(okr_error_message(NULL), "") == 0, "message of NULL");

  rc = okr_engine_shutdown(engine, &err);
  CHECK(rc == OKR_RESULT_OK, "shutdown %u", rc);
  {
    okr_bytes *out = NULL;
    rc = okr_engine_query(engine, (const uint8_t *)"{\"query\":\"position\"}", 20, &out, &err);
    CHECK(rc == OKR_RESULT_CLOSED, "closed %u", rc);
    okr_error_free(err);
    err = NULL;
  }
  okr_engine_close(engine);

  if (failures) {
    fprintf(stderr, "cycle.c: %d failure(s)\n", failures);
    return 1;
  }
  printf("cycle.c: ok\n");
  return 0;
}
