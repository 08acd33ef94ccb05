/* The rollout's Prometheus lines: deployments and compile jobs by state
 * (gauges, from the store), device update polls (a counter). */
#include <stdio.h>

#include "rollout/sched.h"

static void write_gauge(FILE *out, const char *name, const char *help, json_t *counts)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    const char *k;
    json_t *v;
    json_object_foreach(counts, k, v) fprintf(out, "%s{state=\"%s\"} %lld\n", name, k, (long long)json_integer_value(v));
}

void moted_rollout_metrics(moted_rollout *r, FILE *out)
{
    json_t *d = mote_store_deployment_counts(r->s), *j = mote_store_job_counts(r->s);
    if (d) write_gauge(out, "mote_deployments", "Deployments by state.", d);
    if (j) write_gauge(out, "mote_jobs", "Compile jobs by state.", j);
    json_decref(d);
    json_decref(j);
    fprintf(out, "# HELP mote_update_polls_total Device update polls.\n# TYPE mote_update_polls_total counter\n"
                 "mote_update_polls_total %llu\n", (unsigned long long)atomic_load(&r->polls));
}
