/* train.json and report.html of a `mote train` run, both from one tr_run_report (train_report.h). The
 * HTML is written by hand like bench's SVG: no plotting dependency, no script, nothing fetched. */
#include "train_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_report_class_metrics(const int *confusion, int n_classes, int cls, double *precision, double *recall)
{
    long long tp = 0, predicted = 0, actual = 0;
    if (confusion && cls >= 0 && cls < n_classes) {
        tp = confusion[(size_t)cls * n_classes + cls];
        for (int k = 0; k < n_classes; k++) {
            actual += confusion[(size_t)cls * n_classes + k];
            predicted += confusion[(size_t)k * n_classes + cls];
        }
    }
    if (precision) *precision = predicted > 0 ? (double)tp / (double)predicted : NAN;
    if (recall) *recall = actual > 0 ? (double)tp / (double)actual : NAN;
}

/* Undefined when either part is; 0 (not undefined) when both are 0, as sklearn reports it. */
static double f1_score(double p, double r)
{
    if (isnan(p) || isnan(r)) return NAN;
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

static long long row_total(const int *confusion, int n_classes, int cls)
{
    long long s = 0;
    for (int k = 0; k < n_classes; k++) s += confusion[(size_t)cls * n_classes + k];
    return s;
}

static const char *class_name(const tr_run_report *r, int c)
{
    return r->class_names && r->class_names[c] ? r->class_names[c] : NULL;
}

/* ---- train.json ---- */

/* jansson refuses NaN and infinities: an undefined number is null. */
static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* Length of the valid UTF-8 character at s (1..4), 0 if none starts there (overlong, surrogate, cut). */
static int utf8_char(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (!n || s[0] > 0xF4) return 0;
    unsigned cp = s[0] & (0x7Fu >> n);
    for (int k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[k] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Paths and class names come from the file system and need not be UTF-8, which JSON and the page's charset
 * require: an invalid byte becomes '?' rather than failing the whole record. */
static json_t *jstr(const char *s)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    size_t n = strlen(s), o = 0;
    char *t = malloc(n + 1);
    if (!t) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int k = utf8_char(p);
        if (!k) t[o++] = '?', p++;
        else for (; k > 0; k--) t[o++] = (char)*p++;
    }
    t[o] = 0;
    j = json_string(t);
    free(t);
    return j;
}

/* jansson takes (and on failure releases) v, and refuses a NULL container or value: one flag per
 * record then tells whether any allocation failed. */
static void put(json_t *o, const char *key, json_t *v, int *bad)
{
    if (json_object_set_new(o, key, v) != 0) *bad = 1;
}

static void add(json_t *a, json_t *v, int *bad)
{
    if (json_array_append_new(a, v) != 0) *bad = 1;
}

static json_t *eval_json(const tr_run_report *r, const tr_run_eval *e, int *bad)
{
    json_t *o = json_object();
    put(o, "accuracy", jnum(e->accuracy), bad);
    put(o, "n", json_integer((json_int_t)e->n), bad);
    if (!e->confusion) {
        put(o, "confusion", json_null(), bad);
        put(o, "per_class", json_null(), bad);
        return o;
    }
    int n = r->n_classes;
    json_t *rows = json_array(), *per_class = json_array();
    for (int i = 0; i < n; i++) {
        json_t *row = json_array();
        for (int j = 0; j < n; j++) add(row, json_integer(e->confusion[(size_t)i * n + j]), bad);
        add(rows, row, bad);
        double p, rc;
        tr_report_class_metrics(e->confusion, n, i, &p, &rc);
        json_t *c = json_object();
        const char *name = class_name(r, i);
        put(c, "class", name ? jstr(name) : json_integer(i), bad);
        put(c, "precision", jnum(p), bad);
        put(c, "recall", jnum(rc), bad);
        put(c, "f1", jnum(f1_score(p, rc)), bad);
        put(c, "support", json_integer(row_total(e->confusion, n, i)), bad);
        add(per_class, c, bad);
    }
    put(o, "confusion", rows, bad);
    put(o, "per_class", per_class, bad);
    return o;
}

static json_t *target_json(const tr_run_report *r, int *bad)
{
    if (!r->target) return json_null();
    json_t *t = json_object();
    put(t, "name", jstr(r->target), bad);
    put(t, "fits", json_boolean(r->fits), bad);
    put(t, "reason", jstr(r->fit_reason), bad);
    put(t, "arena_bytes", json_integer((json_int_t)r->arena_bytes), bad);
    put(t, "flash_bytes", json_integer((json_int_t)r->flash_bytes), bad);
    put(t, "ram_budget", json_integer((json_int_t)r->ram_budget), bad);
    put(t, "flash_budget", json_integer((json_int_t)r->flash_budget), bad);
    int latency = r->latency_ms >= 0 && isfinite(r->latency_ms);
    put(t, "latency_ms", latency ? json_real(r->latency_ms) : json_null(), bad);
    put(t, "window_seconds", jnum(r->window_seconds), bad);
    if (r->window_seconds > 0)
        put(t, "latency_ms_per_second_of_signal", latency ? jnum(r->latency_ms / r->window_seconds) : json_null(),
            bad);
    return t;
}

json_t *tr_report_json(const tr_run_report *r)
{
    int bad = 0;
    json_t *o = json_object();
    put(o, "config", r->config ? json_incref(r->config) : json_null(), &bad);
    put(o, "task", jstr(r->task), &bad);
    put(o, "data", jstr(r->data), &bad);
    put(o, "arch", jstr(r->arch), &bad);

    json_t *ds = json_object(), *classes = json_array();
    for (int c = 0; c < r->n_classes; c++) {
        const char *name = class_name(r, c);
        add(classes, name ? jstr(name) : json_integer(c), &bad);
    }
    put(ds, "classes", classes, &bad);
    put(ds, "train", json_integer((json_int_t)r->n_train), &bad);
    put(ds, "validation", json_integer((json_int_t)r->n_val), &bad);
    put(ds, "test", json_integer((json_int_t)r->n_test), &bad);
    put(o, "dataset", ds, &bad);

    json_t *epochs = json_array();
    for (int i = 0; i < r->n_epochs; i++) {
        const tr_epoch_report *e = &r->epochs[i];
        json_t *j = json_object();
        put(j, "epoch", json_integer(e->epoch), &bad);
        put(j, "train_loss", jnum(e->train_loss), &bad);
        put(j, "train_accuracy", jnum(e->train_accuracy), &bad);
        put(j, "val_loss", jnum(e->val_loss), &bad);
        put(j, "val_accuracy", jnum(e->val_accuracy), &bad);
        put(j, "lr", jnum(e->lr), &bad);
        put(j, "seconds", jnum(e->seconds), &bad);
        add(epochs, j, &bad);
    }
    put(o, "epochs", epochs, &bad);
    put(o, "best_epoch", json_integer(r->best_epoch), &bad);
    put(o, "stopped_early", json_boolean(r->stopped_early), &bad);
    put(o, "train_seconds", jnum(r->train_seconds), &bad);

    json_t *test = json_object();
    for (int k = 0; k < r->n_evals && k < 2; k++)
        put(test, r->evals[k].name ? r->evals[k].name : (k ? "int8" : "float"), eval_json(r, &r->evals[k], &bad),
            &bad);
    put(o, "test", test, &bad);

    json_t *model = json_object();
    put(model, "bytes", json_integer((json_int_t)r->model_bytes), &bad);
    put(model, "params", json_integer((json_int_t)r->params), &bad);
    put(o, "model", model, &bad);
    put(o, "target", target_json(r, &bad), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- report.html ---- */

/* For text and attribute values alike; cut after max bytes (0: no limit) at a character's end; an invalid
 * UTF-8 byte becomes '?' as in train.json. */
static void esc_n(FILE *f, const char *s, size_t max)
{
    if (!s) return;
    size_t used = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (max && used >= max) {
            fputs("&#8230;", f);
            return;
        }
        int k = utf8_char(p);
        if (k > 1) fwrite(p, 1, (size_t)k, f);
        else if (!k) fputc('?', f);
        else if (*p == '<') fputs("&lt;", f);
        else if (*p == '>') fputs("&gt;", f);
        else if (*p == '&') fputs("&amp;", f);
        else if (*p == '"') fputs("&quot;", f);
        else if (*p == '\'') fputs("&#39;", f);
        else fputc(*p, f);
        k = k ? k : 1;
        p += k;
        used += (size_t)k;
    }
}

static void esc(FILE *f, const char *s) { esc_n(f, s, 0); }

void tr_report_esc(FILE *f, const char *s) { esc_n(f, s, 0); }

/* A class by name (shortened for labels when max > 0), or by index when unnamed. */
static void class_label(FILE *f, const tr_run_report *r, int c, size_t max)
{
    const char *name = class_name(r, c);
    if (name) esc_n(f, name, max);
    else fprintf(f, "%d", c);
}

static void bytes(FILE *f, size_t b)
{
    if (b < 1024) fprintf(f, "%zu B", b);
    else if (b < 1024 * 1024) fprintf(f, "%.1f KiB", b / 1024.0);
    else fprintf(f, "%.2f MiB", b / (1024.0 * 1024.0));
}

static void percent(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.1f%%", 100 * v);
    else fputs("n/a", f);
}

/* 1, 2 or 5 times a power of ten, about range/5: five or so gridlines. */
double tr_report_nice_step(double range)
{
    double raw = range / 5, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

#define LC_W 460 /* line chart */
#define LC_H 290
#define LC_L 58
#define LC_R 14
#define LC_T 44
#define LC_B 46
static const char *const series_colour[2] = {"#1f77b4", "#e8710a"};

static double metric(const tr_epoch_report *e, int accuracy, int val)
{
    return accuracy ? (val ? e->val_accuracy : e->train_accuracy) : (val ? e->val_loss : e->train_loss);
}

/* Loss or accuracy per epoch, training and validation; gaps where a value is undefined. */
void tr_report_curve_svg(FILE *f, const tr_epoch_report *epochs, int n, int best_epoch, int accuracy)
{
    const char *what = accuracy ? "Accuracy" : "Loss";
    if (n <= 0 || !epochs) {
        fprintf(f, "<div class=\"chart\"><h3>%s</h3><p class=\"note\">No epochs were run.</p></div>\n", what);
        return;
    }
    double top = 0;
    int has_val = 0;
    for (int i = 0; i < n; i++)
        for (int v = 0; v < 2; v++) {
            double y = metric(&epochs[i], accuracy, v);
            if (!isfinite(y)) continue;
            if (v) has_val = 1;
            if (y > top) top = y;
        }
    double step, ymax;
    if (accuracy) step = 0.2, ymax = 1;
    else {
        step = tr_report_nice_step(top > 0 ? top : 1);
        ymax = ceil(top / step - 1e-9) * step;
        if (ymax <= 0) ymax = step;
    }
    /* One epoch: the point in the middle rather than on an axis. */
    double lo = n > 1 ? 1 : 0, hi = n > 1 ? n : 2;
    double pw = LC_W - LC_L - LC_R, ph = LC_H - LC_T - LC_B;
#define PX(x) (LC_L + ((x) - lo) / (hi - lo) * pw)
#define PY(y) (LC_T + (1 - fmin(fmax((y) / ymax, 0), 1)) * ph)
    fprintf(f, "<div class=\"chart\"><svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
               "aria-label=\"%s per epoch\">\n<text x=\"%d\" y=\"18\" class=\"t\">%s per epoch</text>\n",
            LC_W, LC_H, LC_W, LC_H, what, LC_L, what);
    for (int k = 0; k * step <= ymax + step * 1e-6; k++) {
        double y = PY(k * step);
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/><text x=\"%d\" y=\"%.1f\" "
                   "text-anchor=\"end\">",
                LC_L, y, LC_W - LC_R, y, LC_L - 6, y + 4);
        if (accuracy) fprintf(f, "%.0f%%", 100 * k * step);
        else fprintf(f, "%g", k * step);
        fputs("</text>\n", f);
    }
    int xstep = (n + 9) / 10;
    for (int e = 1; e <= n; e += xstep)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"axis\"/><text x=\"%.1f\" y=\"%d\" "
                   "text-anchor=\"middle\">%d</text>\n",
                PX(e), LC_H - LC_B, PX(e), LC_H - LC_B + 5, PX(e), LC_H - LC_B + 18, e);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
               "y2=\"%d\" class=\"axis\"/>\n",
            LC_L, LC_T, LC_L, LC_H - LC_B, LC_L, LC_H - LC_B, LC_W - LC_R, LC_H - LC_B);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">epoch</text><text transform=\"translate(14 %.1f) "
               "rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
            LC_L + pw / 2, LC_H - 8, LC_T + ph / 2, accuracy ? "accuracy" : "loss");
    if (best_epoch >= 1 && best_epoch <= n)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"best\"/><text x=\"%.1f\" y=\"%d\" "
                   "text-anchor=\"middle\" class=\"bestl\">best %d</text>\n",
                PX(best_epoch), LC_T, PX(best_epoch), LC_H - LC_B, PX(best_epoch), LC_T - 4,
                best_epoch);
    for (int v = 0; v < 1 + has_val; v++) {
        int open = 0;
        for (int i = 0; i < n; i++) {
            double y = metric(&epochs[i], accuracy, v);
            if (!isfinite(y)) {
                if (open) fputs("\"/>\n", f);
                open = 0;
                continue;
            }
            if (!open) fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                               series_colour[v]);
            fprintf(f, "%s%.1f,%.1f", open ? " " : "", PX(i + 1), PY(y));
            open = 1;
        }
        if (open) fputs("\"/>\n", f);
        /* Markers: a single epoch is a point, and hovering names the value. */
        for (int i = 0; i < n && n <= 60; i++) {
            double y = metric(&epochs[i], accuracy, v);
            if (!isfinite(y)) continue;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>epoch %d, %s: %.4g</title>"
                       "</circle>\n",
                    PX(i + 1), PY(y), series_colour[v], i + 1, v ? "validation" : "training", y);
        }
    }
    /* Legend, top right. */
    for (int v = 0; v < 2; v++) {
        int x = LC_W - LC_R - 200 + 96 * v;
        fprintf(f, "<line x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\" stroke=\"%s\" stroke-width=\"2\"%s/><text x=\"%d\" "
                   "y=\"18\">%s</text>\n",
                x, x + 16, series_colour[v], v && !has_val ? " stroke-dasharray=\"2 3\"" : "", x + 20,
                v ? (has_val ? "validation" : "no validation") : "training");
    }
