/* report.html of `mote prune` (prune_report.h). */
#include "prune_report.h"

#include <math.h>
#include <stdio.h>

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
}

/* Two bars, before (grey) and after (blue), with their values. */
static void pair(FILE *f, const char *what, double before, double after, const char *unit)
{
    double big = fmax(before, after) > 0 ? fmax(before, after) : 1;
    fprintf(f, "<h3>%s</h3>\n<svg width=\"620\" height=\"56\" role=\"img\" aria-label=\"%s\">\n", what, what);
    const double v[2] = {before, after};
    for (int i = 0; i < 2; i++)
        fprintf(f, "<text x=\"60\" y=\"%d\" text-anchor=\"end\" class=\"l\">%s</text><rect x=\"66\" y=\"%d\" width=\"%.1f\" "
                   "height=\"18\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\" class=\"l\">%.6g %s</text>\n",
                i * 26 + 16, i ? "after" : "before", i * 26 + 3, 420 * v[i] / big, i ? "#1f77b4" : "#999",
                72 + 420 * v[i] / big, i * 26 + 16, v[i], unit);
    fprintf(f, "</svg>\n");
}

int prune_report_write_html(const prune_report *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mote prune: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>mote prune</title><style>body{font:14px "
               "sans-serif;margin:2em;max-width:900px}.l{font:11px sans-serif}table{border-collapse:collapse}td,th{padding:2px "
               "8px;border-bottom:1px solid #ddd}</style></head><body>\n<h1>mote prune</h1>\n<p>");
    esc(f, r->model);
    fprintf(f, " &rarr; ");
    esc(f, r->out);
    fprintf(f, "</p>\n");
    pair(f, "Multiply-accumulates per inference (classifier)", (double)r->macs_before, (double)r->macs_after, "");
    pair(f, "File size (float before, int8 after)", (double)r->bytes_before, (double)r->bytes_after, "bytes");
    if (r->target) pair(f, "Estimated latency on the target", r->ms_before, r->ms_after, "ms");
    if (!isnan(r->acc_before))
        fprintf(f, "<h3>Test accuracy</h3><p>before %.2f %%, after: float %.2f %%, int8 %.2f %%</p>\n", 100 * r->acc_before,
                100 * r->acc_float, 100 * r->acc_int8);
    if (r->unstructured > 0) {
        pair(f, "int8 file: every weight dense, then sparse where smaller", (double)r->int8_dense_bytes,
             (double)r->bytes_after, "bytes");
        fprintf(f, "<h3>Unstructured pruning to %.0f %% zeros per layer</h3>\n<table><tr><th>layer</th><th>weights</th>"
                   "<th>zeros</th><th>int8 storage</th></tr>\n", 100 * r->unstructured);
        for (int k = 0; k < r->n_layers; k++) {
            const prune_report_layer *l = &r->layers[k];
            fprintf(f, "<tr><td>");
            esc(f, l->name);
            fprintf(f, "</td><td>%zu</td><td><svg width=\"110\" height=\"12\"><rect width=\"100\" height=\"12\" "
                       "fill=\"#ccc\"/><rect width=\"%.1f\" height=\"12\" fill=\"#1f77b4\"/></svg> %.1f %%</td><td>",
                    l->weights, 100 * l->sparsity, 100 * l->sparsity);
            if (l->int8_bytes) fprintf(f, "%s, %zu bytes (dense %zu)", l->sparse ? "sparse" : "dense", l->int8_bytes, l->weights);
            fprintf(f, "</td></tr>\n");
        }
        fprintf(f, "</table>\n");
    }
    fprintf(f, "<h3>Channels kept per group</h3>\n<svg width=\"720\" height=\"%d\" role=\"img\" aria-label=\"channels\">\n",
            18 * r->plan->n_groups + 8);
    int most = 1;
    for (int g = 0; g < r->plan->n_groups; g++)
        if (r->plan->groups[g].channels > most) most = r->plan->groups[g].channels;
    for (int g = 0; g < r->plan->n_groups; g++) {
        const tr_prune_group *gr = &r->plan->groups[g];
        int y = 18 * g + 4;
        fprintf(f, "<text x=\"196\" y=\"%d\" text-anchor=\"end\" class=\"l\">", y + 11);
        esc(f, gr->name);
        fprintf(f, "</text><rect x=\"202\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"#ccc\"/><rect x=\"202\" y=\"%d\" "
                   "width=\"%.1f\" height=\"12\" fill=\"#1f77b4\"/><text x=\"%.1f\" y=\"%d\" class=\"l\">%d of %d%s</text>\n",
                y, 420.0 * gr->channels / most, y, 420.0 * r->kept[g] / most, 208 + 420.0 * gr->channels / most, y + 11,
                r->kept[g], gr->channels, gr->prunable ? "" : " (kept whole)");
    }
    fprintf(f, "</svg>\n</body></html>\n");
    if (fclose(f)) {
        fprintf(stderr, "mote prune: writing %s failed\n", path);
        return -1;
    }
    return 0;
}
