#!/usr/bin/env python3
"""PyTorch side of bench/train_vs_pytorch.sh: the training of train/bench/train_compare.c in PyTorch.

Same files (read here with numpy and gzip), same split, same architecture, same initialisation family,
same optimizer and hyper-parameters, same batch size and epochs; prints the same JSON lines (one per
epoch: wall seconds of the epoch's training, mean train loss and accuracy; a final line with the held-out
loss and accuracy). CPU only, torch.set_num_threads(THREADS).

  train_vs_pytorch.py --dataset mnist|digits --data PATH [--epochs E] [--batch B] [--lr LR] [--seed S]
                      [--threads T] [--test N]

Differences that are not choices of the comparison: tensors are NCHW here and NHWC in mote, so the
flatten before a dense layer orders its inputs differently (a fixed permutation of the dense weights'
columns, drawn from the same Glorot-uniform distribution); the data order and dropout masks come from
each framework's own random numbers.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path, magic):
    with open(path, "rb") as f:
        raw = f.read()
    got = int.from_bytes(raw[0:4], "big")
    if got != magic:
        sys.exit(f"train_vs_pytorch: {path}: magic 0x{got:08x}, expected 0x{magic:08x}")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(magic & 0xFF)]
    start = 4 + 4 * len(dims)
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(dims)


def load(dataset, path):
    """Examples in file order: x float32 [n, 1, h, w], y int64 [n]."""
    if dataset == "mnist":
        x = read_idx(os.path.join(path, "images-idx3-ubyte"), 0x803).astype(np.float32) / 255.0
        y = read_idx(os.path.join(path, "labels-idx1-ubyte"), 0x801).astype(np.int64)
        return x[:, None, :, :], y
    with gzip.open(path, "rt") as f:
        t = np.loadtxt(f, delimiter=",", dtype=np.int64)
    x = t[:, :64].astype(np.float32) / float(np.abs(t[:, :64]).max())   # as ds_load: 1 / largest value (16)
    return x.reshape(-1, 1, 8, 8), t[:, 64]


def permutation(n):
    """The split order of train_compare.c: Fisher-Yates driven by a 64-bit LCG from 2024."""
    order = list(range(n))
    s = 2024
    mask = (1 << 64) - 1
    for i in range(n - 1, 0, -1):
        s = (s * 6364136223846793005 + 1442695040888963407) & mask
        j = (s >> 33) % (i + 1)
        order[i], order[j] = order[j], order[i]
    return np.array(order)


def mnist_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 32, 64), nn.ReLU(), nn.Linear(64, 10))


def digits_cnn():
    # mote's batch norm: running = 0.9 * running + 0.1 * batch (PyTorch's momentum is the other weight).
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16, eps=1e-3, momentum=0.1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32, eps=1e-3, momentum=0.1), nn.ReLU(),
        nn.Flatten(), nn.Dropout(0.25), nn.Linear(4 * 4 * 32, 10))


def glorot(model):
    """Glorot-uniform weights, zero biases (mote's tr_model_init; fans as Keras: k*k*in and k*k*out)."""
    for mod in model.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
            nn.init.zeros_(mod.bias)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", choices=["mnist", "digits"], required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--test", type=int, default=-1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.dataset, a.data)
    n = len(y)
    test = a.test if a.test >= 0 else (2000 if a.dataset == "mnist" else 360)
    order = permutation(n)
    x, y = torch.from_numpy(np.ascontiguousarray(x[order])), torch.from_numpy(np.ascontiguousarray(y[order]))
    ntr = n - test
    xtr, ytr, xte, yte = x[:ntr], y[:ntr], x[ntr:], y[ntr:]

    model = mnist_cnn() if a.dataset == "mnist" else digits_cnn()
    arch = a.dataset + "-cnn"
    glorot(model)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    # mote's Adam: beta1 0.9, beta2 0.999, epsilon 1e-7 (Keras'), no weight decay.
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(a.seed)
    head = {"framework": "torch", "dataset": a.dataset, "arch": arch, "seed": a.seed}
    total = 0.0
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(ntr, generator=gen)
        loss_sum, correct = 0.0, 0
        for b0 in range(0, ntr, a.batch):
            idx = perm[b0:b0 + a.batch]
            xb, yb = xtr[idx], ytr[idx]
            out = model(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += int((out.argmax(1) == yb).sum())
        dt = time.perf_counter() - t0
        total += dt
        print(json.dumps({**head, "epoch": epoch, "seconds": round(dt, 4), "train_loss": round(loss_sum / ntr, 5),
                          "train_accuracy": round(correct / ntr, 5)}), flush=True)
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for b0 in range(0, test, 256):
            out = model(xte[b0:b0 + 256])
            yb = yte[b0:b0 + 256]
            loss_sum += float(nn.functional.cross_entropy(out, yb, reduction="sum"))
            correct += int((out.argmax(1) == yb).sum())
    print(json.dumps({**head, "final": True, "params": params, "threads": a.threads, "epochs": a.epochs,
                      "batch": a.batch, "lr": a.lr, "train_samples": ntr, "test_samples": test,
                      "test_loss": round(loss_sum / test, 5), "test_accuracy": round(correct / test, 5),
                      "seconds": round(total, 3), "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