#undef PX
#undef PY
    fputs("</svg></div>\n", f);
}

static void line_chart(FILE *f, const tr_run_report *r, int accuracy)
{
    tr_report_curve_svg(f, r->epochs, r->n_epochs, r->best_epoch, accuracy);
}

/* The eval the matrix and bars show: int8 (what ships) when there is one. */
static const tr_run_eval *shown_eval(const tr_run_report *r)
{
    for (int k = 0; k < r->n_evals && k < 2; k++)
        if (r->evals[k].name && !strcmp(r->evals[k].name, "int8") && r->evals[k].confusion) return &r->evals[k];
    return r->n_evals > 0 && r->evals[0].confusion ? &r->evals[0] : NULL;
}

static void confusion_table(FILE *f, const tr_run_report *r, const tr_run_eval *e)
{
    int n = r->n_classes;
    fputs("<div class=\"scroll\"><table class=\"cm\"><tr><th class=\"corner\">true &#8595; predicted &#8594;</th>",
          f);
    for (int j = 0; j < n; j++) {
        fputs("<th class=\"p\" title=\"", f);
        class_label(f, r, j, 0);
        fputs("\">", f);
        class_label(f, r, j, 24);
        fputs("</th>", f);
    }
    fputs("<th>n</th></tr>\n", f);
    for (int i = 0; i < n; i++) {
        long long total = row_total(e->confusion, n, i);
        fputs("<tr><th title=\"", f);
        class_label(f, r, i, 0);
        fputs("\">", f);
        class_label(f, r, i, 24);
        fputs("</th>", f);
        for (int j = 0; j < n; j++) {
            int c = e->confusion[(size_t)i * n + j];
            /* Shade by the share of the true class: a dark diagonal is high recall whatever the class sizes. */
            double share = total > 0 ? (double)c / (double)total : 0;
            int red = (int)lround(255 - share * (255 - 24)), green = (int)lround(255 - share * (255 - 94)),
                blue = (int)lround(255 - share * (255 - 160));
            fprintf(f, "<td style=\"background:#%02x%02x%02x%s\"%s title=\"", red, green, blue,
                    share > 0.5 ? ";color:#fff" : "", i == j ? " class=\"d\"" : c ? "" : " class=\"z\"");
            class_label(f, r, i, 0);
            fputs(" predicted as ", f);
            class_label(f, r, j, 0);
            fprintf(f, ": %d (%.1f%% of the class)\">%d</td>", c, 100 * share, c);
        }
        fprintf(f, "<th>%lld</th></tr>\n", total);
    }
    fputs("</table></div>\n", f);
}

