/* The exporter's graph builder: ir/build.h on the graph being exported, sharing the exporter's error. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

int xp_fail(xp *x, const char *fmt, ...)
{
    if (x->err && x->errlen && !x->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int32_t xp_tensor(xp *x, const char *name, mote_dtype type, int rank, const int32_t *dims)
{
    return mote_irb_tensor(&x->b, name, type, rank, dims);
}

int32_t xp_const(xp *x, const char *name, mote_dtype type, int rank, const int32_t *dims, const void *data)
{
    return mote_irb_const(&x->b, name, type, rank, dims, data);
}

int xp_quant(xp *x, int32_t t, int n, int axis, const float *scale, const int32_t *zp)
{
    return mote_irb_quant(&x->b, t, n, axis, scale, zp);
}

int xp_op(xp *x, mote_op op, const int32_t *in, int n_in, int32_t out, const mote_opts *o)
{
    return mote_irb_op(&x->b, op, in, n_in, &out, 1, o);
}

mote_opts xp_opts(void) { return mote_irb_opts(); }
