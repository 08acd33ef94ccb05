/* The rollout's signing key and what it signs (docs/service.md, "Device
 * protocol"): the Ed25519 key pair in DATA/keys, the manifest text of an
 * artifact and its detached signature. */
#ifndef MOTED_ROLLOUT_SIGN_H
#define MOTED_ROLLOUT_SIGN_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t pk[32], sk[64]; /* libsodium layout */
    char pk_hex[65];
} rollout_keys;

/* Load DATA/keys/signing.key, or make the pair at first start (signing.key
 * 0600 holds the 64-byte secret key in hex; signing.pub, the public key in
 * hex, is rewritten when missing or different). 0, or -1 with a message. */
int rollout_keys_load(rollout_keys *k, const char *data_dir, char *err, size_t errlen);
/* Zero the secret key. */
void rollout_keys_wipe(rollout_keys *k);
/* The manifest text of docs/service.md; -1 when it does not fit out. */
int rollout_manifest(char *out, size_t len, const char *sha256, int64_t size, const char *format,
                     const char *target, const char *model, const char *version, const char *st_in_sha,
                     const char *st_out_sha);
/* Ed25519 over exactly the manifest bytes, as 128 hex. */
void rollout_sign(const rollout_keys *k, const char *manifest, char sig_hex[129]);

#endif
