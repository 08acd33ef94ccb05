/* report.html of `mote quantize` (quant_report.h): sizes and accuracy before and after, and per activation
 * the range observed against the range kept, and the signal-to-quantization-noise ratio that leaves.
 * Self-contained: inline SVG and CSS, no script, no network. */
#include "quant_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

/* Signal power over quantization noise, in dB (the noise of the range kept, from the histogram). */
static double sqnr_db(const mote_act_stats *s, const mote_act_choice *c)
{
    double power = s && s->count ? s->sumsq / (double)s->count : 0.0;
    if (!(c->mse > 0.0) || !(power > 0.0)) return NAN;
    return 10.0 * log10(power / c->mse);
}

static const char *short_name(const mote_ir_graph *g, int32_t t, char buf[MOTE_IR_SHORT_NAME])
{
    return mote_ir_short_name(g->tensors[t].name ? g->tensors[t].name : "", buf);
}

/* A chart label: the last 40 characters (converted models' names end with what tells them apart). */
static void chart_label(FILE *f, const mote_ir_graph *g, int32_t t)
{
    const char *n = g->tensors[t].name ? g->tensors[t].name : "";
    size_t len = strlen(n);
    if (len > 40) fputs("...", f);
    esc(f, len > 40 ? n + len - 37 : n);
}

/* One row per activation: the observed range (grey) and the kept one (blue) on the row's own scale. */
static void range_chart(FILE *f, const quant_report *r)
{
    const int row = 18, label_w = 300, bar_w = 400, h = row * r->rep->n_acts + 30;
    fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"activation ranges\">\n", label_w + bar_w + 140, h);
    const int x0 = label_w + bar_w / 2;
    fprintf(f, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", x0, x0, h - 20);
    for (int32_t i = 0; i < r->rep->n_acts; i++) {
        const mote_act_choice *c = &r->rep->acts[i];
        const mote_act_stats *s = mote_calib_stats(r->calib, c->tensor);
        double lo = s ? s->lo : c->lo, hi = s ? s->hi : c->hi, m = fmax(fabs(lo), fabs(hi));
        if (!(m > 0.0)) m = 1.0;
        const double k = (bar_w / 2.0) / m;
        const int y = i * row + 4;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"l\">", label_w - 6, y + 11);
        chart_label(f, r->g, c->tensor);
        fprintf(f, "</text>\n<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"#ccc\"/>\n", x0 + lo * k, y,
                (hi - lo) * k);
        fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"6\" fill=\"#1f77b4\"/>\n", x0 + fmax(c->lo, lo) * k,
                y + 3, (fmin(c->hi, hi) - fmax(c->lo, lo)) * k);
        fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"l\">%s, kept %.0f%%</text>\n", label_w + bar_w + 6, y + 11,
                mote_range_method_name(c->method), 100.0 * (c->hi - c->lo) / (hi - lo > 0 ? hi - lo : 1.0));
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"l\">0 (each row on its own scale: grey observed, "
               "blue kept)</text>\n</svg>\n", x0, h - 4);
}

static void sqnr_chart(FILE *f, const quant_report *r)
{
    const int row = 18, label_w = 300, bar_w = 400, h = row * r->rep->n_acts + 10;
    fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"SQNR per activation\">\n", label_w + bar_w + 80, h);
    for (int32_t i = 0; i < r->rep->n_acts; i++) {
        const mote_act_choice *c = &r->rep->acts[i];
        double db = sqnr_db(mote_calib_stats(r->calib, c->tensor), c);
        const int y = i * row + 4;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"l\">", label_w - 6, y + 11);
        chart_label(f, r->g, c->tensor);
        fprintf(f, "</text>\n");
        if (isfinite(db))
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"#e8710a\"/><text x=\"%.1f\" y=\"%d\" "
                       "class=\"l\">%.1f dB</text>\n",
                    label_w, y, fmax(0.0, fmin(db, 60.0)) * bar_w / 60.0, label_w + fmax(0.0, fmin(db, 60.0)) * bar_w / 60.0 + 4,
                    y + 11, db);
    }
    fprintf(f, "</svg>\n");
}

