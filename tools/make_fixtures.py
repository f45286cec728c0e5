"""Makes the TorchScript fixtures of tests/fixtures/torchscript and their reference values, computed by PyTorch.

Run by hand (its outputs are committed, a few kB each), with any PyTorch, e.g. Debian's python3-torch:
    /usr/bin/python3 tools/make_fixtures.py
Each model takes [N, 1, 28, 28] images and gives 10 logits, so that Basin runs it on Fashion-MNIST. The reference
values are for a fixed batch that both sides compute from a formula, x[n, 0, i, j] = sin(0.37 n + 0.011 (28 i + j)),
labels y[n] = (3 n) mod 10, in float64: the mean cross-entropy, the gradient's norm, the Hessian-vector product with
v[k] = cos(0.1 k) (its norm and v·Hv), and, from the dense Hessian (built column by column from Hessian-vector
products), its trace and top eigenvalue. PyTorch computes them its own way (torch.autograd.functional.hvp); Basin
must match them to float tolerance.
"""
import json
import math
import os

import torch
import torch.nn as nn

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torchscript")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(784, 4)
        self.out = nn.Linear(4, 10)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(self.flatten(x))))


class SmallCnn(nn.Module):
    """A convolution, batch norm (used in eval mode, with non-trivial running statistics), ReLU, pooling, linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.pool = nn.MaxPool2d(4)
        self.out = nn.Linear(2 * 7 * 7, 10)

    def forward(self, x):
        return self.out(torch.flatten(self.pool(torch.relu(self.bn(self.conv(x)))), 1))


class CustomForward(nn.Module):
    """A forward no layer zoo has: a gated skip connection and a learned temperature."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(784, 3)
        self.b = nn.Linear(3, 10)
        self.skip = nn.Linear(784, 10, bias=False)
        self.log_temperature = nn.Parameter(torch.tensor(0.3))

    def forward(self, x):
        z = x.flatten(1)
        h = self.b(torch.sin(self.a(z)))
        gate = torch.sigmoid(h.mean(dim=1, keepdim=True))
        return (h + gate * self.skip(z) * 0.1) * torch.exp(-self.log_temperature)


def batch(n):
    index = torch.arange(n, dtype=torch.float64).view(n, 1, 1, 1)
    pixel = torch.arange(784, dtype=torch.float64).view(1, 1, 28, 28)
    x = torch.sin(0.37 * index + 0.011 * pixel)
    y = (3 * torch.arange(n)) % 10
    return x, y


def references(model, n=16):
    model = model.double().eval()
    params = [p for p in model.parameters()]
    x, y = batch(n)

    def loss_of(*flat):
        out = torch.nn.utils.stateless.functional_call(model, {name: t for (name, _), t in zip(model.named_parameters(), flat)}, (x,))
        return nn.functional.cross_entropy(out, y)

    loss = loss_of(*params)
    grads = torch.autograd.grad(loss, params)
    g = torch.cat([t.reshape(-1) for t in grads])
    size = g.numel()
    v = torch.cos(0.1 * torch.arange(size, dtype=torch.float64))
    vs = []
    offset = 0
    for p in params:
        vs.append(v[offset:offset + p.numel()].view_as(p))
        offset += p.numel()
    _, hv = torch.autograd.functional.hvp(loss_of, tuple(t.detach() for t in params), tuple(vs))
    hv = torch.cat([t.reshape(-1) for t in hv])
    columns = []
    for k in range(size):
        e = torch.zeros(size, dtype=torch.float64)
        e[k] = 1
        es, offset = [], 0
        for p in params:
            es.append(e[offset:offset + p.numel()].view_as(p))
            offset += p.numel()
        _, col = torch.autograd.functional.hvp(loss_of, tuple(t.detach() for t in params), tuple(es))
        columns.append(torch.cat([t.reshape(-1) for t in col]))
    hessian = torch.stack(columns, 1)
    hessian = (hessian + hessian.T) / 2
    eig = torch.linalg.eigvalsh(hessian)
    return {
        "samples": n,
        "parameters": size,
        "loss": loss.item(),
        "gradient_norm": g.norm().item(),
        "hvp_norm": hv.norm().item(),
        "v_dot_hvp": torch.dot(v, hv).item(),
        "hessian_trace": torch.trace(hessian).item(),
        "hessian_top_eigenvalue": eig[-1].item(),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    cnn = SmallCnn()
    with torch.no_grad():
        cnn.bn.running_mean.copy_(torch.tensor([0.05, -0.1]))
        cnn.bn.running_var.copy_(torch.tensor([0.6, 1.7]))
        cnn.bn.weight.copy_(torch.tensor([1.2, 0.8]))
        cnn.bn.bias.copy_(torch.tensor([0.1, -0.05]))
    refs = {}
    for name, model in [("mlp", Mlp()), ("cnn_bn", cnn), ("custom_forward", CustomForward())]:
        model.eval()
        torch.jit.script(model).save(os.path.join(OUT, f"{name}.pt"))
        refs[name] = references(model)
        print(name, refs[name])
    with open(os.path.join(OUT, "references.json"), "w") as f:
        json.dump({"pytorch": torch.__version__, "models": refs}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
