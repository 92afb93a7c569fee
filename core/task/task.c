/* task.c - finding a task's table, and opening what it provides. */
#include "task/task.h"

#include <stdio.h>
#include <string.h>

static const bn_task_ops *const all_tasks[] = {&bn_task_arithmetic, &bn_task_tictactoe,
                                               &bn_task_text};

const bn_task_ops *bn_task_find(bn_task task)
{
    for (size_t i = 0; i < sizeof all_tasks / sizeof all_tasks[0]; i++)
        if (all_tasks[i]->task == task)
            return all_tasks[i];
    return NULL;
}

const bn_task_ops *bn_task_find_name(const char *name)
{
    for (size_t i = 0; i < sizeof all_tasks / sizeof all_tasks[0]; i++)
        if (strcmp(all_tasks[i]->name, name) == 0)
            return all_tasks[i];
    return NULL;
}

/* A task without a tokenizer or data of its own is refused (README, "Experiments"). */
static bn_status not_available(const bn_config *cfg, bn_error *err)
{
    return bn_fail(err, BN_ERR_INPUT, "%s: not available: task %s has no training data",
                   cfg->source_path[0] ? cfg->source_path : cfg->experiment.name,
                   bn_task_name(cfg->experiment.task));
}

bn_status bn_task_open_tokenizer(const bn_config *cfg, bn_tokenizer **out, bn_error *err)
{
    *out = NULL;
    const bn_task_ops *ops = bn_task_find(cfg->experiment.task);
    if (!ops || !ops->open_tokenizer)
        return not_available(cfg, err);
    return ops->open_tokenizer(cfg, out, err);
}

bn_status bn_task_open_source(const bn_config *cfg, const bn_tokenizer *tok,
                              bn_data_source **out, bn_error *err)
{
    *out = NULL;
    const bn_task_ops *ops = bn_task_find(cfg->experiment.task);
    if (!ops || !ops->open_source)
        return not_available(cfg, err);
    return ops->open_source(cfg, tok, out, err);
}

void bn_task_prompt(const bn_task_ops *ops, const char *typed, char *out, size_t cap)
{
    if (ops && ops->normalize_prompt)
        ops->normalize_prompt(typed, out, cap);
    else if (cap)
        snprintf(out, cap, "%s", typed);
}
