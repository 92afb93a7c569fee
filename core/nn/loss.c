/* loss.c - softmax cross-entropy, computed stably via the row maximum, split over rows. */
#include "nn/loss.h"
#include "base/simd.h"
#include "base/vexp.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    const float *logits_in; /* forward: read only */
    float *logits;          /* backward: overwritten with the gradient */
    const int *tokens;
    double *row_loss;       /* indexed by position */
    int T, V;
    int first;              /* the position of the logits' row 0 */
    float inv_count;
} ce_job;

static inline float row_max(const float *x, int n)
{
    float m = x[0];
#pragma omp simd reduction(max : m)
    for (int i = 1; i < n; i++)
        m = x[i] > m ? x[i] : m; /* a compare, not a libm call */
    return m;
}

/* Row n = b*T + t predicts tokens[n + 1] unless t is the row's last position. */
static int has_target(const ce_job *j, int n) { return (n + 1) % j->T != 0; }

BN_VECTORIZE static void forward_rows(void *ctx, int begin, int end, int thread)
{
    const ce_job *j = ctx;
    (void)thread;
    for (int i = begin; i < end; i++) {
        int n = j->first + i;
        if (!has_target(j, n)) {
            j->row_loss[n] = 0.0;
            continue;
        }
        const float *z = j->logits_in + (size_t)i * j->V;
        float mx = row_max(z, j->V);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int v = 0; v < j->V; v++)
            sum += bn_expf(z[v] - mx);
        j->row_loss[n] = log((double)sum) + mx - z[j->tokens[n + 1]];
    }
}

void bn_cross_entropy_forward_rows(bn_threadpool *pool, const float *logits, const int *tokens,
                                   int T, int V, int first, int rows, double *row_loss)
{
    ce_job j = {.logits_in = logits, .tokens = tokens, .row_loss = row_loss, .T = T, .V = V,
                .first = first};
    bn_parallel_for(pool, rows, forward_rows, &j);
}

double bn_cross_entropy_mean(const double *row_loss, int B, int T)
{
    double total = 0.0;
    for (int n = 0; n < B * T; n++)
        total += row_loss[n];
    return total / ((double)B * (T - 1));
}

double bn_cross_entropy_forward(bn_threadpool *pool, const float *logits, const int *tokens,
                                int B, int T, int V, double *row_loss)
{
    bn_cross_entropy_forward_rows(pool, logits, tokens, T, V, 0, B * T, row_loss);
    return bn_cross_entropy_mean(row_loss, B, T);
}

BN_VECTORIZE static void backward_rows(void *ctx, int begin, int end, int thread)
{
    const ce_job *j = ctx;
    (void)thread;
    for (int i = begin; i < end; i++) {
        int n = j->first + i;
        float *z = j->logits + (size_t)i * j->V;
        if (!has_target(j, n)) {
            memset(z, 0, sizeof(float) * (size_t)j->V);
            continue;
        }
        float mx = row_max(z, j->V);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int v = 0; v < j->V; v++) {
            z[v] = bn_expf(z[v] - mx);
            sum += z[v];
        }
        float k = j->inv_count / sum;
#pragma omp simd
        for (int v = 0; v < j->V; v++)
            z[v] *= k;
        z[j->tokens[n + 1]] -= j->inv_count;
    }
}

void bn_cross_entropy_backward_rows(bn_threadpool *pool, float *logits, const int *tokens,
                                    int B, int T, int V, int first, int rows)
{
    ce_job j = {.logits = logits, .tokens = tokens, .T = T, .V = V, .first = first,
                .inv_count = 1.0f / (float)((size_t)B * (T - 1))};
    bn_parallel_for(pool, rows, backward_rows, &j);
}

void bn_cross_entropy_backward(bn_threadpool *pool, float *logits, const int *tokens, int B,
                               int T, int V)
{
    bn_cross_entropy_backward_rows(pool, logits, tokens, B, T, V, 0, B * T);
}
