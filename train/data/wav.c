/* WAV files through libsndfile: 16-bit PCM, one channel, one sample rate per dataset. libsndfile reads a
 * RIFF file whose data chunk is cut short without complaint (it plays what is there), so the RIFF chunk
 * list is walked here first and a data chunk longer than the file is an error. */
#include <errno.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* For RIFF/WAVE files: the data chunk must lie within the file. Other files are left to libsndfile. */
static int riff_check(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ds__err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    unsigned char h[12];
    int rc = 0;
    if (fstat(fileno(f), &st) != 0) {
        rc = ds__err(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
    } else if (fread(h, 1, 12, f) != 12) {
        rc = ds__err(err, errlen, "%s: truncated: %lld bytes, too short for a WAV header", path,
                     (long long)st.st_size);
    } else if (!memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WAVE", 4)) {
        long long pos = 12, size = (long long)st.st_size;
        bool data = false;
        while (pos + 8 <= size) {
            unsigned char ch[8];
            if (fseek(f, (long)pos, SEEK_SET) != 0 || fread(ch, 1, 8, f) != 8) break;
            long long len = le32(ch + 4);
            if (!memcmp(ch, "data", 4)) {
                data = true;
                if (len != 0xffffffffLL && pos + 8 + len > size)
                    rc = ds__err(err, errlen, "%s: truncated: the data chunk declares %lld bytes, the file "
                                 "holds %lld", path, len, size - pos - 8);
                break;
            }
            pos += 8 + len + (len & 1);
        }
        if (!data && rc == 0)
            rc = ds__err(err, errlen, "%s: corrupt WAV: no data chunk within its %lld bytes", path, size);
    }
    fclose(f);
    return rc;
}

static const char *subtype_name(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: return "8-bit PCM";
    case SF_FORMAT_PCM_24: return "24-bit PCM";
    case SF_FORMAT_PCM_32: return "32-bit PCM";
    case SF_FORMAT_FLOAT: return "32-bit float";
    case SF_FORMAT_DOUBLE: return "64-bit float";
    case SF_FORMAT_ULAW: return "u-law";
    case SF_FORMAT_ALAW: return "A-law";
    default: return "a compressed or unusual encoding";
    }
}

static SNDFILE *wav_open(const char *path, SF_INFO *info, char *err, size_t errlen)
{
    if (!ds__is_file(path)) {
        ds__err(err, errlen, "%s: cannot open: %s", path, ds__is_dir(path) ? "is a directory" : strerror(errno));
        return NULL;
    }
    if (riff_check(path, err, errlen)) return NULL;
    memset(info, 0, sizeof *info);
    SNDFILE *sf = sf_open(path, SFM_READ, info);
    if (!sf) {
        ds__err(err, errlen, "%s: corrupt or not a sound file: %s", path, sf_strerror(NULL));
        return NULL;
    }
    if ((info->format & SF_FORMAT_SUBMASK) != SF_FORMAT_PCM_16) {
        ds__err(err, errlen, "%s: samples are %s, expected 16-bit PCM", path, subtype_name(info->format));
    } else if (info->channels < 1 || info->samplerate < 1) {
        ds__err(err, errlen, "%s: corrupt WAV: %d channels at %d Hz", path, info->channels, info->samplerate);
    } else if (info->frames < 1) {
        ds__err(err, errlen, "%s: has no samples", path);
    } else {
        return sf;
    }
    sf_close(sf);
    return NULL;
}

/* Reads n frames of c channels; fewer than asked is an error. */
static int read_frames(SNDFILE *sf, const char *path, short *buf, sf_count_t n, char *err, size_t errlen)
{
    sf_count_t got = sf_readf_short(sf, buf, n);
    if (got != n)
        return ds__err(err, errlen, "%s: truncated or corrupt: read %lld of %lld frames%s%s", path,
                       (long long)got, (long long)n, sf_error(sf) ? ": " : "",
                       sf_error(sf) ? sf_strerror(sf) : "");
    return 0;
}

int ds__wav_example(ds_dataset *ds, const char *path, const ds_options *opt, int32_t label, int32_t group,
                    uint8_t split, char *err, size_t errlen)
{
    SF_INFO info;
    SNDFILE *sf = wav_open(path, &info, err, errlen);
    if (!sf) return -1;
    int rc = -1;
    short *buf = NULL;
    int want = opt->sample_rate ? opt->sample_rate : ds->sample_rate;
    if (info.channels != 1) {
        ds__err(err, errlen, "%s: %d channels, expected mono", path, info.channels);
        goto out;
    }
    if (want && info.samplerate != want) {
        ds__err(err, errlen, "%s: sample rate %d Hz, expected %d Hz%s", path, info.samplerate, want,
                opt->sample_rate ? "" : " (the rate of the first file)");
        goto out;
    }
    if (!ds->rank) {
        ds->sample_rate = info.samplerate;
        int len = opt->length > 0 ? opt->length : info.samplerate;
        ds__shape(ds, 2, len, 1, 0);
    }
    sf_count_t take = info.frames < (sf_count_t)ds->dims[0] ? info.frames : (sf_count_t)ds->dims[0];
    if (!(buf = malloc((size_t)take * sizeof *buf))) {
        ds__err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (read_frames(sf, path, buf, take, err, errlen)) goto out;
    int32_t src = ds__source(ds, path);
    float *x = src < 0 ? NULL : ds__add(ds, label, group, split, src, 0);
    if (!x) {
        ds__err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    for (sf_count_t i = 0; i < take; i++) x[i] = (float)buf[i] / 32768.0f;
    rc = 0;
out:
    free(buf);
    sf_close(sf);
    return rc;
}

int ds_read_wav(const char *path, float **samples, size_t *n, int *rate, char *err, size_t errlen)
{
    *samples = NULL;
    *n = 0;
    SF_INFO info;
    SNDFILE *sf = wav_open(path, &info, err, errlen);
    if (!sf) return -1;
    int rc = -1;
    short *buf = NULL;
    float *out = NULL;
    if (info.frames > (sf_count_t)(SIZE_MAX / 4 / (size_t)info.channels) || info.frames > (1LL << 31)) {
        ds__err(err, errlen, "%s: %lld frames is too long", path, (long long)info.frames);
        goto done;
    }
    buf = malloc((size_t)info.frames * (size_t)info.channels * sizeof *buf);
    out = malloc((size_t)info.frames * sizeof *out);
    if (!buf || !out) {
        ds__err(err, errlen, "%s: out of memory", path);
        goto done;
    }
    if (read_frames(sf, path, buf, info.frames, err, errlen)) goto done;
    for (sf_count_t i = 0; i < info.frames; i++) out[i] = (float)buf[i * info.channels] / 32768.0f;
    *samples = out;
    *n = (size_t)info.frames;
    if (rate) *rate = info.samplerate;
    out = NULL;
    rc = 0;
done:
    free(buf);
    free(out);
    sf_close(sf);
    return rc;
}
