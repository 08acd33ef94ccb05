/* In-place rules: an op's output may overlap an input that no later op reads,
 * if the kernel provably never writes a byte it will still read.
 *
 * KERNEL CONTRACT (every kernel of the ops below, reference or optimized,
 * must keep it, or the planner must drop the op's rule):
 *  - Kernels read inputs and write outputs only; they never read their output
 *    back (except bytes they wrote themselves, e.g. float SOFTMAX) and keep no
 *    copy of an input address across invokes.
 *  - Element-wise ops (ADD, MUL, DIV, MINIMUM, MAXIMUM, LOGISTIC, TANH,
 *    QUANTIZE, DEQUANTIZE, CAST, SOFTMAX rows, RESHAPE): elements are produced
 *    in increasing index order; output element i is written only after input
 *    element i has been read, and no input element < i + 1 is read after that
 *    write (reading a block of elements, then writing that block, is fine).
 *    RESHAPE copies with memmove (or skips the copy when out == in).
 *  - Window ops (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D, on
 *    NHWC): output pixels (batch, y, x) are produced in raster order, all
 *    channels of a pixel together; while any byte of output pixel p is
 *    written, the kernel reads only input bytes that the windows of pixels
 *    >= p - B + 1 need (B = the kernel table's `block`, 1 for the reference
 *    kernels: they finish reading pixel p's window before writing pixel
 *    p + 1). A kernel writing several pixels at once declares its B there.
 *
 * PROOF (window ops). Put the output at byte offset O, the input at I. A
 * write to output pixel p touches bytes below O + end(p), end(p) =
 * (p + 1) * out_c * out_es. Every read at or after that write, by the
 * contract, lies at or above I + first(>= p - B + 1), the lowest input byte
 * the windows of those pixels touch (first valid tap row, then column, then
 * channel 0; padding taps are skipped so they do not count; batches count).
 * If O + end(p) <= I + first(>= p - B + 1) for every p, no write ever lands
 * on a byte that is read later: the output only overwrites input bytes that
 * are dead. That is O <= I - D with D = max_p end(p) - first(>= p - B + 1).
 * Lower O only widens the gap, so the rule is "O <= I - D".
 * Example: 3x3 stride 1 SAME on [1,25,5,64]: D = (5 + 2) * 64 = 448, the
 * two buffers need 8000 + 448 bytes instead of 16000. A 1x1 conv with
 * out_c > in_c has D = out_bytes - in_bytes + in_c: the input sits in the
 * tail of the output.
 *
 * PROOF (element-wise, n elements, sizes es_i -> es_o). Writing element i
 * touches bytes below O + (i + 1) * es_o; later reads are of elements >= i + 1,
 * at or above I + (i + 1) * es_i. With es_o <= es_i, O <= I suffices (D = 0);
 * with es_o > es_i the worst case is i = n - 2: D = (n - 1) * (es_o - es_i).
 * Binary ops: only an input with the output's element count (so its index
 * is the output's, no broadcasting) and dtype size may be overlapped; the
 * other input stays disjoint because both inputs are live at this op.
 *
 * SCRATCH over input 0, for kernels whose table entry sets `expand` = r: the
 * eval reads input 0 only to copy it, front to back in 4-byte groups, into
 * its scratch at r bytes per input byte (zero-padded to the scratch's end),
 * reading each group before writing its copy. Put the scratch at S, the
 * input at I. Group g's copy ends at S + r * 4(g + 1); bytes still to be read
 * then lie at or above I + 4(g + 1). With S <= I - (r - 1) * 4(g + 1) for the
 * last group, 4(g + 1) = scratch / r, no copy lands on an unread byte: D =
 * (r - 1) * scratch / r. The copy of a second batch row would overwrite the
 * rows after it, so the rule holds only when the input is one row (input
 * bytes <= scratch / r). */
#include "plan/overlap.h"

#include "mote/kernel.h"

