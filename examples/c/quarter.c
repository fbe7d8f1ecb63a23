/*
 * A quarter of OKR through the C ABI of okr: one team, one committed objective with two
 * key results, weekly check-ins, review, retrospective, close; then the rollup, the scores
 * and the cycle as it stood after the first check-in.
 *
 * Build and run (from the workspace root):
 *   cargo build --release -p okr-ffi
 *   make -C examples/c run            # or: make -C examples/c && ./examples/c/quarter [store-dir]
 */
#include <stdio.h>
#include <string.h>

#include "okr.h"

#define U(n) "\"00000000-0000-0000-0000-0000000000" #n "\""
#define ENV(n, actor, at)                                                          \
  "{\"version\":1,\"envelope\":{\"command_id\":\"00000000-0000-0000-0001-0000000000" #n \
  "\",\"actor\":" actor ",\"at\":\"" at "\"},\"body\":"

#define MASTER U(01)
#define LEAD U(02)
#define MEMBER U(03)
#define ROOT U(10)
#define TEAM U(11)
#define CYCLE U(20)
#define OBJ U(30)
#define KR1 U(40)
#define KR2 U(41)

static const char *COMMANDS[] = {
    ENV(01, MASTER, "2025-01-02T09:00:00Z") "{\"type\":\"define_unit\",\"unit\":" ROOT ",\"name\":\"Federation\",\"kind\":\"organisation\"}}",
    ENV(02, MASTER, "2025-01-02T09:00:00Z") "{\"type\":\"register_person\",\"person\":" MASTER ",\"name\":\"Alex\"}}",
    ENV(03, MASTER, "2025-01-02T09:00:00Z") "{\"type\":\"grant_membership\",\"unit\":" ROOT ",\"person\":" MASTER ",\"role\":\"okr_master\"}}",
    ENV(04, MASTER, "2025-01-02T09:00:00Z") "{\"type\":\"define_unit\",\"unit\":" TEAM ",\"name\":\"Permits\",\"kind\":\"team\",\"parent\":" ROOT "}}",
    ENV(05, MASTER, "2025-01-02T09:00:00Z") "{\"type\":\"register_person\",\"person\":" LEAD ",\"name\":\"Lee\"}}",
    ENV(06, MASTER, "2025-01-02T09:00:00Z") "{\"type\":\"grant_membership\",\"unit\":" TEAM ",\"person\":" LEAD ",\"role\":\"lead\"}}",
    ENV(07, MASTER, "2025-01-02T09:00:00Z") "{\"type\":\"register_person\",\"person\":" MEMBER ",\"name\":\"Mo\"}}",
    ENV(08, MASTER, "2025-01-02T09:00:00Z") "{\"type\":\"grant_membership\",\"unit\":" TEAM ",\"person\":" MEMBER ",\"role\":\"member\"}}",
    ENV(09, MASTER, "2025-01-03T09:00:00Z") "{\"type\":\"plan_cycle\",\"cycle\":" CYCLE ",\"name\":\"2025-Q1\",\"kind\":\"regular\",\"start\":\"2025-01-06\",\"end\":\"2025-03-28\",\"check_in_weekday\":\"Mon\"}}",
    ENV(10, LEAD, "2025-01-03T10:00:00Z") "{\"type\":\"draft_objective\",\"cycle\":" CYCLE ",\"objective\":" OBJ ",\"unit\":" TEAM ",\"title\":\"Citizens get building permits faster\",\"beneficiary\":\"citizens\",\"kind\":\"committed\"}}",
    ENV(11, LEAD, "2025-01-03T10:05:00Z") "{\"type\":\"add_key_result\",\"objective\":" OBJ ",\"key_result\":" KR1 ",\"title\":\"Share of permits decided online\",\"weight\":2,\"kind\":{\"type\":\"increase\",\"baseline\":10,\"target\":50,\"unit\":\"%\"}}}",
    ENV(12, LEAD, "2025-01-03T10:06:00Z") "{\"type\":\"add_key_result\",\"objective\":" OBJ ",\"key_result\":" KR2 ",\"title\":\"Days to a decision\",\"kind\":{\"type\":\"decrease\",\"baseline\":30,\"target\":10,\"unit\":\"days\"}}}",
    ENV(13, LEAD, "2025-01-03T11:00:00Z") "{\"type\":\"commit_objective\",\"objective\":" OBJ "}}",
    ENV(14, MASTER, "2025-01-06T08:00:00Z") "{\"type\":\"start_cycle\",\"cycle\":" CYCLE "}}",
    ENV(15, MEMBER, "2025-01-13T09:00:00Z") "{\"type\":\"check_in\",\"key_result\":" KR1 ",\"value\":30,\"confidence\":7}}",
    ENV(16, MEMBER, "2025-01-20T09:00:00Z") "{\"type\":\"check_in\",\"key_result\":" KR2 ",\"value\":20,\"confidence\":6}}",
    ENV(17, MEMBER, "2025-03-24T09:00:00Z") "{\"type\":\"check_in\",\"key_result\":" KR1 ",\"value\":50,\"confidence\":9}}",
    ENV(18, MASTER, "2025-03-29T09:00:00Z") "{\"type\":\"begin_review\",\"cycle\":" CYCLE "}}",
    ENV(19, MASTER, "2025-04-01T09:00:00Z") "{\"type\":\"begin_retrospective\",\"cycle\":" CYCLE "}}",
    ENV(20, LEAD, "2025-04-01T10:00:00Z") "{\"type\":\"add_retro_item\",\"cycle\":" CYCLE ",\"item\":" U(50) ",\"kind\":\"keep\",\"text\":\"weekly check-ins\"}}",
    ENV(21, MASTER, "2025-04-02T09:00:00Z") "{\"type\":\"close_cycle\",\"cycle\":" CYCLE "}}",
};

