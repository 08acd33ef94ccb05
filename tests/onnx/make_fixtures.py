#!/usr/bin/python3
"""Make the ONNX fixtures of tests/onnx: small PyTorch models exported with torch.onnx.export,
each with a reference input and PyTorch's output as raw little-endian float32 (NAME.in.bin,
NAME.out.bin). Needs python3-torch (Debian's torch 1.13); CI does not run this, it reads the
committed files. Run from anywhere: /usr/bin/python3 tests/onnx/make_fixtures.py"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.dirname(os.path.abspath(__file__))


class Cnn(nn.Module):
    """Conv+BN+ReLU (the exporter folds this BN), depthwise, max/avg pool, strided dilated padded
    conv, a standalone BN (MUL+ADD), global average pool, flatten, linear, softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.dw2 = nn.Conv2d(8, 16, 3, padding=1, groups=8)   # depth multiplier 2
        self.bn2 = nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 16, 3, stride=2, padding=2, dilation=2)
        self.c3 = nn.Conv2d(16, 12, 1, stride=1, padding=(0, 1))  # asymmetric-looking explicit pad
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.c1(x)))
        x = F.relu(self.dw(x))
        x = F.max_pool2d(x, 2)
        x = F.avg_pool2d(x, 3, stride=1, padding=1)            # count_include_pad=True
        x = self.dw2(x)
        x = self.bn2(F.max_pool2d(x, 3, stride=1, padding=1))  # BN not after a conv
        x = F.relu(self.c2(x))
        x = F.avg_pool2d(self.c3(x), 2, ceil_mode=False, count_include_pad=False)
        x = F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        return F.softmax(self.fc(x), dim=1)


class Mlp(nn.Module):
    """Gemm, MatMul with a constant weight, BN1d folded into a Gemm, sigmoid, tanh, leaky relu,
    relu6, clip, dropout, a linear layer on 3-D input (MatMul + Add)."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(20, 32)
        self.bn = nn.BatchNorm1d(32)
        self.l2 = nn.Linear(32, 32)
        self.l3 = nn.Linear(32, 24)
        self.w = nn.Parameter(torch.randn(24, 16) * 0.3)
        self.l4 = nn.Linear(16, 8)
        self.l5 = nn.Linear(8, 6)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = torch.sigmoid(self.bn(self.l1(x)))
        x = torch.tanh(self.l2(x))
        x = F.leaky_relu(self.l3(x), 0.1)
        x = self.drop(x)
        x = F.relu6(torch.matmul(x, self.w))
        x = torch.clamp(self.l4(x), -0.5, 0.7)
        return self.l5(x.unsqueeze(1)).squeeze(1)  # 3-D linear: MatMul + Add


class Misc(nn.Module):
    """Concat on channels, broadcast arithmetic with constants, pad, transpose, squeeze,
    unsqueeze, reshape (through the Shape/Gather/Unsqueeze/Concat chain of x.view); three outputs,
    two of them softmax of an image over W and over channels."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.gate = nn.Conv2d(4, 1, 1)
        g = torch.Generator().manual_seed(1)
        self.register_buffer("cb", torch.randn(1, 8, 1, 1, generator=g))
        self.register_buffer("hb", torch.randn(6, 1, generator=g))
        self.register_buffer("wb", torch.rand(8, 1, 1, generator=g) + 0.5)

    def forward(self, x):
        y = self.conv(x)
        z = torch.cat([y, x * 2.0], dim=1)             # [1, 8, 6, 6]
        z = z + self.cb                                # channel broadcast
        z = z - self.hb                                # broadcast over H
        z = z / self.wb
        z = 1.5 - z                                    # constant first
        z = z * torch.sigmoid(self.gate(x))  # [1,1,6,6] activation broadcast
        z = F.pad(z, (1, 2, 0, 1), value=0.25)         # [1, 8, 7, 9]
        z = F.relu(z)
        t = z.permute(0, 2, 3, 1)                      # [1, 7, 9, 8]
        t = t.unsqueeze(1)                             # [1, 1, 7, 9, 8]
        t = t.squeeze(1)
        t = t.reshape(t.size(0), 7, -1)                # [1, 7, 72]
        t = t.transpose(1, 2)                          # [1, 72, 7]
        # three outputs: softmax over W (ONNX order) and over channels (NHWC's last) of an image
        return t.reshape(t.size(0), -1), F.softmax(y, dim=-1), F.softmax(y, dim=1)


