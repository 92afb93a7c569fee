/* loss.c - softmax cross-entropy, computed stably via the row maximum. */
#include "loss.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static float row_max(const float *x, int n)
{
    float m = x[0];
    for (int i = 1; i < n; i++)
        m = fmaxf(m, x[i]);
    return m;
}

double bn_cross_entropy_forward(const float *logits, const int *tokens, int B, int T, int V)
{
    double total = 0.0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t + 1 < T; t++) {
            const float *z = logits + ((size_t)b * T + t) * V;
            float mx = row_max(z, V);
            double sum = 0.0;
            for (int v = 0; v < V; v++)
                sum += exp((double)(z[v] - mx));
            int target = tokens[(size_t)b * T + t + 1];
            total += log(sum) + mx - z[target];
        }
    return total / ((double)B * (T - 1));
}

void bn_cross_entropy_backward(float *logits, const int *tokens, int B, int T, int V)
{
    float inv_count = 1.0f / (float)((size_t)B * (T - 1));
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *z = logits + ((size_t)b * T + t) * V;
            if (t + 1 == T) {
                memset(z, 0, sizeof(float) * (size_t)V);
                continue;
            }
            float mx = row_max(z, V);
            float sum = 0.0f;
            for (int v = 0; v < V; v++) {
                z[v] = expf(z[v] - mx);
                sum += z[v];
            }
            float k = inv_count / sum;
            for (int v = 0; v < V; v++)
                z[v] *= k;
            z[tokens[(size_t)b * T + t + 1]] -= inv_count;
        }
}
