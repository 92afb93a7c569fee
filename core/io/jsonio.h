/* jsonio.h - reading and writing JSON files and JSONL records through jansson.
 *
 * Every JSON document and record of a run (trainer_state.json, scalars.jsonl, samples.jsonl,
 * state.json, eval and move output) goes through these, so they share one number format, one
 * error message form ("<path>:<line>:<column>: <what>") and one atomic file write. */
#ifndef BN_JSONIO_H
#define BN_JSONIO_H

#include <stdio.h>

#include <jansson.h>

#include "base/error.h"

/* Reals in records: 7 significant digits (a float's precision, short lines). State that
 * must round-trip exactly (trainer_state.json) is written with BN_JSON_EXACT. */
#define BN_JSON_RECORD JSON_REAL_PRECISION(7)
#define BN_JSON_EXACT JSON_REAL_PRECISION(17)

/* A number for a record: JSON has no NaN or Inf, so those become null (readers take null as
 * "not a number"). Never NULL unless out of memory. */
json_t *bn_json_number(double v);

/* A member as a double: a number, or NaN for null or a missing key. */
double bn_json_get_number(const json_t *object, const char *key);

/* One line of compact text (", " and ": " separators, no newline), malloc'd (caller frees);
 * NULL when out of memory. flags: BN_JSON_RECORD or BN_JSON_EXACT, plus jansson's. */
char *bn_json_line(const json_t *value, size_t flags);

/* Append `record` as one line to f and flush it; what names the file in the error. */
bn_status bn_jsonl_append(FILE *f, const char *what, const json_t *record, bn_error *err);

/* Write a document (indented by 2) to path through a temporary name + fsync + rename. */
bn_status bn_json_write_file(const char *path, const json_t *doc, size_t flags, bn_error *err);

/* Parse text (what names it in the error: "<what>:<line>:<column>: <reason>"). Duplicate
 * keys are refused. *out is a new reference (json_decref it). BN_ERR_INPUT on bad JSON. */
bn_status bn_json_parse_text(const char *what, const char *text, size_t len, json_t **out,
                             bn_error *err);

/* Read and parse a whole file (BN_ERR_INPUT if unreadable or not JSON). */
bn_status bn_json_read_file(const char *path, json_t **out, bn_error *err);

/* Call fn for every line of a JSONL file that parses to an object, in order (lines that do
 * not parse, such as one torn by a crash, are skipped). fn returns 0 to go on, non-zero to
 * stop. A file that does not exist is BN_ERR_INPUT. */
typedef int (*bn_jsonl_fn)(void *ctx, const json_t *record);
bn_status bn_jsonl_each(const char *path, bn_jsonl_fn fn, void *ctx, bn_error *err);

/* Like bn_jsonl_each, over the records in the last max_bytes of the file only (the line cut
 * by that window is skipped): the newest records of a long log without reading all of it. */
bn_status bn_jsonl_each_tail(const char *path, size_t max_bytes, bn_jsonl_fn fn, void *ctx,
                             bn_error *err);

/* A member that is a JSON integer within long's range: 0 and *out set; -1 (out untouched)
 * when missing, null, a real or out of range. Counts and steps are integers in our files. */
int bn_json_get_long(const json_t *object, const char *key, long *out);

/* Whether the last line of a JSONL file is not a whole record: no newline after it, or text
 * that does not parse (a crash tore it while writing). 0 for a missing or empty file. */
int bn_jsonl_torn_tail(const char *path);

#endif
