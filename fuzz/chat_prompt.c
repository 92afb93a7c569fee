/* chat_prompt.c - fuzz target: lines typed to a text model (`chat`, the chat pane of a text
 * run): a line starting with '/' is a sampling command (model/sampling_cmd.h: /temp, /top_p,
 * /top_k, /seed) applied to the settings; any other is a line of story, encoded as `chat`
 * encodes it (model/textgen.h), then taken as a request, put in the task's form and
 * continued by a tiny model with the settings so far (bn_chat_sample), as the trainer and
 * the UI's worker do. The model and tokenizer: tests/fixtures/text-dataset's 384-token BPE
 * under $srcdir (or the current directory). At most 4 lines per input. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/chat.h"
#include "model/sampling_cmd.h"
#include "model/textgen.h"
#include "task/task.h"
#include "tok/bpe.h"
#include "train/requests.h"

enum { MAX_SEQ = 48, MAX_NEW = 4, MAX_LINES = 4 };

static bn_fuzz_fixture fx;

static void free_fixture(void)
{
    bn_fuzz_fixture_free(&fx);
}

static int ready(void)
{
    return bn_fuzz_fixture_ready(&fx, NULL, "tests/fixtures/text-dataset/tokenizer.json", MAX_SEQ, free_fixture);
}

static int story(const char *line, const bn_sampling *set, unsigned long long seed)
{
    int *ids = NULL, n = 0;
    bn_error err = {0};
    if (bn_textgen_encode(fx.tok, line, &ids, &n, &err) == BN_OK)
        free(ids);
    bn_request req = bn_request_of(BN_REQ_GENERATE, line, MAX_NEW);
    char prompt[BN_CHAT_TEXT_MAX], out[BN_CHAT_ANSWER_MAX];
    bn_task_prompt(&bn_task_text, req.text, prompt, sizeof prompt);
    return bn_chat_sample(&fx.m, fx.tok, prompt, set, seed, req.max_new, out, sizeof out, NULL,
                          NULL, &err) == BN_OK;
}

int bn_fuzz_chat_prompt(const uint8_t *data, size_t size)
{
    if (!ready())
        return 0;
    char *text = bn_fuzz_cstr(data, size);
    if (!text)
        return 0;
    bn_sampling set = bn_sampling_defaults();
    unsigned long long seed = 1;
    char *line = text;
    int taken = 1;
    for (int i = 0; i < MAX_LINES && line; i++) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        bn_error err = {0};
        bn_sampling_cmd_kind kind;
        if (line[0] == '/')
            taken = bn_sampling_command(line, &set, &seed, &kind, &err) == BN_OK && taken;
        else
            taken = story(line, &set, seed) && taken;
        line = next;
    }
    free(text);
    return taken;
}
