/* report.html of mote automl (automl_report.h). */
#include "automl_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "train_report.h"

#define PW 720 /* the Pareto plot */
#define PH 420
#define PL 64
#define PR 150 /* room for the legends */
#define PT 40
#define PB 50

static int trained(const am_trial *t) { return t->fits && t->epochs > 0; }

/* RAM as a colour from light (least) to dark (most) blue: where the candidates sit between the extremes. */
static void ram_colour(double ram, double lo, double hi, char *out, size_t len)
{
    double u = hi > lo ? (ram - lo) / (hi - lo) : 0.5;
    int r = (int)lrint(198 - 190 * u), g = (int)lrint(219 - 160 * u), b = (int)lrint(239 - 100 * u);
    snprintf(out, len, "#%02x%02x%02x", r, g, b);
}

/* Latency on a log axis: the candidates span two decades and more (an MLP on features against a CNN). */
static void pareto_plot(FILE *f, const am_result *r)
{
    double xlo = INFINITY, xhi = 0, flash_hi = 0, ram_lo = INFINITY, ram_hi = 0, ylo = 1;
    int n = 0;
    for (int i = 0; i < r->n_trials; i++) {
        const am_trial *t = &r->trials[i];
        if (!trained(t) || !(t->ms > 0) || !isfinite(t->val_accuracy)) continue;
        n++;
        xlo = fmin(xlo, t->ms), xhi = fmax(xhi, t->ms), flash_hi = fmax(flash_hi, t->flash);
        ram_lo = fmin(ram_lo, t->ram), ram_hi = fmax(ram_hi, t->ram), ylo = fmin(ylo, t->val_accuracy);
    }
    if (!n) {
        fputs("<p class=\"note\">No trained candidate with a latency estimate: nothing to plot.</p>\n", f);
        return;
    }
    double lx0 = floor(log10(xlo)), lx1 = ceil(log10(xhi));
    if (lx1 <= lx0) lx1 = lx0 + 1;
    double step = ylo < 0.5 ? 0.1 : ylo < 0.8 ? 0.05 : ylo < 0.9 ? 0.02 : 0.01;
    double y0 = floor(ylo / step) * step, y1 = 1;
    if (y1 - y0 < step) y0 = y1 - step;
    double pw = PW - PL - PR, ph = PH - PT - PB;
#define X(ms) (PL + (log10(ms) - lx0) / (lx1 - lx0) * pw)
#define Y(a) (PT + (1 - ((a) - y0) / (y1 - y0)) * ph)
    fprintf(f, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Pareto plot\">\n"
               "<text x=\"%d\" y=\"20\" class=\"t\">Validation accuracy against estimated latency</text>\n",
            PW, PH, PW, PH, PL);
    for (double a = y0; a <= y1 + 1e-9; a += step)
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/><text x=\"%d\" y=\"%.1f\" "
                   "text-anchor=\"end\">%.0f%%</text>\n",
                PL, Y(a), PL + pw, Y(a), PL - 6, Y(a) + 4, 100 * a);
    for (double d = lx0; d <= lx1 + 1e-9; d++)
        for (int m = 1; m <= 5 && d + log10(m) <= lx1 + 1e-9; m += m == 1 ? 1 : 3) {
            double ms = pow(10, d) * m;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/><text x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"middle\">%g</text>\n",
                    X(ms), PT, X(ms), PT + ph, X(ms), PT + ph + 16, ms);
        }
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" class=\"axis\"/><line x1=\"%d\" y1=\"%.1f\" "
               "x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n",
            PL, PT, PL, PT + ph, PL, PT + ph, PL + pw, PT + ph);
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">estimated latency per inference, ms (log)</text>"
               "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\">validation accuracy</text>\n",
            PL + pw / 2, PH - 10, PT + ph / 2);
    /* the front as a staircase: accuracy rises with latency along it */
    int idx[512], k = 0;
    for (int i = 0; i < r->n_trials && k < 512; i++)
        if (r->trials[i].pareto && trained(&r->trials[i]) && r->trials[i].ms > 0) idx[k++] = i;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && r->trials[idx[j - 1]].ms > r->trials[idx[j]].ms; j--) {
            int x = idx[j];
            idx[j] = idx[j - 1], idx[j - 1] = x;
        }
    if (k > 1) {
        fputs("<polyline fill=\"none\" stroke=\"#c62828\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\" points=\"", f);
        double best = -1;
        for (int i = 0; i < k; i++) {
            const am_trial *t = &r->trials[idx[i]];
            if (t->val_accuracy <= best) continue; /* the front on RAM or flash only: not on this plane */
            fprintf(f, "%s%.1f,%.1f", best < 0 ? "" : " ", X(t->ms), Y(t->val_accuracy));
            best = t->val_accuracy;
        }
        fputs("\"/>\n", f);
    }
    for (int pass = 0; pass < 2; pass++) /* the front drawn last, on top */
        for (int i = 0; i < r->n_trials; i++) {
            const am_trial *t = &r->trials[i];
            if (!trained(t) || !(t->ms > 0) || !isfinite(t->val_accuracy) || t->pareto != pass) continue;
            char c[8];
            ram_colour(t->ram, ram_lo, ram_hi, c, sizeof c);
            double rad = 3 + 11 * sqrt(t->flash / (flash_hi > 0 ? flash_hi : 1));
            /* int8 a circle; int4 / mixed weights a diamond of the same area */
            if (t->precision)
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" transform=\"rotate(45 %.1f %.1f)\" ",
                        X(t->ms) - 0.886 * rad, Y(t->val_accuracy) - 0.886 * rad, 1.772 * rad, 1.772 * rad, X(t->ms),
                        Y(t->val_accuracy));
            else fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" ", X(t->ms), Y(t->val_accuracy), rad);
            fprintf(f, "fill=\"%s\" fill-opacity=\"0.85\" stroke=\"%s\" stroke-width=\"%s\"><title>", c,
                    t->pareto ? "#c62828" : "#555", t->pareto ? "2" : "0.6");
            tr_report_esc(f, t->key);
            fprintf(f, ": validation %.2f %%, test %.2f %%, %.3f ms, %.1f KB flash, %.1f KB RAM%s</title></%s>\n",
                    100 * t->val_accuracy, 100 * t->test_int8, t->ms, t->flash / 1024, t->ram / 1024,
                    i == r->best ? " (chosen)" : "", t->precision ? "rect" : "circle");
            if (i == r->best)
                fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"bestl\">chosen</text>\n", X(t->ms) + rad + 3,
                        Y(t->val_accuracy) - rad);
        }
    /* legends: flash by area, RAM by colour, the front by outline */
    int lx = PW - PR + 16;
    fprintf(f, "<text x=\"%d\" y=\"%d\">flash (area)</text>\n", lx, PT + 10);
    for (int q = 1; q <= 3; q++) {
        double fl = flash_hi * q / 3, rad = 3 + 11 * sqrt((double)q / 3);
        fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"%.1f\" fill=\"none\" stroke=\"#555\"/><text x=\"%d\" y=\"%d\">%.0f KB"
                   "</text>\n",
                lx + 14, PT + 10 + 30 * q, rad, lx + 34, PT + 14 + 30 * q, fl / 1024);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\">RAM (colour)</text>\n", lx, PT + 140);
    for (int q = 0; q < 3; q++) {
        char c[8];
        double ram = ram_lo + (ram_hi - ram_lo) * q / 2;
        ram_colour(ram, ram_lo, ram_hi, c, sizeof c);
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%.1f KB"
                   "</text>\n",
                lx + 7, PT + 150 + 22 * q, c, lx + 28, PT + 162 + 22 * q, ram / 1024);
    }
    fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"6\" fill=\"#ddd\" stroke=\"#c62828\" stroke-width=\"2\"/><text x=\"%d\" "
               "y=\"%d\">Pareto front</text>\n<circle cx=\"%d\" cy=\"%d\" r=\"6\" fill=\"#ddd\" stroke=\"#555\"/>"
               "<text x=\"%d\" y=\"%d\">int8 weights</text>\n<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
               "transform=\"rotate(45 %d %d)\" fill=\"#ddd\" stroke=\"#555\"/><text x=\"%d\" y=\"%d\">int4 / mixed</text>\n",
            lx + 14, PT + 230, lx + 28, PT + 234, lx + 14, PT + 254, lx + 28, PT + 258, lx + 9, PT + 273, lx + 14,
            PT + 278, lx + 28, PT + 282);
