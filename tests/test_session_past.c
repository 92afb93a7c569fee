/* test_session_past.c - a past run's task comes from its config, not its experiment's
 * name: from meta/config.ini, else from its latest checkpoint's config; unreadable: none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "client/session.h"

static char root[] = "/tmp/bn_test_session_XXXXXX";

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static const bn_task_ops *past_task_of(const char *dir)
{
    bn_run_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.dir, sizeof info.dir, "%s", dir);
    snprintf(info.experiment, sizeof info.experiment, "tictactoe"); /* a misleading name */
    bn_session s;
    bn_session_open_past(&s, &info);
    const bn_task_ops *task = s.task;
    bn_session_close(&s);
    return task;
}

/* A tic-tac-toe experiment named "mygame", and an arithmetic one named "tictactoe". */
static void test_from_config(void)
{
    static const struct {
        const char *name;
        bn_task task;
        const bn_task_ops *want;
    } runs[] = {{"mygame", BN_TASK_TICTACTOE, &bn_task_tictactoe},
                {"tictactoe", BN_TASK_ARITHMETIC, &bn_task_arithmetic}};
    for (size_t i = 0; i < 2; i++) {
        char dir[512], path[600];
        snprintf(dir, sizeof dir, "%s/run%zu", root, i);
        mkdir(dir, 0777);
        snprintf(path, sizeof path, "%s/meta", dir);
        mkdir(path, 0777);
        bn_config cfg;
        bn_config_defaults(&cfg);
        snprintf(cfg.experiment.name, sizeof cfg.experiment.name, "%s", runs[i].name);
        cfg.experiment.task = runs[i].task;
        char *ini = bn_config_to_string(&cfg);
        snprintf(path, sizeof path, "%s/meta/config.ini", dir);
        write_text(path, ini ? ini : "");
        free(ini);
        const bn_task_ops *got = past_task_of(dir);
        CHECK(got == runs[i].want, "%s: task %s, want %s", runs[i].name,
              got ? got->name : "none", runs[i].want->name);
    }
}

/* No meta/: the latest checkpoint's config (the v1 tic-tac-toe fixture's); nothing: none. */
static void test_from_checkpoint(void)
{
    const char *srcdir = getenv("srcdir");
    char src[1024], dir[512], link_path[600];
    char *cwd = getcwd(NULL, 0);
    snprintf(src, sizeof src, "%s/%s/tests/fixtures/v1/ttt/checkpoints",
             srcdir && srcdir[0] == '/' ? "" : cwd, srcdir ? srcdir : ".");
    free(cwd);
    snprintf(dir, sizeof dir, "%s/copied", root);
    mkdir(dir, 0777);
    snprintf(link_path, sizeof link_path, "%s/checkpoints", dir);
    CHECK(symlink(src, link_path) == 0, "symlink %s", src);
    const bn_task_ops *got = past_task_of(dir);
    CHECK(got == &bn_task_tictactoe, "from the checkpoint: %s", got ? got->name : "none");
    unlink(link_path);
    CHECK(past_task_of(dir) == NULL, "no config anywhere: no task");
    rmdir(dir);
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_from_config();
    test_from_checkpoint();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "cleanup");
    return check_exit("test_session_past");
}
