/*
 * embedding_text.h: the embedding type's text and binary input (plain C).
 *
 *   text    [1,2.5,-3e-2]     spaces allowed around elements and brackets
 *   binary  int16 dim, int16 reserved (0), dim big-endian float4s (pgvector's vector layout)
 *
 * Both refuse NaN and infinities and anything outside 1..VF_EMBEDDING_MAX_DIM elements, so
 * operators and kernels never see them. The SQL layer adds the typmod check and the value
 * header; keeping the parsing here lets libFuzzer reach it (test/fuzz/embedding_*_fuzz.c).
 */
#ifndef VARFORMER_EMBEDDING_TEXT_H
#define VARFORMER_EMBEDDING_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "varformer/common/error.h"
#include "varformer/types/genotype_codec.h"

/* Parses a text literal, appending its floats to out; returns the dimension or -1 with err. */
int			vf_embedding_parse_text(const char *text, VfBuf *out, VfError *err);

/* Parses the binary form (exactly len bytes), appending the floats; dimension or -1. */
int			vf_embedding_parse_binary(const uint8_t *p, size_t len, VfBuf *out, VfError *err);

#endif