#define PB_LABEL 190 /* per-class bars: label column */
#define PB_BAR 420   /* a bar at 100% */
#define PB_ROW 24
#define PB_TOP 40

static void class_bars(FILE *f, const tr_run_report *r, const tr_run_eval *e)
{
    int n = r->n_classes, w = PB_LABEL + PB_BAR + 200, h = PB_TOP + PB_ROW * n + 8;
    fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"precision and "
               "recall per class\">\n",
            w, h, w, h);
    for (int k = 0; k <= 4; k++) {
        double x = PB_LABEL + PB_BAR * k / 4.0;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/><text x=\"%.1f\" y=\"%d\" "
                   "text-anchor=\"middle\">%d%%</text>\n",
                x, PB_TOP - 4, x, h - 8, x, PB_TOP - 8, 25 * k);
    }
    fprintf(f, "<rect x=\"8\" y=\"6\" width=\"12\" height=\"8\" fill=\"%s\"/><text x=\"24\" y=\"14\">precision"
               "</text><rect x=\"98\" y=\"6\" width=\"12\" height=\"8\" fill=\"%s\"/><text x=\"114\" y=\"14\">recall"
               "</text>\n",
            series_colour[0], series_colour[1]);
    for (int c = 0; c < n; c++) {
        double m[2];
        tr_report_class_metrics(e->confusion, n, c, &m[0], &m[1]);
        int y = PB_TOP + PB_ROW * c;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", PB_LABEL - 8, y + 15);
        class_label(f, r, c, 24);
        fputs("<title>", f);
        class_label(f, r, c, 0);
        fputs("</title></text>\n", f);
        for (int k = 0; k < 2; k++)
            if (isfinite(m[k]))
                fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"9\" fill=\"%s\"><title>%s %.3f</title>"
                           "</rect>\n",
                        PB_LABEL, y + 3 + 10 * k, PB_BAR * m[k], series_colour[k], k ? "recall" : "precision", m[k]);
        fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"v\">P ", PB_LABEL + PB_BAR + 8, y + 15);
        percent(f, m[0]);
        fputs(" &#183; R ", f);
        percent(f, m[1]);
        fprintf(f, " &#183; n %lld</text>\n", row_total(e->confusion, n, c));
    }
    fputs("</svg>\n", f);
}

