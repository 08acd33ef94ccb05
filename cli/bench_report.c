/* mote bench reports: a table for people, one JSON object for scripts and an
 * SVG bar chart of the layers, written by hand (no plotting dependency). */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "bench.h"

static double per(double a, double b) { return b > 0 ? a / b : 0.0; }

void bench_print_table(const bench_report *b, FILE *f)
{
    fprintf(f, "%s on %s (%s, kernels %s): bit-exact on %zu vectors", b->stem, b->target, b->core, b->kernels,
            b->vectors);
    if (b->golden_checked) fprintf(f, ", golden %zu of %zu", b->golden_equal, b->golden_checked);
    fprintf(f, "\n\n%5s  %-26s %-22s %11s %13s %7s %6s", "layer", "op", "kernel", "MACs", "instructions", "MAC/ins",
            "share");
    if (b->host) fprintf(f, " %12s", "ns");
    fputc('\n', f);
    for (size_t k = 0; k < b->n_layers; k++) {
        const bench_layer *l = &b->layers[k];
        fprintf(f, "%5zu  %-26s %-22s %11lld %13llu %7.3f %5.1f%%", k, l->op, l->kernel, (long long)l->macs,
                (unsigned long long)l->insns, per((double)l->macs, (double)l->insns),
                100.0 * per((double)l->insns, (double)b->marked_total));
        if (b->host) fprintf(f, " %12.0f", l->ns);
        fputc('\n', f);
    }
    fprintf(f, "\ntotal: %llu instructions per inference, %lld MACs, %.3f MACs per instruction\n",
            (unsigned long long)b->total, (long long)b->macs, per((double)b->macs, (double)b->total));
    fprintf(f, "  layers: %llu of the %llu instructions of vector %zu in the build with layer marks (%llu\n"
               "  outside the layers: the model_invoke entry and return); the marks cost %lld (that vector\n"
               "  without them: %llu)\n",
            (unsigned long long)b->layers_sum, (unsigned long long)b->marked_total, b->layer_vector,
            (unsigned long long)(b->marked_total - b->layers_sum), (long long)b->marked_total - (long long)b->unmarked,
            (unsigned long long)b->unmarked);
    if (b->host)
        fprintf(f, "  host runtime: median %.0f ns per inference over %d runs\n", b->ns_total, b->runs);
    if (!b->anchor_set) {
        fprintf(f, "  no anchors for %s\n", b->core);
        return;
    }
    if (b->anchor_macs >= 0 && b->anchor_macs != b->macs)
        fprintf(f, "  note: the anchors count %lld MACs for %s\n", (long long)b->anchor_macs, b->stem);
    for (int i = 0; i < b->n_anchors; i++) {
        const bench_anchor *a = &b->anchors[i];
        fprintf(f, "  vs %-16s %12llu instructions: mote/anchor %.3f (%.2fx %s)\n", a->label,
                (unsigned long long)a->insns, per((double)b->total, (double)a->insns),
                b->total <= a->insns ? per((double)a->insns, (double)b->total) : per((double)b->total, (double)a->insns),
                b->total <= a->insns ? "fewer" : "more");
    }
}

void bench_print_json(const bench_report *b, FILE *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "model", json_string(b->model));
    json_object_set_new(o, "target", json_string(b->target));
    json_object_set_new(o, "core", json_string(b->core));
    json_object_set_new(o, "kernels", json_string(b->kernels));
    json_object_set_new(o, "bit_exact", json_true());
    json_object_set_new(o, "vectors", json_integer((json_int_t)b->vectors));
    json_object_set_new(o, "golden_vectors_equal", json_integer((json_int_t)b->golden_equal));
    json_object_set_new(o, "golden_vectors_checked", json_integer((json_int_t)b->golden_checked));
    json_object_set_new(o, "total_instructions", json_integer((json_int_t)b->total));
    json_object_set_new(o, "macs", json_integer((json_int_t)b->macs));
    json_object_set_new(o, "macs_per_instruction", json_real(per((double)b->macs, (double)b->total)));
    json_object_set_new(o, "layer_run_instructions", json_integer((json_int_t)b->marked_total));
    json_object_set_new(o, "layer_run_vector", json_integer((json_int_t)b->layer_vector));
    json_object_set_new(o, "layer_run_vector_unmarked_instructions", json_integer((json_int_t)b->unmarked));
    json_object_set_new(o, "layers_sum_instructions", json_integer((json_int_t)b->layers_sum));
    json_object_set_new(o, "outside_layers_instructions", json_integer((json_int_t)(b->marked_total - b->layers_sum)));
    if (b->host) {
        json_object_set_new(o, "ns_per_inference", json_real(b->ns_total));
        json_object_set_new(o, "runs", json_integer(b->runs));
    }
    json_t *an = json_null();
    if (b->anchor_set) {
        an = json_object();
        json_object_set_new(an, "set", json_string(b->anchor_set));
        if (b->anchor_macs >= 0) json_object_set_new(an, "macs", json_integer((json_int_t)b->anchor_macs));
        for (int i = 0; i < b->n_anchors; i++)
            json_object_set_new(an, b->anchors[i].key,
                                json_pack("{s:s,s:I,s:f}", "label", b->anchors[i].label, "instructions",
                                          (json_int_t)b->anchors[i].insns, "ratio",
                                          per((double)b->total, (double)b->anchors[i].insns)));
    }
    json_object_set_new(o, "anchors", an);
    json_t *a = json_array();
    for (size_t k = 0; k < b->n_layers; k++) {
        const bench_layer *l = &b->layers[k];
        json_t *e = json_pack("{s:i,s:s,s:s,s:I,s:I,s:f,s:f}", "layer", (int)k, "op", l->op, "kernel", l->kernel,
                              "macs", (json_int_t)l->macs, "instructions", (json_int_t)l->insns,
                              "macs_per_instruction", per((double)l->macs, (double)l->insns), "share",
                              per((double)l->insns, (double)b->marked_total));
        if (b->host) json_object_set_new(e, "ns", json_real(l->ns));
        json_array_append_new(a, e);
    }
    json_object_set_new(o, "layers", a);
    json_dumpf(o, f, JSON_INDENT(2));
    fputc('\n', f);
    json_decref(o);
}

