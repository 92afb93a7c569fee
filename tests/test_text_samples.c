/* test_text_samples.c - the samples a text run writes while it trains: one record with
 * every fixed prompt and its continuation (valid UTF-8, at most the tokens asked for), the
 * same record from the same model, another from changed weights; and the model is left as
 * it was: its next forward gives the logits it gave before, bit for bit. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/jsonio.h"
#include "task/text_samples.h"
#include "text_fixture.h"

static char *record_text(bn_model *m, const bn_tokenizer *tok)
{
    bn_error err = {0};
    json_t *rec = NULL;
    CHECK(bn_text_samples(m, tok, 20, &rec, &err) == BN_OK, "%s", err.msg);
    char *line = rec ? bn_json_line(rec, BN_JSON_RECORD) : NULL;
    json_t *list = json_object_get(rec, "examples");
    int n = 0;
    while (bn_text_sample_prompts[n])
        n++;
    CHECK(json_array_size(list) == (size_t)n, "one sample per prompt");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *s = json_array_get(list, i);
        const char *prompt = json_string_value(json_object_get(s, "prompt"));
        CHECK(prompt && strcmp(prompt, bn_text_sample_prompts[i]) == 0, "prompt %zu", i);
        CHECK(json_is_string(json_object_get(s, "completion")), "completion %zu", i);
        json_int_t k = json_integer_value(json_object_get(s, "tokens"));
        CHECK(k >= 0 && k <= 20, "tokens %lld", (long long)k);
    }
    CHECK(json_real_value(json_object_get(rec, "temperature")) == 0.9, "temperature 0.9");
    CHECK(json_integer_value(json_object_get(rec, "seed")) == BN_TEXT_SAMPLE_SEED, "seed");
    json_decref(rec);
    return line;
}

int main(void)
{
    text_fixture f;
    if (!text_fixture_init(&f, 1.0)) {
        text_fixture_free(&f);
        return check_exit("test_text_samples");
    }
    bn_model *m = &f.model;
    char *a = record_text(m, f.tok), *b = record_text(m, f.tok);
    CHECK(a && b && strcmp(a, b) == 0, "the same model, the same samples");
    CHECK(text_fixture_unchanged(&f), "the model's next forward is unchanged");
    for (size_t i = 0; i < m->num_params; i++)
        m->params[i] *= 1.0f + 0.5f * (float)(i % 5);
    bn_model_params_changed(m);
    char *c2 = record_text(m, f.tok);
    CHECK(a && c2 && strcmp(a, c2) != 0, "changed weights, other samples");
    printf("%s\n", a ? a : "(none)");
    free(a), free(b), free(c2);
    text_fixture_free(&f);
    return check_exit("test_text_samples");
}
