/* infer.c - the chat worker for past runs. */
#include "client/infer.h"

#include <stdio.h>
#include <string.h>

#include "io/checkpoint.h"
#include "client/session.h"

static void push_gen(bn_infer *w, long id, const char *text, int done)
{
    bn_ui_event ev = {.kind = BN_UI_EV_GEN, .id = id, .done = done};
    snprintf(ev.text, sizeof ev.text, "%s", text);
    bn_ui_queue_push(w->queue, &ev);
}

typedef struct {
    bn_infer *w;
    long id;
} token_ctx;

static void on_token(void *ctx, const char *completion)
{
    token_ctx *t = ctx;
    push_gen(t->w, t->id, completion, 0);
}

/* Load ckpt's weights into a model of batch 1 (once per checkpoint). */
static bn_status load(bn_infer *w, const char *ckpt, bn_error *err)
{
    if (w->loaded && strcmp(w->loaded_ckpt, ckpt) == 0)
        return BN_OK;
    if (w->loaded)
        bn_model_free(&w->model);
    w->loaded = 0;
    bn_config cfg;
    bn_st_file file;
    long step = 0;
    bn_status s = bn_checkpoint_open(ckpt, &cfg, &file, &step, err);
    if (s != BN_OK)
        return s;
    bn_tok_free(w->tok);
    w->tok = NULL;
    s = bn_task_open_tokenizer(&cfg, &w->tok, err);
    memset(&w->model, 0, sizeof w->model);
    if (s == BN_OK)
        s = bn_model_init(&w->model, &cfg.model, 1, cfg.train.seq_len, w->kernels, 1, err);
    if (s == BN_OK)
        s = bn_checkpoint_load_params(&w->model, &file, err);
    bn_st_free(&file);
    if (s != BN_OK) {
        bn_model_free(&w->model);
        return s;
    }
    w->task = bn_task_find(cfg.experiment.task);
    w->loaded = 1;
    snprintf(w->loaded_ckpt, sizeof w->loaded_ckpt, "%s", ckpt);
    return BN_OK;
}

static void serve(bn_infer *w, long id, const char *ckpt, const char *typed, int max_new)
{
    bn_error err = {0};
    char prompt[BN_CHAT_TEXT_MAX], out[BN_CHAT_TEXT_MAX];
    bn_status s = load(w, ckpt, &err);
    if (s == BN_OK) {
        bn_task_prompt(w->task, typed, prompt, sizeof prompt);
        token_ctx ctx = {w, id};
        s = bn_chat_complete(&w->model, w->tok, w->task->ends_answer, prompt, max_new, out, sizeof out,
                             on_token, &ctx, &err);
    }
    push_gen(w, id, s == BN_OK ? out : err.msg, s == BN_OK ? 1 : -1);
}

static void *worker(void *arg)
{
    bn_infer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->pending && !w->quit)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->quit)
            break;
        char ckpt[sizeof w->ckpt], prompt[sizeof w->prompt];
        memcpy(ckpt, w->ckpt, sizeof ckpt);
        memcpy(prompt, w->prompt, sizeof prompt);
        long id = w->id;
        int max_new = w->max_new;
        w->pending = 0;
        w->busy = 1;
        pthread_mutex_unlock(&w->lock);
        serve(w, id, ckpt, prompt, max_new);
        pthread_mutex_lock(&w->lock);
        w->busy = 0;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int bn_infer_start(bn_infer *w, bn_ui_queue *queue, const bn_kernels *kernels)
{
    memset(w, 0, sizeof *w);
    w->next_id = BN_INFER_FIRST_ID;
    w->queue = queue;
    w->kernels = kernels;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    sigset_t old;
    bn_block_stop_signals(&old);
    int rc = pthread_create(&w->thread, NULL, worker, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    w->started = rc == 0;
    return rc == 0 ? 0 : -1;
}

long bn_infer_request(bn_infer *w, const char *ckpt, const char *prompt, int max_new)
{
    if (!w->started)
        return 0;
    long id = 0;
    pthread_mutex_lock(&w->lock);
    if (!w->pending && !w->busy) {
        snprintf(w->ckpt, sizeof w->ckpt, "%s", ckpt);
        snprintf(w->prompt, sizeof w->prompt, "%s", prompt);
        w->max_new = max_new;
        w->id = id = ++w->next_id;
        w->pending = 1;
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    return id;
}

void bn_infer_stop(bn_infer *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->quit = 1;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    if (w->loaded)
        bn_model_free(&w->model);
    bn_tok_free(w->tok);
    w->tok = NULL;
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    w->started = w->loaded = 0;
}