int64_t mote_overlap_window_shift(const mote_window_geom *g, int32_t block)
{
    const int64_t npx = (int64_t)g->batches * g->out_h * g->out_w;
    const int64_t px_out = (int64_t)g->out_c * g->out_es;
    const int64_t row_in = (int64_t)g->in_w * g->in_c * g->in_es;
    const int64_t img_in = row_in * g->in_h;
    if (block < 1) block = 1;
    /* first valid tap (row or column) of window origin o, or -1 */
    int64_t best = INT64_MIN, suffix = INT64_MAX;
    for (int64_t q = npx - 1; q >= 0; q--) {
        const int32_t ox = (int32_t)(q % g->out_w), oy = (int32_t)((q / g->out_w) % g->out_h);
        const int64_t b = q / ((int64_t)g->out_w * g->out_h);
        int32_t iy = -1, ix = -1;
        for (int32_t f = 0; f < g->k_h; f++) {
            int32_t y = oy * g->stride_h - g->pad_h + f * g->dil_h;
            if (y >= 0 && y < g->in_h) {
                iy = y;
                break;
            }
        }
        for (int32_t f = 0; f < g->k_w; f++) {
            int32_t x = ox * g->stride_w - g->pad_w + f * g->dil_w;
            if (x >= 0 && x < g->in_w) {
                ix = x;
                break;
            }
        }
        if (iy >= 0 && ix >= 0) {
            int64_t first = b * img_in + iy * row_in + (int64_t)ix * g->in_c * g->in_es;
            if (first < suffix) suffix = first;
        }
        if (suffix == INT64_MAX) continue; /* pixels >= q read nothing */
        int64_t p = q + block - 1 < npx ? q + block - 1 : npx - 1;
        int64_t d = (p + 1) * px_out - suffix;
        if (d > best) best = d;
    }
    return best;
}

static int64_t elems(const mote_tensor *t)
{
    return mote_tensor_elems(t);
}

static int window_rule(const mote_model *m, const mote_node *n, int64_t *shift)
{
    const mote_tensor *in = &m->tensors[n->io[0]], *out = &m->tensors[n->io[n->n_in]];
    if (in->type != out->type || (in->type != MOTE_I8 && in->type != MOTE_F32)) return 0;
    if (in->rank != 4 || out->rank != 4) return 0;
    mote_window_geom g = {
        .batches = in->dims[0], .in_h = in->dims[1], .in_w = in->dims[2], .in_c = in->dims[3],
        .out_h = out->dims[1], .out_w = out->dims[2], .out_c = out->dims[3],
        .stride_h = n->opts.stride_h, .stride_w = n->opts.stride_w, .dil_h = 1, .dil_w = 1,
        .in_es = (int32_t)mote_dtype_size((mote_dtype)in->type),
        .out_es = (int32_t)mote_dtype_size((mote_dtype)out->type),
    };
    if (n->op == MOTE_OP_CONV_2D || n->op == MOTE_OP_DEPTHWISE_CONV_2D) {
        if (n->n_in < 2 || n->io[1] < 0) return 0;
        const mote_tensor *f = &m->tensors[n->io[1]];
        if (f->rank != 4) return 0;
        g.k_h = f->dims[1];
        g.k_w = f->dims[2];
        g.dil_h = n->opts.dilation_h;
        g.dil_w = n->opts.dilation_w;
    } else {
        g.k_h = n->opts.filter_h;
        g.k_w = n->opts.filter_w;
    }
    if (g.batches != out->dims[0] || g.batches < 1 || g.in_h < 1 || g.in_w < 1 || g.in_c < 1 || g.out_h < 1 ||
        g.out_w < 1 || g.out_c < 1 || g.k_h < 1 || g.k_w < 1 || g.stride_h < 1 || g.stride_w < 1 ||
        g.dil_h < 1 || g.dil_w < 1)
        return 0;
    /* Leading padding exactly as the kernels compute it (conv and pooling
     * agree): half the total, rounded down; VALID totals are <= 0. */
    int64_t th = (int64_t)(g.out_h - 1) * g.stride_h + (int64_t)(g.k_h - 1) * g.dil_h + 1 - g.in_h;
    int64_t tw = (int64_t)(g.out_w - 1) * g.stride_w + (int64_t)(g.k_w - 1) * g.dil_w + 1 - g.in_w;
    g.pad_h = th > 0 ? (int32_t)(th / 2) : 0;
    g.pad_w = tw > 0 ? (int32_t)(tw / 2) : 0;
    const mote_op_def *def = mote_op_lookup((mote_op)n->op);
    int32_t block = def && n->kernel < def->n_kernels ? def->kernels[n->kernel].block : 1;
    int64_t d = mote_overlap_window_shift(&g, block > 1 ? block : 1);
    if (d == INT64_MIN) return 0; /* never reads input: leave it disjoint, nothing to gain */
    *shift = d;
    return 1;
}

