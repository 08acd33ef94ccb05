/* cli_estimate (estimate.h). */
#include "estimate.h"

#include <stdio.h>
#include <stdlib.h>

#include "driver/compile_job.h"
#include "target/cost.h"

int cli_estimate(const char *model_path, const char *target, cli_estimate_t *e, char *err, size_t errlen)
{
    compile_job j;
    if (compile_job_open(&j, model_path, target, NULL)) {
        snprintf(err, errlen, "compiling %s for %s failed (above)", model_path, target);
        return -1;
    }
    const int use_c = j.fit_c.fits || !j.fit_mote.fits;
    const mote_footprint *fp = use_c ? &j.c : &j.mote;
    e->fits = use_c ? j.fit_c.fits : j.fit_mote.fits;
    e->flash = (double)(fp->weights_bytes + fp->code_bytes);
    e->ram = (double)(fp->arena_bytes + fp->static_ram_bytes + (fp->stack_bytes ? fp->stack_bytes : (size_t)j.prof.stack_kb * 1024));
    e->ms = -1;
    mote_cost_model cm;
    char note[256], cerr[256];
    if (mote_cost_load_for(&j.prof, &cm, note, sizeof note, cerr, sizeof cerr) == 0) {
        mote_cost_node *nodes = calloc((size_t)j.hm->m.n_nodes + 1, sizeof *nodes);
        if (nodes) e->ms = mote_cost_ms(&cm, mote_cost_estimate(&cm, &j.hm->m, nodes), j.prof.clock_mhz);
        free(nodes);
        mote_cost_free(&cm);
    }
    compile_job_close(&j);
    return 0;
}
