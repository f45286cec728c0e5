"""Exports a PyTorch model and the samples it was trained on, exactly as they reach the model, in the forms Basin reads.

Plain PyTorch only (any version with TorchScript; no numpy, no safetensors package). From your own code:

    import sys; sys.path.insert(0, "path/to/basin/tools")
    from export_for_basin import export
    export(model, train_loader, test_loader, "for-basin", samples=2048)

writes for-basin/model.pt (TorchScript: torch.jit.script, or torch.jit.trace on one batch when scripting fails) and
for-basin/data.safetensors (train_x, train_y, test_x, test_y: the first `samples` of each loader, after every transform
the loaders apply, Normalize included), and prints the basin command that measures them:

    basin measure --model torchscript:for-basin/model.pt --data tensors:for-basin/data.safetensors --samples 2048

Use loaders without shuffling (or the rows will not be the same on a second export); a model's outputs must be the
logits of the K classes (a tuple or dict output: export a wrapper that returns the logits).

    /usr/bin/python3 tools/export_for_basin.py --demo OUT

exports a small CNN with batch norm, trained for a few steps on images standardised by Normalize, into OUT, and writes
OUT/reference.json with what PyTorch computes on the exported training samples in float64 (mean cross-entropy, the
gradient's norm, v·Hv and ‖Hv‖ for v[k] = cos(0.1 k), and the dense Hessian's trace and top eigenvalue): the test of
Basin's tensor path compares Basin's numbers with these.
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn

_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors):
    """Writes `tensors` (name -> CPU tensor of float32, float64 or int64) in the safetensors format, atomically."""
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        t = tensor.detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} is not written here (float32, float64, int64)")
        data = bytes(t.numpy().tobytes()) if hasattr(t, "numpy") and _numpy_ok() else _raw_bytes(t)
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def _numpy_ok():
    try:
        import numpy  # noqa: F401  (present with most PyTorch installs; not required)
        return True
    except ImportError:
        return False


def _raw_bytes(t):
    """The little-endian bytes of a contiguous CPU tensor without numpy."""
    fmt = {torch.float32: "f", torch.float64: "d", torch.int64: "q"}[t.dtype]
    values = t.reshape(-1).tolist()
    return struct.pack("<" + fmt * len(values), *values)


def _take(loader, count, name):
    xs, ys, have = [], [], 0
    for batch in loader:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError(f"{name}: each batch must be (inputs, labels)")
        x, y = batch[0], batch[1]
        xs.append(x.detach().cpu())
        ys.append(torch.as_tensor(y).detach().cpu())
        have += len(ys[-1])
        if count and have >= count:
            break
    if not xs:
        raise ValueError(f"{name}: the loader gave no batch")
    x, y = torch.cat(xs), torch.cat(ys)
    if count:
        x, y = x[:count], y[:count]
    if y.dim() != 1:
        raise ValueError(f"{name}: labels must be class indices (N), got shape {tuple(y.shape)}")
    return x.float().contiguous(), y.long().contiguous()


class _Select(nn.Module):
    """The model with one of its outputs: model(x)[key], for a model that returns a tuple, a list or a dict."""

    def __init__(self, model, key):
        super().__init__()
        self.model = model
        self.key = key

    def forward(self, x):
        return self.model(x)[self.key]


def export(model, train_loader, test_loader, out, samples=2048, test_samples=None, output=None):
    """Saves `model` as TorchScript and the first `samples` training (and test) samples as data.safetensors in `out`.

    output: for a model whose forward returns a tuple, list or dict, the index or key of the logits; the saved script
    returns those alone (Basin reads a tuple or list with --output INDEX too, but not a dict)."""
    os.makedirs(out, exist_ok=True)
    if output is not None:
        model = _Select(model, output)
    sampler = getattr(train_loader, "sampler", None)
    if sampler is not None and type(sampler).__name__ == "RandomSampler":
        print("export_for_basin: the training loader shuffles; the exported rows are one draw of it", file=sys.stderr)
    train_x, train_y = _take(train_loader, samples, "train_loader")
    test_x, test_y = _take(test_loader, test_samples or samples, "test_loader")
    was_training = model.training
    model.eval()
    try:
        try:
            scripted = torch.jit.script(model) if output is None else torch.jit.trace(model, train_x[:1])
        except Exception as e:  # scripting fails on dynamic Python; tracing records the ops of one batch
            print(f"export_for_basin: torch.jit.script failed ({type(e).__name__}); tracing instead", file=sys.stderr)
            scripted = torch.jit.trace(model, train_x[:1])
        scripted.save(os.path.join(out, "model.pt"))
    finally:
        model.train(was_training)
    write_safetensors(os.path.join(out, "data.safetensors"), {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y})
    print(f"basin measure --model torchscript:{os.path.join(out, 'model.pt')} --data tensors:{os.path.join(out, 'data.safetensors')} --samples {len(train_y)}")
    return train_x, train_y


# ---- the demo the tests run -------------------------------------------------------------------------------------


class _Images(torch.utils.data.Dataset):
    """Synthetic 1×8×8 images in [0, 1] of 3 classes, standardised by a Normalize step (mean 0.5, std 0.25) as torchvision's."""

    def __init__(self, count, seed):
        g = torch.Generator().manual_seed(seed)
        self.y = torch.randint(0, 3, (count,), generator=g)
        grid = torch.linspace(0, 1, 8)
        pattern = torch.stack([grid.view(1, 8).expand(8, 8), grid.view(8, 1).expand(8, 8), (grid.view(1, 8) - grid.view(8, 1)).abs()])
        self.x = (0.15 * pattern[self.y] + 0.85 * torch.rand(count, 8, 8, generator=g)).unsqueeze(1).clamp(0, 1)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return (self.x[i] - 0.5) / 0.25, int(self.y[i])


