#!/usr/bin/env python3
"""Rewrite the quantization of tensors in a .tflite file (standard library only).

A flatbuffer's offsets point forward, so every new object goes to the end of
the file: a patched QuantizationParameters table is appended with its vectors
after it and the tensor's field is repointed to it; a field is removed by
giving the tensor a copy of its vtable with that entry cleared (vtables may be
shared between tensors). Nothing else in the file moves.

    patch_model.py --dump MODEL        tensors, their quantization, and the ops
"""
import struct
import sys

# Field numbers of schema.fbs.
MODEL_OPCODES, MODEL_SUBGRAPHS, MODEL_BUFFERS = 1, 2, 4
SG_TENSORS, SG_OPERATORS = 0, 3
T_SHAPE, T_TYPE, T_BUFFER, T_NAME, T_QUANT = 0, 1, 2, 3, 4
Q_SCALE, Q_ZERO_POINT, Q_DETAILS_TYPE, Q_DETAILS, Q_DIM = 2, 3, 4, 5, 6
OP_OPCODE, OP_INPUTS, OP_OUTPUTS = 0, 1, 2
BUF_DATA = 0
TYPES = {0: "FLOAT32", 2: "INT32", 3: "UINT8", 4: "INT64", 7: "INT16", 9: "INT8"}
BUILTINS = {0: "ADD", 1: "AVERAGE_POOL_2D", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 9: "FULLY_CONNECTED",
            14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL", 22: "RESHAPE", 25: "SOFTMAX", 28: "TANH",
            34: "PAD", 40: "MEAN", 44: "UNIDIRECTIONAL_SEQUENCE_LSTM", 114: "QUANTIZE"}
KEEP = object()  # "leave this field as the file has it"


