/* vexp.h - bn_expf: exp(x) for float, written so that loops over it vectorize.
 *
 * glibc's expf is a scalar call the compiler cannot vectorize without -ffast-math, and the
 * softmaxes (attention rows, the cross-entropy over the vocabulary) call it for every
 * element. This is the classic Cephes expf: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite
 * split of ln2, so r is exact to float precision), a degree-6 polynomial for exp(r), and
 * 2^n put into the exponent bits. Maximum error about 2 ulp down to e^-69; below that 0
 * (see inside), above 88.4 the input is clamped. The softmaxes only need x <= 0. */
#ifndef BN_VEXP_H
#define BN_VEXP_H

#include <stdint.h>
#include <string.h>

static inline float bn_expf(float x)
{
    /* Below e^-69 (1e-30) the result is 0: a softmax term that small is nothing next to its
     * row's largest (1), and scaled further it would become a denormal float, which x86
     * multiplies through a slow microcode path (it slowed sgemm on d(logits) by 20%). */
    float tiny = x < -69.0f ? 0.0f : 1.0f;
    float in = x;
    /* written so that a NaN fails both tests and is clamped too: every integer step below
     * sees a finite value; the NaN itself is returned at the end */
    x = x < 88.3762626647949f ? x : 88.3762626647949f;
    x = x > -87.3365447504f ? x : -87.3365447504f;
    /* n = round(x / ln2), by the 1.5 * 2^23 trick (round half to even) */
    const float magic = 12582912.0f;
    float n = (x * 1.44269504088896341f + magic) - magic;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23; /* 2^n, n in [-126, 127] */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float out = y * scale * tiny;
    return in == in ? out : in;
}

#endif