int mote_overlap_rule(const mote_model *m, const mote_node *n, int in_slot, int64_t *shift)
{
    if (n->n_out != 1 || in_slot < 0 || in_slot >= n->n_in || n->io[in_slot] < 0) return 0;
    const mote_tensor *in = &m->tensors[n->io[in_slot]], *out = &m->tensors[n->io[n->n_in]];
    const int64_t es_i = (int64_t)mote_dtype_size((mote_dtype)in->type);
    const int64_t es_o = (int64_t)mote_dtype_size((mote_dtype)out->type);
    if (es_i == 0 || es_o == 0) return 0;
    switch (n->op) {
    case MOTE_OP_CONV_2D:
    case MOTE_OP_DEPTHWISE_CONV_2D:
    case MOTE_OP_AVERAGE_POOL_2D:
    case MOTE_OP_MAX_POOL_2D:
        return in_slot == 0 && window_rule(m, n, shift);
    case MOTE_OP_ADD:
    case MOTE_OP_MUL:
    case MOTE_OP_DIV:
    case MOTE_OP_MINIMUM:
    case MOTE_OP_MAXIMUM:
        if (in->type != out->type || elems(in) != elems(out)) return 0;
        *shift = 0;
        return 1;
    case MOTE_OP_LOGISTIC:
    case MOTE_OP_TANH:
    case MOTE_OP_QUANTIZE:
    case MOTE_OP_DEQUANTIZE:
    case MOTE_OP_CAST:
        if (in_slot != 0 || elems(in) != elems(out) || elems(in) < 1) return 0;
        *shift = es_o <= es_i ? 0 : (elems(in) - 1) * (es_o - es_i);
        return 1;
    case MOTE_OP_SOFTMAX: /* rows: all reads of a row precede its writes, element-wise in the last pass */
        if (in_slot != 0 || in->type != out->type || elems(in) != elems(out)) return 0;
        *shift = 0;
        return 1;
    case MOTE_OP_RESHAPE: /* memmove, skipped when out == in */
        if (in_slot != 0 || in->bytes != out->bytes) return 0;
        *shift = 0;
        return 1;
    default:
        return 0;
    }
}

int mote_overlap_scratch_rule(const mote_model *m, const mote_node *n, int64_t *shift)
{
    const mote_op_def *def = mote_op_lookup((mote_op)n->op);
    if (!def || n->kernel >= def->n_kernels || n->n_in < 1 || n->io[0] < 0 || !n->scratch_bytes) return 0;
    const int64_t r = def->kernels[n->kernel].expand, scratch = (int64_t)n->scratch_bytes;
    const mote_tensor *in = &m->tensors[n->io[0]];
    if (r < 1 || scratch % (4 * r) != 0 || (int64_t)in->bytes > scratch / r) return 0;
    for (int k = 1; k < n->n_in; k++)
        if (n->io[k] == n->io[0]) return 0; /* read through another slot too */
    *shift = (r - 1) * (scratch / r);
    return 1;
}