/* --bits auto: every combination scored, accuracy against flash; the front joined, the choice ringed. */
static void pareto_chart(FILE *f, const quant_report *r)
{
    const mote_mixed_result *m = r->mixed;
    const int w = 640, h = 320, l = 70, b = 40, t = 10, rt = 20;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int k = 0; k < m->n_points; k++) {
        x0 = fmin(x0, m->points[k].flash), x1 = fmax(x1, m->points[k].flash);
        y0 = fmin(y0, m->points[k].accuracy), y1 = fmax(y1, m->points[k].accuracy);
    }
    y0 = fmin(y0, m->float_accuracy), y1 = fmax(y1, m->float_accuracy);
    if (!(x1 > x0)) x1 = x0 + 1;
    if (!(y1 > y0)) y1 = y0 + 0.01;
    const double px = (w - l - rt) / (x1 - x0), py = (h - t - b) / (y1 - y0);
#define X(v) (l + ((v) - x0) * px)
#define Y(v) (h - b - ((v) - y0) * py)
    fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"accuracy against flash\">\n", w, h);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
               "y2=\"%d\" stroke=\"#888\"/>\n", l, h - b, w - rt, h - b, l, t, l, h - b);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"l\">%.0f</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"l\">%.0f "
               "bytes of flash</text>\n", l, h - b + 14, x0, w - rt, h - b + 14, x1);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"l\">%.1f%%</text><text x=\"%d\" y=\"%d\" "
               "text-anchor=\"end\" class=\"l\">%.1f%%</text>\n", l - 4, h - b, 100 * y0, l - 4, t + 8, 100 * y1);
    fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
               "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"l\">float</text>\n",
            l, Y(m->float_accuracy), w - rt, Y(m->float_accuracy), w - rt, Y(m->float_accuracy) - 3);
    /* the front, left to right */
    fprintf(f, "<polyline fill=\"none\" stroke=\"#1f77b4\" points=\"");
    for (int pass = 0, last = -1; pass < m->n_points; pass++) {
        int next = -1;
        for (int k = 0; k < m->n_points; k++)
            if (m->points[k].pareto && (last < 0 || m->points[k].flash > m->points[last].flash ||
                                        (m->points[k].flash == m->points[last].flash && k > last)) &&
                (next < 0 || m->points[k].flash < m->points[next].flash))
                next = k;
        if (next < 0) break;
        fprintf(f, "%.1f,%.1f ", X(m->points[next].flash), Y(m->points[next].accuracy));
        last = next;
    }
    fprintf(f, "\"/>\n");
    for (int k = 0; k < m->n_points; k++) {
        const mote_mixed_point *p = &m->points[k];
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"><title>%s: %.2f%%, %.0f bytes, %.3f ms</title></circle>\n",
                X(p->flash), Y(p->accuracy), k == m->chosen ? 6 : 3, p->pareto ? "#1f77b4" : "#bbb", p->label,
                100 * p->accuracy, p->flash, p->ms);
    }
    const mote_mixed_point *c = &m->points[m->chosen];
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"9\" fill=\"none\" stroke=\"#e8710a\" stroke-width=\"2\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"l\">chosen</text>\n</svg>\n",
            X(c->flash), Y(c->accuracy), X(c->flash) + 10, Y(c->accuracy) - 10);
#undef X
#undef Y
}

