#!/usr/bin/python3
"""A small CNN trained by PyTorch on the sklearn digits, exported to ONNX, with a labelled folder of the
held-out digits, for the compression issue's ONNX goal: the float import reproduces PyTorch's accuracy and
`mote quantize` keeps it within 1 pp (tests/onnx_digits, docs/onnx.md).

Run with Debian's python3-torch (/usr/bin/python3); writes next to this file:
  digits_cnn.onnx            the trained model (opset 13), input float32 [1, 1, 8, 8] (NCHW), output [1, 10]
  data/NNNN.bin, y_labels.csv   every 4th digit (450): the 64 pixel values 0..16 as bytes, row-major (NCHW
                             with one channel), EEMBC y_labels.csv; the model takes value / 16
                             (mote classify/quantize --from u8 --in-scale 0.0625)
  data/pytorch.json          PyTorch's own accuracy on that folder
Training uses the other 1347 digits; a fixed seed makes the file the same every run on one machine."""
import gzip, json, os
import torch

here = os.path.dirname(os.path.abspath(__file__))
src = os.environ.get("DIGITS", os.path.join(here, "../../../shared/data/sklearn-digits/digits.csv.gz"))
rows = [list(map(int, l.split(","))) for l in gzip.open(src, "rt") if l.strip()]
x = torch.tensor([r[:64] for r in rows], dtype=torch.float32).reshape(-1, 1, 8, 8) / 16.0
y = torch.tensor([r[64] for r in rows])
test = torch.arange(len(rows)) % 4 == 0
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
    torch.nn.Conv2d(16, 16, 3, padding=1, groups=16), torch.nn.ReLU(),   # depthwise
    torch.nn.Conv2d(16, 32, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Dropout(0.2), torch.nn.Linear(32, 10))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
xt, yt = x[~test], y[~test]
for epoch in range(60):
    model.train()
    perm = torch.randperm(len(xt))
    for i in range(0, len(xt), 32):
        b = perm[i:i + 32]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xt[b]), yt[b]).backward()
        opt.step()
model.eval()
with torch.no_grad():
    acc = (model(x[test]).argmax(1) == y[test]).float().mean().item()
torch.onnx.export(model, x[:1], os.path.join(here, "digits_cnn.onnx"), opset_version=13,
                  input_names=["pixels"], output_names=["logits"])
os.makedirs(os.path.join(here, "data"), exist_ok=True)
with open(os.path.join(here, "data", "y_labels.csv"), "w") as f:
    for k, i in enumerate(torch.nonzero(test).flatten().tolist()):
        name = "%04d.bin" % k
        open(os.path.join(here, "data", name), "wb").write(bytes(rows[i][:64]))
        f.write("%s,10,%d\n" % (name, y[i].item()))
json.dump({"pytorch_float_accuracy": acc, "test_digits": int(test.sum())}, open(os.path.join(here, "data", "pytorch.json"), "w"))
print("PyTorch float accuracy on the held-out digits:", acc)
