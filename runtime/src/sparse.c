/* Checking a sparse int8 encoding (mote/sparse.h) before any kernel reads it:
 * one pass over the entries, every sum in 64 bits. */
#include "mote/sparse.h"

int mote_sparse_s8_check(const uint8_t *enc, size_t bytes, int32_t rows, int32_t depth)
{
    if (!enc || rows <= 0 || depth <= 0 || depth > MOTE_SPARSE_MAX_DEPTH) return -1;
    uint64_t pos = 2u * (uint64_t)rows;
    if (pos > bytes) return -1;
    for (int32_t r = 0; r < rows; r++) {
        uint64_t n = mote_sparse_count(enc, r), col = 0;
        if (pos + 2 * n > bytes) return -1;
        for (uint64_t k = 0; k < n; k++, pos += 2) col += (uint64_t)enc[pos] + 1;
        if (col > (uint64_t)depth) return -1;
    }
    return pos == bytes ? 0 : -1;
}