#define SB_LABEL 90 /* size bars */
#define SB_BAR 560

/* Need against budget on one scale (the larger), the budget a line: an overflow shows past it. */
static void size_bar(FILE *f, int y, const char *label, const char *need_name, size_t need, size_t budget)
{
    double scale = (double)(need > budget ? need : budget);
    double wn = scale > 0 ? SB_BAR * (double)need / scale : 0, wb = scale > 0 ? SB_BAR * (double)budget / scale : 0;
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", SB_LABEL - 8, y + 15, label);
    if (budget) fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"20\" fill=\"#eee\"/>\n", SB_LABEL, y, wb);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>\n", SB_LABEL, y + 4, wn,
            !budget ? "#888" : need <= budget ? "#3a9a48" : "#d0312d");
    if (budget)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#222\" stroke-width=\"2\"/>\n",
                SB_LABEL + wb, y - 3, SB_LABEL + wb, y + 27);
    fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"v\">%s ", SB_LABEL, y + 42, need_name);
    bytes(f, need);
    if (budget) {
        fputs(" of ", f);
        bytes(f, budget);
        fprintf(f, " (%.1f%%)", 100.0 * need / budget);
    } else fputs(" (no budget in the profile)", f);
    fputs("</text>\n", f);
}

static void model_section(FILE *f, const tr_run_report *r)
{
    fputs("<h2>Model", f);
    if (r->target) {
        fputs(" on ", f);
        esc(f, r->target);
    }
    fputs("</h2>\n<p>int8 .tflite: ", f);
    bytes(f, r->model_bytes);
    fprintf(f, " (%zu bytes), %zu trainable parameters.</p>\n", r->model_bytes, r->params);
    if (!r->target) {
        fputs("<p class=\"note\">No target given (--target): no fit check, no latency estimate.</p>\n", f);
        return;
    }
    fprintf(f, "<p class=\"verdict %s\">%s", r->fits ? "ok" : "bad",
            r->fits ? "&#10003; fits" : "&#10007; does not fit");
    if (r->fit_reason) {
        fputs(": ", f);
        esc(f, r->fit_reason);
    }
    fputs("</p>\n", f);
    fprintf(f, "<svg width=\"%d\" height=\"122\" viewBox=\"0 0 %d 122\" role=\"img\" aria-label=\"model size "
               "against the target's budgets\">\n",
            SB_LABEL + SB_BAR + 20, SB_LABEL + SB_BAR + 20);
    size_bar(f, 6, "RAM", "arena", r->arena_bytes, r->ram_budget);
    size_bar(f, 66, "flash", "flash", r->flash_bytes, r->flash_budget);
    fputs("</svg>\n<p>", f);
    if (r->latency_ms >= 0 && isfinite(r->latency_ms)) {
        fprintf(f, "Estimated latency: %.2f ms per inference", r->latency_ms);
        if (r->window_seconds > 0)
            fprintf(f, "; one inference covers %.3g s of signal, so %.2f ms per second of signal (%.1f%% of real "
                       "time)",
                    r->window_seconds, r->latency_ms / r->window_seconds, r->latency_ms / r->window_seconds / 10);
        fputs(".", f);
    } else fputs("Latency: no estimate for this target.", f);
    fputs("</p>\n", f);
}