/* Runs a query and prints its JSON result; returns 0 on success. */
static int print_query(okr_engine *engine, const char *label, const char *json) {
  okr_bytes *out = NULL;
  okr_error *err = NULL;
  okr_result rc = okr_engine_query(engine, (const uint8_t *)json, strlen(json), &out, &err);
  if (rc != OKR_RESULT_OK) {
    fprintf(stderr, "%s failed: %s (%s)\n", label, okr_result_str(rc), okr_error_message(err));
    okr_error_free(err);
    return 1;
  }
  printf("%s: %s\n", label, (const char *)okr_bytes_data(out));
  okr_bytes_free(out);
  return 0;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : ":memory:";
  okr_engine *engine = NULL;
  okr_error *err = NULL;
  printf("okr %s (ABI %u)\n", okr_version(), okr_abi_version());
  if (okr_engine_open((const uint8_t *)path, strlen(path), NULL, 0, &engine, &err) != OKR_RESULT_OK) {
    fprintf(stderr, "open %s: %s\n", path, okr_error_message(err));
    okr_error_free(err);
    return 1;
  }
  int status = 0;
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0] && status == 0; i++) {
    okr_bytes *outcome = NULL;
    okr_result rc = okr_engine_execute(engine, (const uint8_t *)COMMANDS[i], strlen(COMMANDS[i]),
                                       &outcome, &err);
    if (rc != OKR_RESULT_OK) {
      /* For OKR_RESULT_REJECTED the message is the rejection as JSON. */
      fprintf(stderr, "command %zu: %s: %s\n", i + 1, okr_result_str(rc), okr_error_message(err));
      okr_error_free(err);
      status = 1;
    }
    okr_bytes_free(outcome);
  }
  if (status == 0) {
    status |= print_query(engine, "rollup", "{\"version\":1,\"query\":\"rollup\",\"cycle\":" CYCLE "}");
    status |= print_query(engine, "scores", "{\"version\":1,\"query\":\"scores\",\"cycle\":" CYCLE "}");
    status |= print_query(engine, "after the first check-in",
                          "{\"version\":1,\"query\":\"as_of\",\"at\":\"2025-01-13T09:00:00Z\",\"cycle\":" CYCLE "}");
  }
  okr_engine_close(engine);
  return status;
}
