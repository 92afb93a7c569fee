/* arith_prompt.c - fuzz target: a prompt typed into the chat pane of an arithmetic run
 * ("12+34=" and anything else): taken as a request (train/requests.h), put in the task's
 * training form (bn_task_prompt: "12 + 34 = ") and completed greedily by a tiny model to the
 * end of an answer (model/chat.h), as the trainer and the UI's worker do. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "model/chat.h"
#include "task/task.h"
#include "train/requests.h"

enum { MAX_SEQ = 64, MAX_NEW = 8 };

static bn_fuzz_fixture fx;

static void free_fixture(void)
{
    bn_fuzz_fixture_free(&fx);
}

static int ready(void)
{
    return bn_fuzz_fixture_ready(&fx, "arithmetic", NULL, MAX_SEQ, free_fixture);
}

/* The training form fits any buffer: NUL-terminated within cap, for every cap. */
static void check_caps(const char *typed)
{
    char out[16];
    for (size_t cap = 1; cap <= sizeof out; cap++) {
        memset(out, 'x', sizeof out);
        bn_task_prompt(&bn_task_arithmetic, typed, out, cap);
        bn_fuzz_invariant(memchr(out, '\0', cap) != NULL, "a prompt not terminated within cap");
    }
}

int bn_fuzz_arith_prompt(const uint8_t *data, size_t size)
{
    if (!ready())
        return 0;
    char *typed = bn_fuzz_cstr(data, size);
    if (!typed)
        return 0;
    check_caps(typed);
    bn_request req = bn_request_of(BN_REQ_GENERATE, typed, MAX_NEW);
    char prompt[BN_CHAT_TEXT_MAX], out[BN_CHAT_ANSWER_MAX];
    bn_task_prompt(&bn_task_arithmetic, req.text, prompt, sizeof prompt);
    bn_error err = {0};
    bn_status st = bn_chat_complete(&fx.m, fx.tok, bn_task_arithmetic.ends_answer, prompt,
                                    req.max_new, out, sizeof out, NULL, NULL, &err);
    free(typed);
    return st == BN_OK;
}
