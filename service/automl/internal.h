/* What the files of automl/ share beyond automl.h. */
#ifndef MOTED_AUTOML_INTERNAL_H
#define MOTED_AUTOML_INTERNAL_H

#include "automl/automl.h"
#include "store/store.h"

/* Publish job j's chosen model (job_dir/out/best/model_int8.tflite, as the
 * search's JSON in job_dir/result.json names it) in the model repository with
 * its lineage. *result (owned) gets the job's result document. 0, or -1 with a
 * one-line message in err. */
int automl_publish(moted *m, mote_store *s, const mote_automl_rec *j, const char *job_dir, json_t **result,
                   char *err, size_t errlen);

#endif
