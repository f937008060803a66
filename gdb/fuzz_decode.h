/* fuzz_decode.h: one fuzzing round of the decoder over a memory image (fuzz_decode.c). */
#ifndef LG_FUZZ_DECODE_H
#define LG_FUZZ_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "leakgate_jit.h"

/* data: 48 control bytes (where the types, GC lists and start objects lie; byte 46 bit 0
 * plants looping thread and frame chains, shaped by its other bits and byte 47), then
 * the image mapped at 0x10000000. Returns the number of bytes of text produced. */
size_t lg_fuzz_one(const lg_jit_layout *real, const uint8_t *data, size_t size);

#endif
