/* task_text.c - the text task: its config rule only; training and evaluation arrive with
 * the BPE tokenizer, so opening its tokenizer or data is refused as "not available yet". */
#include "task/task.h"

#include <stdio.h>

static int text_validate(const bn_config *cfg, bn_task_problem *out)
{
    if (cfg->data.path[0] != '\0')
        return 0;
    out->section = "data";
    out->key = "path";
    snprintf(out->why, sizeof out->why, "task text needs the training text's path");
    return 1;
}

const bn_task_ops bn_task_text = {
    .name = "text",
    .task = BN_TASK_TEXT,
    .validate = text_validate,
};
