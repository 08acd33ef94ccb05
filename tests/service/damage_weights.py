#!/usr/bin/env python3
"""damage_weights.py IN.tflite OUT.tflite MODE: a copy of a TFLite model with the
bytes of its largest constant buffer changed, so the file still imports but
computes something else. MODE 'all' flips every byte (the outputs change),
'one' flips the lowest bit of one byte (a different, still plausible model).
Navigation follows the TFLite schema: Model field 4 = buffers, Buffer field 0 = data."""
import struct
import sys


def table_field(b, table, idx):
    """Absolute offset of field idx of the table at `table`, or None if absent."""
    vt = table - struct.unpack_from("<i", b, table)[0]
    vt_len = struct.unpack_from("<H", b, vt)[0]
    if 4 + 2 * idx >= vt_len:
        return None
    off = struct.unpack_from("<H", b, vt + 4 + 2 * idx)[0]
    return table + off if off else None


def deref(b, at):
    return at + struct.unpack_from("<I", b, at)[0]


def main():
    src, dst, mode = sys.argv[1:4]
    b = bytearray(open(src, "rb").read())
    model = deref(b, 0)
    vec = deref(b, table_field(b, model, 4))
    best = (0, 0)
    for i in range(struct.unpack_from("<I", b, vec)[0]):
        buf = deref(b, vec + 4 + 4 * i)
        f = table_field(b, buf, 0)
        if f is None:
            continue
        data = deref(b, f)
        n = struct.unpack_from("<I", b, data)[0]
        if n > best[1]:
            best = (data + 4, n)
    start, n = best
    if n == 0:
        sys.exit("no constant buffer in " + src)
    if mode == "all":
        for i in range(start, start + n):
            b[i] ^= 0x5A
    else:
        b[start + n // 2] ^= 1
    open(dst, "wb").write(b)


main()
