/* OUT/report.html of `mote automl`: the Pareto plot (validation accuracy against estimated latency, marker
 * area for flash, colour for RAM), the Pareto table, every candidate with its verdict, and each trained
 * trial's learning curve, drawn with `mote train`'s report pieces (train_report.h). Self-contained: inline
 * SVG and CSS, no script, nothing fetched. */
#ifndef MOTE_CLI_AUTOML_REPORT_H
#define MOTE_CLI_AUTOML_REPORT_H

#include "mote/automl.h"

typedef struct {
    const char *data, *task, *target;
    double budget_s;
} am_report_info;

/* 0, or -1 with a message naming the file on stderr. */
int am_report_write_html(const am_result *r, const am_report_info *info, const char *path);

#endif
