/* bpe_words.h - the pre-token counts a BPE trainer learns from (README, "Tokenizers",
 * "Training a tokenizer"): a table word -> count, where a word is the raw bytes of one
 * pre-token. Text is counted as Hugging Face's trainer counts a file: line by line (a line
 * keeps its "\n"), special tokens cut out of each line and never counted, the rest split
 * by the pre-tokenizer. Counting a text in parallel cuts it only at line ends, so the
 * table never depends on the thread count; tables are merged, so a corpus is counted in
 * bounded chunks and only the table is kept. */
#ifndef BN_BPE_WORDS_H
#define BN_BPE_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/threadpool.h"
#include "tok/pretok.h"

typedef struct bn_bpe_words bn_bpe_words;

/* An empty table; NULL when out of memory. */
bn_bpe_words *bn_bpe_words_new(void);
void bn_bpe_words_free(bn_bpe_words *w);

/* Add count to word s[0..n) (n > 0). */
bn_status bn_bpe_words_add(bn_bpe_words *w, const char *s, size_t n, int64_t count,
                           bn_error *err);

/* Add every word of from into into. */
bn_status bn_bpe_words_merge(bn_bpe_words *into, const bn_bpe_words *from, bn_error *err);

/* Number of distinct words. */
size_t bn_bpe_words_size(const bn_bpe_words *w);

/* The distinct words sorted by their bytes (memcmp, shorter first on a common prefix):
 * word i is bytes[i][0..len[i]) with count[i]. Pointers stay valid until the next add,
 * merge or free; returns BN_ERR_NOMEM when the index cannot be built. */
typedef struct {
    size_t n;
    const char **bytes;
    const uint32_t *len;
    const int64_t *count;
} bn_bpe_word_list;
bn_status bn_bpe_words_sorted(bn_bpe_words *w, bn_bpe_word_list *out, bn_error *err);

/* The special tokens to cut out of the text (NUL-terminated strings). */
typedef struct {
    const char *const *tokens;
    int n;
} bn_bpe_specials;

/* Count the pre-tokens of text[0..n) into w, line by line. */
bn_status bn_bpe_count_text(bn_bpe_words *w, const bn_pretok *p, const bn_bpe_specials *sp,
                            const char *text, size_t n, bn_error *err);

/* The same with the text cut at line ends into one range per thread of pool (NULL: one),
 * each counted into its own table, the tables then merged into w. */
bn_status bn_bpe_count_parallel(bn_bpe_words *w, const bn_pretok *p,
                                const bn_bpe_specials *sp, bn_threadpool *pool,
                                const char *text, size_t n, bn_error *err);

#endif