class _Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.bn(self.conv(x)))), 1))


def _reference(model, x, y):
    """PyTorch's float64 numbers for the eval-mode network on (x, y)."""
    model = model.double().eval()
    params = [p for p in model.parameters()]
    x = x.double()

    def loss_of(flat):
        chunks, i = [], 0
        for p in params:
            chunks.append(flat[i:i + p.numel()].view_as(p))
            i += p.numel()
        names = [n for n, _ in model.named_parameters()]
        out = torch.func.functional_call(model, dict(zip(names, chunks)), (x,)) if hasattr(torch, "func") else \
            torch.nn.utils.stateless.functional_call(model, dict(zip(names, chunks)), (x,))
        return nn.functional.cross_entropy(out, y)

    w = torch.cat([p.detach().reshape(-1) for p in params])
    n = w.numel()
    loss = loss_of(w).item()
    grad = torch.autograd.functional.jacobian(loss_of, w)
    v = torch.cos(0.1 * torch.arange(n, dtype=torch.float64))
    _, hv = torch.autograd.functional.hvp(loss_of, w, v)
    hessian = torch.autograd.functional.hessian(loss_of, w)
    hessian = 0.5 * (hessian + hessian.T)
    eig = torch.linalg.eigvalsh(hessian)
    return {"samples": len(y), "parameters": n, "loss": loss, "gradient_norm": grad.norm().item(), "vhv": torch.dot(v, hv).item(),
            "hv_norm": hv.norm().item(), "hessian_trace": torch.trace(hessian).item(), "top_eigenvalue": eig[-1].item()}


def _demo(out):
    torch.manual_seed(0)
    train, test = _Images(512, seed=1), _Images(256, seed=2)
    model = _Cnn()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(3))
    for _ in range(2):
        for xb, yb in loader:
            optimiser.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            optimiser.step()
    ordered = torch.utils.data.DataLoader(train, batch_size=100)
    x, y = export(model, ordered, torch.utils.data.DataLoader(test, batch_size=100), out, samples=256)
    reference = _reference(model, x, y)
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
    print(json.dumps(reference))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", metavar="OUT", required=True, help="export the demo CNN and its samples into OUT, with PyTorch's reference values")
    _demo(parser.parse_args().demo)
