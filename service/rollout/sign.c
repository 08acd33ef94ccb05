/* Keys and signatures of the rollout: the Ed25519 pair in DATA/keys, the
 * manifest text of an artifact and its detached signature. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mote/mote_file.h"
#include "rollout/sign.h"
#include "store/store.h"

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

static int read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return 0;
}

int rollout_keys_load(rollout_keys *k, const char *data_dir, char *err, size_t errlen)
{
    uint8_t *pk = k->pk, *sk = k->sk;
    char dir[1100], kpath[1200], ppath[1200], text[300];
    snprintf(dir, sizeof dir, "%s/keys", data_dir);
    snprintf(kpath, sizeof kpath, "%s/signing.key", dir);
    snprintf(ppath, sizeof ppath, "%s/signing.pub", dir);
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium: initialisation failed");
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (read_small(kpath, text, sizeof text) == 0) {
        /* The key file is the 64-byte libsodium secret key (seed + public key) in hex. */
        size_t n = 0;
        if (sodium_hex2bin(sk, 64, text, strlen(text), " \n", &n, NULL) != 0 || n != 64) {
            snprintf(err, errlen, "%s: not a 128-hex Ed25519 secret key", kpath);
            return -1;
        }
        if (crypto_sign_ed25519_sk_to_pk(pk, sk) != 0) {
            snprintf(err, errlen, "%s: cannot derive the public key", kpath);
            return -1;
        }
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", kpath, strerror(errno));
        return -1;
    } else {
        crypto_sign_keypair(pk, sk);
        to_hex(sk, 64, text);
        strcat(text, "\n");
        if (mote_write_file_atomic(kpath, text, strlen(text), 0600, err, errlen) != 0) return -1;
    }
    /* signing.pub is derived: rewrite it when it is missing or disagrees. */
    char want[66], have[300] = "";
    to_hex(pk, 32, want);
    strcat(want, "\n");
    if (read_small(ppath, have, sizeof have) != 0 || strcmp(have, want) != 0)
        if (mote_write_file_atomic(ppath, want, strlen(want), 0644, err, errlen) != 0) return -1;
    to_hex(pk, 32, k->pk_hex);
    return 0;
}

void rollout_keys_wipe(rollout_keys *k)
{
    sodium_memzero(k->sk, sizeof k->sk);
}

int rollout_manifest(char *out, size_t len, const char *sha256, int64_t size, const char *format,
                     const char *target, const char *model, const char *version, const char *st_in_sha,
                     const char *st_out_sha)
{
    int n = snprintf(out, len,
                     "mote-manifest=1\nartifact_sha256=%s\nsize=%lld\nformat=%s\ntarget=%s\nruntime_abi=%d\n"
                     "model=%s\nversion=%s\nselftest_input_sha256=%s\nselftest_expected_sha256=%s\n",
                     sha256, (long long)size, format, target, MOTE_FILE_VERSION, model, version, st_in_sha,
                     st_out_sha);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

void rollout_sign(const rollout_keys *k, const char *manifest, char sig_hex[129])
{
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const uint8_t *)manifest, strlen(manifest), k->sk);
    to_hex(sig, sizeof sig, sig_hex);
}
