/* mote device-sim: the summary at the end: per device (id, profile, active
 * artifact, state) and per request kind (count, errors, latency p50/p99). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_sim.h"

const char *const device_sim_kind_names[K_COUNT] = {"register", "update", "artifact", "status", "telemetry", "other"};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(const kind_stats *k, double q)
{
    if (!k->n) return 0;
    size_t i = (size_t)(q * (double)(k->n - 1) + 0.5);
    return k->us[i] / 1000.0;
}

int device_sim_summary(const sim_opts *o, sim_dev *devs, worker *ws, double secs)
{
    kind_stats all[K_COUNT];
    memset(all, 0, sizeof all);
    for (int k = 0; k < K_COUNT; k++) {
        for (long t = 0; t < o->threads; t++) {
            all[k].count += ws[t].ks[k].count;
            all[k].errors += ws[t].ks[k].errors;
            all[k].n += ws[t].ks[k].n;
        }
        all[k].us = malloc((all[k].n ? all[k].n : 1) * sizeof(uint32_t));
        if (!all[k].us) return 1;
        size_t off = 0;
        for (long t = 0; t < o->threads; t++) {
            if (ws[t].ks[k].n) memcpy(all[k].us + off, ws[t].ks[k].us, ws[t].ks[k].n * sizeof(uint32_t));
            off += ws[t].ks[k].n;
        }
        qsort(all[k].us, all[k].n, sizeof(uint32_t), cmp_u32);
    }
    long registered = 0, running = 0;
    uint64_t inferences = 0, installs = 0, rejects = 0, cuts = 0, resumes = 0;
    json_t *jd = json_array();
    for (long i = 0; i < o->count; i++) {
        sim_dev *d = &devs[i];
        const mote_agent *a = &d->agent;
        registered += a->rec.device_id[0] != 0;
        running += a->active_arena >= 0;
        inferences += a->stats.inferences;
        installs += a->counters.installs;
        rejects += a->counters.rejects;
        resumes += a->counters.resumes;
        cuts += d->dev.cuts;
        json_array_append_new(
            jd, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:i, s:i, s:s}", "name", d->name, "id",
                          a->rec.device_id, "profile", a->rec.profile[0] ? a->rec.profile : d->sp->prof.name,
                          "artifact", mote_agent_active_sha(a), "state", d->state, "inferences",
                          (json_int_t)a->stats.inferences, "installs", (int)a->counters.installs, "rejects",
                          (int)a->counters.rejects, "resumes", (int)a->counters.resumes, "samples_sent",
                          (int)a->counters.samples_sent, "last_error",
                          a->last_error));
    }
    json_t *jr = json_object();
    for (int k = 0; k < K_COUNT; k++)
        json_object_set_new(jr, device_sim_kind_names[k],
                            json_pack("{s:I, s:I, s:f, s:f}", "count", (json_int_t)all[k].count, "errors",
                                      (json_int_t)all[k].errors, "p50_ms", pct_ms(&all[k], 0.5), "p99_ms",
                                      pct_ms(&all[k], 0.99)));
    if (o->json) {
        json_t *root = json_pack("{s:o, s:o, s:{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:f}}", "devices", jd,
                                 "requests", jr, "totals", "devices", (int)o->count, "registered",
                                 (int)registered, "running", (int)running, "inferences", (json_int_t)inferences,
                                 "installs", (json_int_t)installs, "rejects", (json_int_t)rejects,
                                 "downloads_cut", (json_int_t)cuts, "resumes", (json_int_t)resumes, "seconds", secs);
        char *s = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
        json_decref(root);
        if (!s) return 1;
        puts(s);
        free(s);
    } else {
        printf("%-12s %-20s %-16s %-10s %-64s %s\n", "name", "id", "profile", "state", "artifact", "inferences");
        for (long i = 0; i < o->count; i++) {
            const mote_agent *a = &devs[i].agent;
            printf("%-12s %-20s %-16s %-10s %-64s %llu\n", devs[i].name, a->rec.device_id[0] ? a->rec.device_id : "-",
                   a->rec.profile[0] ? a->rec.profile : devs[i].sp->prof.name, devs[i].state,
                   mote_agent_active_sha(a)[0] ? mote_agent_active_sha(a) : "-",
                   (unsigned long long)a->stats.inferences);
        }
        printf("\n%-10s %9s %7s %9s %9s\n", "request", "count", "errors", "p50 ms", "p99 ms");
        for (int k = 0; k < K_COUNT; k++)
            printf("%-10s %9llu %7llu %9.2f %9.2f\n", device_sim_kind_names[k], (unsigned long long)all[k].count,
                   (unsigned long long)all[k].errors, pct_ms(&all[k], 0.5), pct_ms(&all[k], 0.99));
        printf("\n%ld devices, %ld registered, %ld running a model; %llu inferences, %llu installs, %llu rejected, "
               "%llu downloads cut, %llu resumed; %.1f s\n",
               o->count, registered, running, (unsigned long long)inferences, (unsigned long long)installs,
               (unsigned long long)rejects, (unsigned long long)cuts, (unsigned long long)resumes, secs);
        json_decref(jd);
        json_decref(jr);
    }
    for (int k = 0; k < K_COUNT; k++) free(all[k].us);
    return registered == o->count ? 0 : 1;
}
