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