#undef X
#undef Y
    fputs("</svg>\n", f);
}

static void row(FILE *f, const am_result *r, int i)
{
    const am_trial *t = &r->trials[i];
    fputs("<tr><td class=\"l\">", f);
    tr_report_esc(f, t->key);
    fprintf(f, "</td><td>%.1f</td><td>%.1f</td><td>%.3f</td>", t->flash / 1024, t->ram / 1024, t->ms);
    if (trained(t))
        fprintf(f, "<td>%d</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.0f</td><td class=\"l\">%s%s</td></tr>\n",
                t->epochs, 100 * t->val_accuracy, 100 * t->test_int8, 100 * t->test_float, t->seconds,
                t->pareto ? "front" : "", i == r->best ? " &#183; chosen" : "");
    else {
        fputs("<td></td><td></td><td></td><td></td><td></td><td class=\"l\">", f);
        tr_report_esc(f, !t->fits ? (t->why ? t->why : "does not fit") : "fits; not trained (out of time)");
        fputs("</td></tr>\n", f);
    }
}

static void table(FILE *f, const am_result *r, int front_only)
{
    fputs("<div class=\"scroll\"><table class=\"cm\"><tr><th class=\"l\">candidate</th><th>flash KB</th><th>RAM KB</th>"
          "<th>ms</th><th>epochs</th><th>validation %</th><th>test %</th><th>test float %</th><th>train s</th>"
          "<th class=\"l\"></th></tr>\n",
          f);
    for (int i = 0; i < r->n_trials; i++)
        if (!front_only || r->trials[i].pareto) row(f, r, i);
    fputs("</table></div>\n", f);
}