class Residual(nn.Module):
    """A residual block (Add of two branches, one a grouped conv), a max pool in ceil mode, then a
    flatten of a 4x4 map into a linear layer (the NCHW flatten order)."""

    def __init__(self):
        super().__init__()
        self.a1 = nn.Conv2d(6, 6, 3, padding=1)
        self.a2 = nn.Conv2d(6, 6, 3, padding=1)
        self.b = nn.Conv2d(6, 6, 1, groups=2)  # grouped: per-group slices and a concatenation
        self.fc = nn.Linear(6 * 4 * 4, 5)

    def forward(self, x):
        y = self.a2(F.relu(self.a1(x))) + self.b(x)
        y = F.relu(y)
        y = F.max_pool2d(y, 3, stride=2, ceil_mode=True)  # ceil mode adds a window: 8 -> 4
        return self.fc(y.view(y.size(0), -1))


class Squeeze11(nn.Module):
    """Attribute-form Squeeze/Unsqueeze (opset 11)."""

    def __init__(self):
        super().__init__()
        self.l = nn.Linear(5, 3)

    def forward(self, x):          # x: [1, 5]
        y = self.l(x).unsqueeze(2).unsqueeze(0)   # [1, 1, 3, 1]
        return torch.sigmoid(y.squeeze(3).squeeze(0) * 3.0)


class Lstm(nn.Module):
    """A forward LSTM over a time-major sequence, then a linear layer on every step."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):          # x: [seq 6, batch 2, 3]
        return self.fc(self.lstm(x)[0])


class Edges(nn.Module):
    """Layout and padding corners: a stride-2 conv on an even size (explicit PAD), average pool
    without counting pads (SAME), a squeeze-excitation gate (Mul by an [N, C, 1, 1] activation),
    Sub and Div of two activations, Concat on H, global max pool; two outputs."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(6, 6, 1)
        self.se1 = nn.Linear(6, 3)
        self.se2 = nn.Linear(3, 6)

    def forward(self, x):                                  # [1, 3, 8, 8]
        y = F.relu(self.c1(x))                             # [1, 6, 4, 4]
        y = F.avg_pool2d(y, 3, stride=1, padding=1, count_include_pad=False)
        g = torch.sigmoid(self.se2(F.relu(self.se1(F.adaptive_avg_pool2d(y, 1).flatten(1)))))
        y = y * g.view(1, 6, 1, 1)
        z = (self.c2(y) - y) / (torch.sigmoid(y) + 0.5)
        z = torch.cat([z, y], dim=2)                       # [1, 6, 8, 4]
        return z, F.adaptive_max_pool2d(z, 1).flatten(1)


MODELS = [
    ("cnn", Cnn, (1, 3, 16, 16), 13),
    ("mlp", Mlp, (1, 20), 13),
    ("misc", Misc, (1, 4, 6, 6), 13),
    ("residual", Residual, (1, 6, 8, 8), 13),
    ("squeeze11", Squeeze11, (1, 5), 11),
    ("lstm", Lstm, (6, 2, 3), 13),
    ("edges", Edges, (1, 3, 8, 8), 13),
]


def main():
    torch.manual_seed(0)
    for name, cls, shape, opset in MODELS:
        m = cls()
        # non-trivial batch norm statistics
        for mod in m.modules():
            if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.data.uniform_(0.5, 1.5)
                mod.bias.data.uniform_(-0.3, 0.3)
        m.eval()
        x = torch.randn(*shape)
        with torch.no_grad():
            y = m(x)
        ys = y if isinstance(y, tuple) else (y,)
        path = os.path.join(OUT, name + ".onnx")
        torch.onnx.export(m, (x,), path, opset_version=opset, input_names=["input"],
                          output_names=["output%d" % i if i else "output" for i in range(len(ys))])
        x.numpy().astype("<f4").tofile(os.path.join(OUT, name + ".in.bin"))
        # all outputs concatenated in order, as `mote run` writes them
        with open(os.path.join(OUT, name + ".out.bin"), "wb") as f:
            for t in ys:
                f.write(t.numpy().astype("<f4").tobytes())
        print(name, "opset", opset, "in", tuple(x.shape), "out", [tuple(t.shape) for t in ys],
              os.path.getsize(path), "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