const char tr_report_css[] =
    "body{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:1000px;margin:24px auto;padding:0 16px}"
    "h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:30px 0 8px;border-bottom:1px solid #ddd;"
    "padding-bottom:4px}h3{font-size:14px}.meta{color:#555;margin:2px 0}.note{color:#777}"
    ".kpis{display:flex;flex-wrap:wrap;gap:14px;margin:16px 0}.kpi{border:1px solid #ddd;border-radius:6px;"
    "padding:8px 16px;min-width:150px}.kpi b{display:block;font-size:26px}.charts{display:flex;flex-wrap:wrap;"
    "gap:16px}.chart h3{margin:8px 0}svg{font-size:12px;font-family:system-ui,sans-serif;max-width:100%;height:auto}"
    "svg .t{font-size:14px;font-weight:bold}.grid{stroke:#e6e6e6}.axis{stroke:#444}.best{stroke:#777;"
    "stroke-dasharray:4 3}.bestl{fill:#555}.v{fill:#333}.scroll{overflow-x:auto}"
    "table.cm{border-collapse:collapse;font-size:12px}.cm td,.cm th{border:1px solid #e2e2e2;padding:3px 6px;"
    "text-align:right;white-space:nowrap}.cm th{background:#fafafa;font-weight:normal}.cm th.p{writing-mode:"
    "vertical-rl;transform:rotate(180deg);text-align:left}.cm td.d{font-weight:bold}.cm td.z{color:#bbb}"
    ".corner{font-size:11px;color:#666}.verdict{font-size:16px;font-weight:bold}.ok{color:#2e7d32}"
    ".bad{color:#c62828}pre{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:12px}";