static void curves(FILE *f, const am_result *r)
{
    int any = 0;
    for (int i = 0; i < r->n_trials; i++) {
        const am_trial *t = &r->trials[i];
        if (!trained(t) || t->precision) continue; /* an int4 / mixed point has its int8 parent's curve */
        any = 1;
        fprintf(f, "<details%s><summary>", t->pareto ? " open" : "");
        tr_report_esc(f, t->key);
        fprintf(f, ": %d epochs, validation %.2f %%%s</summary>\n<div class=\"charts\">\n", t->epochs,
                100 * t->val_accuracy, t->pareto ? " (front)" : "");
        if (t->n_curve > 0) {
            tr_report_curve_svg(f, t->curve, t->n_curve, 0, 0);
            tr_report_curve_svg(f, t->curve, t->n_curve, 0, 1);
        } else fputs("<p class=\"note\">No curve stored (trained by a version that did not keep them).</p>\n", f);
        fputs("</div></details>\n", f);
    }
    if (!any) fputs("<p class=\"note\">No candidate was trained.</p>\n", f);
}

int am_report_write_html(const am_result *r, const am_report_info *info, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mote automl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int n_fit = 0, n_trained = 0, n_front = 0;
    for (int i = 0; i < r->n_trials; i++) {
        n_fit += r->trials[i].fits;
        n_trained += trained(&r->trials[i]);
        n_front += r->trials[i].pareto;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>mote automl: ", f);
    tr_report_esc(f, info->task);
    fputs(" on ", f);
    tr_report_esc(f, info->target);
    fprintf(f, "</title>\n<style>%s td.l,th.l{text-align:left}summary{cursor:pointer;margin:6px 0}</style>\n</head>\n"
               "<body>\n<h1>mote automl: ",
            tr_report_css);
    tr_report_esc(f, info->task);
    fputs(" on ", f);
    tr_report_esc(f, info->target);
    fputs("</h1>\n<p class=\"meta\">data <code>", f);
    tr_report_esc(f, info->data);
    fprintf(f, "</code> &#183; budget %.0f s, %.0f s used &#183; first trained model that fits after %.0f s</p>\n"
               "<p class=\"meta\">%d candidates costed, %d fit the device and the limits, %d trained, %d on the "
               "front; %d read back from automl.db</p>\n",
            info->budget_s, r->seconds, r->first_valid_s, r->n_trials, n_fit, n_trained, n_front, r->resumed);
    if (r->best >= 0) {
        const am_trial *b = &r->trials[r->best];
        fputs("<div class=\"kpis\"><div class=\"kpi\"><b>", f);
        fprintf(f, "%.2f%%</b>test int8 (validation %.2f %%)</div><div class=\"kpi\"><b>%.3f ms</b>estimated latency"
                   "</div><div class=\"kpi\"><b>%.1f KB</b>flash &#183; %.1f KB RAM</div></div>\n<p>Chosen: <code>",
                100 * b->test_int8, 100 * b->val_accuracy, b->ms, b->flash / 1024, b->ram / 1024);
        tr_report_esc(f, b->key);
        fputs("</code> (OUT/best)</p>\n", f);
    }
    fputs("<h2>Pareto plot</h2>\n<p class=\"note\">Each trained candidate: validation accuracy (what the search ranks "
          "on; the test split is reported, never used to choose) against the cost model's latency on the device. "
          "Marker area: flash; colour: RAM; red outline: on the front (accuracy up, latency, RAM and flash down). "
          "Diamonds: int4 or mixed int4/int8 weights from the mixed-precision search, run after the search on the "
          "best int8 front points: their validation accuracy is their parent's less what int4 cost against the "
          "int8 file on the same held-out examples. Hover a marker for its numbers.</p>\n",
          f);
    pareto_plot(f, r);
    fputs("<h2>Pareto front</h2>\n", f);
    table(f, r, 1);
    fputs("<h2>Learning curves</h2>\n<p class=\"note\">Each trained candidate's last training (successive halving "
          "trains a survivor again, longer, from the start). The front's are open.</p>\n",
          f);
    curves(f, r);
    fputs("<h2>Every candidate</h2>\n", f);
    table(f, r, 0);
    fputs("</body>\n</html>\n", f);
    int err = ferror(f);
    if (fclose(f) != 0 || err) {
        fprintf(stderr, "mote automl: %s: write error\n", path);
        return -1;
    }
    return 0;
}