class Model:
    def __init__(self, path):
        self.b = bytearray(open(path, "rb").read())

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.b)

    # -- reading --------------------------------------------------------
    def u32(self, p):
        return struct.unpack_from("<I", self.b, p)[0]

    def vtable(self, t):
        return t - struct.unpack_from("<i", self.b, t)[0]

    def field(self, t, i):
        """Absolute position of field i of the table at t, or 0 when absent."""
        vt = self.vtable(t)
        vlen = struct.unpack_from("<H", self.b, vt)[0]
        if 4 + 2 * i >= vlen:
            return 0
        off = struct.unpack_from("<H", self.b, vt + 4 + 2 * i)[0]
        return t + off if off else 0

    def deref(self, t, i):
        p = self.field(t, i)
        return p + self.u32(p) if p else 0

    def vector(self, t, i, fmt):
        v = self.deref(t, i)
        if not v:
            return None
        n = self.u32(v)
        return list(struct.unpack_from("<%d%s" % (n, fmt), self.b, v + 4))

    def tables(self, t, i):
        v = self.deref(t, i)
        if not v:
            return []
        return [v + 4 + 4 * k + self.u32(v + 4 + 4 * k) for k in range(self.u32(v))]

    def scalar(self, t, i, fmt, default):
        p = self.field(t, i)
        return struct.unpack_from("<" + fmt, self.b, p)[0] if p else default

    def subgraph(self):
        root = self.u32(0)
        return self.tables(root, MODEL_SUBGRAPHS)[0]

    def tensor(self, idx):
        return self.tables(self.subgraph(), SG_TENSORS)[idx]

    def n_tensors(self):
        return len(self.tables(self.subgraph(), SG_TENSORS))

    def name(self, idx):
        s = self.deref(self.tensor(idx), T_NAME)
        return bytes(self.b[s + 4:s + 4 + self.u32(s)]).decode() if s else ""

    def shape(self, idx):
        return self.vector(self.tensor(idx), T_SHAPE, "i") or []

    def dtype(self, idx):
        return TYPES.get(self.scalar(self.tensor(idx), T_TYPE, "b", 0), "?")

    def quant(self, idx):
        """(scale, zero_point, quantized_dimension or None) of a tensor; None when it has no table."""
        q = self.deref(self.tensor(idx), T_QUANT)
        if not q:
            return None
        dim = self.scalar(q, Q_DIM, "i", 0) if self.field(q, Q_DIM) else None
        return self.vector(q, Q_SCALE, "f"), self.vector(q, Q_ZERO_POINT, "q"), dim

    def ops(self):
        """[(builtin name, inputs, outputs)] of subgraph 0."""
        root = self.u32(0)
        codes = []
        for oc in self.tables(root, MODEL_OPCODES):
            code = max(self.scalar(oc, 0, "b", 0), self.scalar(oc, 3, "i", 0))
            codes.append(BUILTINS.get(code, str(code)))
        return [(codes[self.scalar(o, OP_OPCODE, "I", 0)], self.vector(o, OP_INPUTS, "i"),
                 self.vector(o, OP_OUTPUTS, "i")) for o in self.tables(self.subgraph(), SG_OPERATORS)]

    def inputs_of(self, op_name, slot):
        """Tensor indices at input `slot` of every op named op_name, in op order."""
        return [ins[slot] for name, ins, _ in self.ops() if name == op_name and len(ins) > slot and ins[slot] >= 0]

    # -- writing (always at the end) -------------------------------------
    def _pad(self, align, rem=0):
        while len(self.b) % align != rem:
            self.b.append(0)

    def _vector(self, fmt, values):
        size = struct.calcsize("<" + fmt)
        self._pad(max(size, 4), (max(size, 4) - 4) % max(size, 4))  # elements aligned to their size
        at = len(self.b)
        self.b += struct.pack("<I%d%s" % (len(values), fmt), len(values), *values)
        return at

    def _table(self, scalars, offsets):
        """New table: scalars {field: (fmt, value)}, offsets [field] (filled by _point).
        Returns (table position, {field: position of its offset slot})."""
        slots = max(list(scalars) + list(offsets) + [0]) + 1
        layout, pos = {}, 4
        for f in sorted(offsets) + sorted(f for f in scalars if struct.calcsize(scalars[f][0]) == 4):
            layout[f], pos = pos, pos + 4
        for f in sorted(f for f in scalars if struct.calcsize(scalars[f][0]) == 1):
            layout[f], pos = pos, pos + 1
        tsize = (pos + 3) & ~3
        self._pad(4)
        vt = len(self.b)
        entries = [layout.get(f, 0) for f in range(slots)]
        self.b += struct.pack("<HH%dH" % slots, 4 + 2 * slots, tsize, *entries)
        self._pad(4)
        t = len(self.b)
        self.b += bytes(tsize)
        struct.pack_into("<i", self.b, t, t - vt)
        for f, (fmt, v) in scalars.items():
            struct.pack_into("<" + fmt, self.b, t + layout[f], v)
        return t, {f: t + layout[f] for f in offsets}

    def _point(self, slot, target):
        assert target > slot, "flatbuffer offsets point forward"
        struct.pack_into("<I", self.b, slot, target - slot)

    def set_quant(self, idx, scale=KEEP, zero_point=KEEP, dim=KEEP, details_type=None):
        """Give tensor idx a new QuantizationParameters table. KEEP copies the
        current value, None leaves the field out of the new table."""
        old = self.quant(idx) or (None, None, None)
        scale = old[0] if scale is KEEP else scale
        zero_point = old[1] if zero_point is KEEP else zero_point
        dim = old[2] if dim is KEEP else dim
        slot = self.field(self.tensor(idx), T_QUANT)
        assert slot, "tensor %d has no quantization field to repoint" % idx
        scalars, offsets = {}, []
        if dim is not None:
            scalars[Q_DIM] = ("i", dim)
        if scale is not None:
            offsets.append(Q_SCALE)
        if zero_point is not None:
            offsets.append(Q_ZERO_POINT)
        if details_type is not None:
            scalars[Q_DETAILS_TYPE] = ("B", details_type)
            offsets.append(Q_DETAILS)
        q, fields = self._table(scalars, offsets)
        self._point(slot, q)
        if scale is not None:
            self._point(fields[Q_SCALE], self._vector("f", scale))
        if zero_point is not None:
            self._point(fields[Q_ZERO_POINT], self._vector("q", zero_point))
        if details_type is not None:  # an empty CustomQuantization table
            self._point(fields[Q_DETAILS], self._table({}, [])[0])

    def drop_field(self, t, i):
        """Remove field i of the table at t through a private copy of its vtable."""
        vt = self.vtable(t)
        vlen = struct.unpack_from("<H", self.b, vt)[0]
        copy = bytearray(self.b[vt:vt + vlen])
        if 4 + 2 * i < vlen:
            struct.pack_into("<H", copy, 4 + 2 * i, 0)
        self._pad(4)
        at = len(self.b)
        self.b += copy
        struct.pack_into("<i", self.b, t, t - at)

    def drop_quant(self, idx):
        self.drop_field(self.tensor(idx), T_QUANT)

    def set_type_and_data(self, idx, type_code, data):
        """Change a constant tensor's dtype and give its buffer new bytes."""
        t = self.tensor(idx)
        p = self.field(t, T_TYPE)
        assert p, "tensor %d has its dtype by default" % idx
        self.b[p] = type_code
        buf = self.tables(self.u32(0), MODEL_BUFFERS)[self.scalar(t, T_BUFFER, "I", 0)]
        slot = self.field(buf, BUF_DATA)
        assert slot, "tensor %d has no data to replace" % idx
        self._pad(16, 12)  # data 16-byte aligned after its length
        at = len(self.b)
        self.b += struct.pack("<I", len(data)) + data
        self._point(slot, at)

    def const_values(self, idx, fmt):
        """The constant data of tensor idx as a list of fmt elements."""
        t = self.tensor(idx)
        buf = self.tables(self.u32(0), MODEL_BUFFERS)[self.scalar(t, T_BUFFER, "I", 0)]
        data = bytes(self.vector(buf, BUF_DATA, "B"))
        return [v for (v,) in struct.iter_unpack("<" + fmt, data)]

def dump(path):
    m = Model(path)
    for i in range(m.n_tensors()):
        q = m.quant(i)
        if q:
            sc, zp, dim = q
            desc = "scale %s zp %s dim %s" % (
                "-" if sc is None else (len(sc) if len(sc) > 2 else sc),
                "-" if zp is None else (len(zp) if len(zp) > 2 else zp), dim)
        else:
            desc = "no quantization"
        print("%3d %-8s %-18s %s  %s" % (i, m.dtype(i), m.shape(i), m.name(i)[-40:], desc))
    for k, (name, ins, outs) in enumerate(m.ops()):
        print("op %2d %-20s in %s out %s" % (k, name, ins, outs))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        dump(sys.argv[2])
    else:
        sys.exit(__doc__)