static void header(FILE *f, const tr_run_report *r)
{
    fputs("<h1>mote train: ", f);
    esc(f, r->task ? r->task : "?");
    fputs(" &#183; ", f);
    esc(f, r->arch ? r->arch : "?");
    fputs("</h1>\n<p class=\"meta\">data <code>", f);
    esc(f, r->data);
    fprintf(f, "</code> &#183; %d class%s &#183; train %zu &#183; validation %zu &#183; test %zu</p>\n", r->n_classes,
            r->n_classes == 1 ? "" : "es", r->n_train, r->n_val, r->n_test);
    fprintf(f, "<p class=\"meta\">%d epoch%s%s", r->n_epochs, r->n_epochs == 1 ? "" : "s",
            r->stopped_early ? " (stopped early)" : "");
    if (r->best_epoch > 0) fprintf(f, " &#183; best epoch %d", r->best_epoch);
    if (isfinite(r->train_seconds)) fprintf(f, " &#183; training %.1f s", r->train_seconds);
    fputs("</p>\n<div class=\"kpis\">", f);
    int have_int8 = 0;
    for (int k = 0; k < r->n_evals && k < 2; k++) {
        const tr_run_eval *e = &r->evals[k];
        if (e->name && !strcmp(e->name, "int8")) have_int8 = 1;
        fputs("<div class=\"kpi\"><b>", f);
        percent(f, e->accuracy);
        fputs("</b>", f);
        esc(f, e->name);
        fprintf(f, " test accuracy, %zu examples</div>", e->n);
    }
    if (!have_int8) fputs("<div class=\"kpi note\"><b>&#8212;</b>int8: not evaluated</div>", f);
    fputs("</div>\n", f);
}