/* Op and kernel names are identifiers, but the model path is the user's. */
static void svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

/* One colour per op name, stable across charts. */
static const char *op_colour(const char *op)
{
    static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                          "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    unsigned h = 5381;
    for (; *op; op++) h = h * 33u + (unsigned char)*op;
    return palette[h % (sizeof palette / sizeof palette[0])];
}

#define SVG_W 960
#define SVG_LABEL 330 /* left column: "k OP / kernel" */
#define SVG_BAR 480   /* longest bar */
#define SVG_ROW 20
#define SVG_TOP 56

int bench_write_svg(const bench_report *b, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mote bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    double top = 0;
    for (size_t k = 0; k < b->n_layers; k++) {
        double v = b->host ? b->layers[k].ns : (double)b->layers[k].insns;
        if (v > top) top = v;
    }
    const char *unit = b->host ? "ns" : "instructions";
    int h = SVG_TOP + SVG_ROW * (int)b->n_layers + 40;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n",
            SVG_W, h, SVG_W, h);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n<text x=\"10\" y=\"22\" font-size=\"15\" "
               "font-weight=\"bold\">",
            SVG_W, h);
    svg_text(f, b->stem);
    fprintf(f, " on %s (%s, kernels %s): %s per layer</text>\n", b->target, b->core, b->kernels, unit);
    fprintf(f, "<text x=\"10\" y=\"42\" fill=\"#555\">total %llu instructions per inference, %lld MACs, "
               "%.3f MACs/instruction",
            (unsigned long long)b->total, (long long)b->macs, per((double)b->macs, (double)b->total));
    if (b->host) fprintf(f, ", median %.0f ns over %d runs", b->ns_total, b->runs);
    fprintf(f, "</text>\n");
    for (size_t k = 0; k < b->n_layers; k++) {
        const bench_layer *l = &b->layers[k];
        double v = b->host ? l->ns : (double)l->insns;
        int y = SVG_TOP + SVG_ROW * (int)k;
        double w = top > 0 ? SVG_BAR * v / top : 0;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%zu ", SVG_LABEL - 8, y + 14, k);
        svg_text(f, l->op);
        fputs(" / ", f);
        svg_text(f, l->kernel);
        fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>", SVG_LABEL,
                y + 2, w < 1 ? 1.0 : w, SVG_ROW - 4, op_colour(l->op));
        fprintf(f, "%lld MACs, %llu instructions", (long long)l->macs, (unsigned long long)l->insns);
        if (b->host) fprintf(f, ", %.0f ns", l->ns);
        fprintf(f, "</title></rect>\n<text x=\"%.1f\" y=\"%d\">%.0f (%.1f%%)</text>\n", SVG_LABEL + w + 6, y + 14, v,
                100.0 * per((double)l->insns, (double)b->marked_total));
    }
    fprintf(f, "<text x=\"10\" y=\"%d\" fill=\"#555\">bar length: %s of the layer%s; percentages: share of the "
               "instructions of one inference</text>\n</svg>\n",
            h - 14, unit, b->host ? " (median of the runs)" : " (exact guest instructions under QEMU)");
    if (fclose(f) != 0) {
        fprintf(stderr, "mote bench: %s: write error\n", path);
        return -1;
    }
    return 0;
}