static void mixed_section(FILE *f, const quant_report *r)
{
    const mote_mixed_result *m = r->mixed;
    fprintf(f, "<h2>Mixed precision for ");
    esc(f, r->target);
    fprintf(f, "</h2>\n<p>Every combination scored on the calibration samples (blue: the Pareto front of accuracy, "
               "flash and estimated latency; hover for numbers). The choice: the least flash within --max-drop of "
               "the float model (%.2f %%), then the least latency.</p>\n", 100 * m->float_accuracy);
    pareto_chart(f, r);
    fprintf(f, "<table><tr><th>op</th><th>layer</th><th>accuracy, this layer alone int4</th><th>flash saved</th>"
               "<th>width</th><th>why</th></tr>\n");
    for (int i = 0; i < m->n_layers; i++) {
        const mote_mixed_layer *l = &m->layers[i];
        const mote_ir_op *op = &r->q->ops[l->op];
        fprintf(f, "<tr><td>%d %s</td><td>", (int)l->op, mote_op_name(op->op));
        chart_label(f, r->q, op->io[op->n_in]);
        fprintf(f, "</td><td>%.2f %%</td><td>%.0f</td><td>int%d</td><td>", 100 * l->accuracy, l->saved, l->bits);
        esc(f, l->why);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table>\n");
}

int quant_report_write_html(const quant_report *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mote quantize: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>mote quantize: ");
    esc(f, r->model);
    fprintf(f, "</title>\n<style>body{font:14px sans-serif;margin:2em;max-width:1000px}"
               "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
               "td:first-child,th:first-child{text-align:left}.l{font:11px sans-serif}</style></head><body>\n");
    fprintf(f, "<h1>mote quantize</h1>\n<p>");
    esc(f, r->model);
    fprintf(f, " &rarr; ");
    esc(f, r->output);
    fprintf(f, ": int8, activation ranges by <b>%s</b>, %ld calibration samples, %d weight tensors, %d biases "
               "corrected.</p>\n",
            mote_range_method_name(r->opts->method), r->samples, (int)r->rep->n_weights, (int)r->rep->n_bias_corrected);
    fprintf(f, "<h2>Size and accuracy</h2>\n<svg width=\"560\" height=\"60\" role=\"img\" aria-label=\"file size\">\n");
    const double big = (double)(r->bytes_in > r->bytes_out ? r->bytes_in : r->bytes_out);
    const size_t b[2] = {r->bytes_in, r->bytes_out};
    const char *const name[2] = {"float", "int8"};
    for (int i = 0; i < 2; i++)
        fprintf(f, "<text x=\"50\" y=\"%d\" text-anchor=\"end\" class=\"l\">%s</text><rect x=\"56\" y=\"%d\" "
                   "width=\"%.1f\" height=\"18\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\" class=\"l\">%zu bytes</text>\n",
                i * 26 + 16, name[i], i * 26 + 3, 380.0 * (double)b[i] / big, i ? "#1f77b4" : "#999",
                62 + 380.0 * (double)b[i] / big, i * 26 + 16, b[i]);
    fprintf(f, "</svg>\n<p>");
    if (r->has_accuracy)
        fprintf(f, "On the calibration samples: float %.2f %%, int8 %.2f %%, same top-1 %.2f %%. ", 100 * r->float_accuracy,
                100 * r->int8_accuracy, 100 * r->agreement);
    fprintf(f, "Output error against float: %.2f %% of its RMS. Score held-out data with <code>mote classify</code> or "
               "<code>mote eval</code>.</p>\n", 100 * r->output_rel_error);
    if (r->mixed) mixed_section(f, r);
    fprintf(f, "<h2>Activation ranges</h2>\n");
    range_chart(f, r);
    fprintf(f, "<h2>Signal to quantization noise</h2>\n");
    sqnr_chart(f, r);
    fprintf(f, "<h2>Every activation</h2>\n<table><tr><th>tensor</th><th>method</th><th>observed</th><th>kept</th>"
               "<th>scale</th><th>zero point</th><th>SQNR</th></tr>\n");
    for (int32_t i = 0; i < r->rep->n_acts; i++) {
        const mote_act_choice *c = &r->rep->acts[i];
        const mote_act_stats *s = mote_calib_stats(r->calib, c->tensor);
        char nb[MOTE_IR_SHORT_NAME];
        fprintf(f, "<tr><td>");
        esc(f, short_name(r->g, c->tensor, nb));
        fprintf(f, "</td><td>%s</td><td>[%.4g, %.4g]</td><td>[%.4g, %.4g]</td><td>%.4g</td><td>%d</td><td>%.1f dB</td></tr>\n",
                mote_range_method_name(c->method), s ? s->lo : NAN, s ? s->hi : NAN, c->lo, c->hi, (double)c->scale,
                (int)c->zero_point, sqnr_db(s, c));
    }
    fprintf(f, "</table>\n</body></html>\n");
    if (fclose(f)) {
        fprintf(stderr, "mote quantize: writing %s failed\n", path);
        return -1;
    }
    return 0;
}