int tr_report_write_html(const tr_run_report *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mote train: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>mote train: ", f);
    esc(f, r->task);
    fputs(" ", f);
    esc(f, r->arch);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", tr_report_css);
    header(f, r);

    fputs("<h2>Training</h2>\n<div class=\"charts\">\n", f);
    line_chart(f, r, 0);
    line_chart(f, r, 1);
    fputs("</div>\n", f);

    const tr_run_eval *e = shown_eval(r);
    if (e && r->n_classes > 0) {
        fputs("<h2>Confusion matrix (", f);
        esc(f, e->name);
        fputs(" model, test set)</h2>\n<p class=\"note\">Rows: true class; columns: predicted class. Shade: the "
              "share of the true class's examples.</p>\n",
              f);
        confusion_table(f, r, e);
        fputs("<h2>Precision and recall per class (", f);
        esc(f, e->name);
        fputs(" model)</h2>\n", f);
        class_bars(f, r, e);
    } else fputs("<h2>Test set</h2>\n<p class=\"note\">No confusion matrix: the model was not evaluated.</p>\n", f);

    model_section(f, r);
    if (r->config) {
        char *s = json_dumps(r->config, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s) {
            fputs("<h2>Configuration</h2>\n<details><summary>config (as in train.json)</summary><pre>", f);
            esc(f, s);
            fputs("</pre></details>\n", f);
            free(s);
        }
    }
    fputs("</body>\n</html>\n", f);
    int err = ferror(f);
    if (fclose(f) != 0 || err) {
        fprintf(stderr, "mote train: %s: write error\n", path);
        return -1;
    }
    return 0;
}
