# Device-machine helper (tools/device/check.sh): a scripted torchvision ResNet-18 (1-channel, 10 classes), 512 random training
# rows as tensors, and an independent float64 PyTorch reference of its Hessian's top eigenvalue (power iteration) and trace
# (Hutchinson) on them. Arguments: [probes] [output json] [power iterations].
import json, sys, time, numpy as np, torch, torchvision
torch.manual_seed(0)
m = torchvision.models.resnet18(num_classes=10)
m.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
m.eval()
torch.jit.script(m).save("/tmp/r18.pt")
g = torch.Generator().manual_seed(1)
x = torch.randn(512, 1, 28, 28, generator=g); y = torch.randint(0, 10, (512,), generator=g)
xt = torch.randn(256, 1, 28, 28, generator=g); yt = torch.randint(0, 10, (256,), generator=g)
np.savez("/tmp/d.npz", train_x=x.numpy(), train_y=y.numpy(), test_x=xt.numpy(), test_y=yt.numpy())
dev = "cuda" if torch.cuda.is_available() else "cpu"
m64 = m.double().to(dev); X = x.double().to(dev); Y = y.to(dev)
ps = [p for p in m64.parameters()]
loss = torch.nn.functional.cross_entropy(m64(X), Y)
gr = torch.autograd.grad(loss, ps, create_graph=True)
def hvp(v):
    return torch.autograd.grad(gr, ps, grad_outputs=v, retain_graph=True)
t0 = time.time()
v = [torch.randn_like(p) for p in ps]; lam = 0.0; it = -1
for it in range(int(sys.argv[3]) if len(sys.argv) > 3 else 300):
    n = torch.sqrt(sum((a * a).sum() for a in v)); v = [a / n for a in v]
    hv = hvp(v); new = sum((a * b).sum() for a, b in zip(v, hv)).item()
    if it > 10 and abs(new - lam) < 1e-9 * abs(new): lam = new; break
    lam = new; v = [a.detach() for a in hv]
t1 = time.time()
tr = []
for k in range(int(sys.argv[1]) if len(sys.argv) > 1 else 400):
    z = [torch.randint(0, 2, p.shape, device=dev, dtype=p.dtype) * 2 - 1 for p in ps]
    tr.append(sum((a * b).sum() for a, b in zip(z, hvp(z))).item())
tr = np.array(tr)
out = dict(loss=loss.item(), top_eigenvalue_power=lam, power_iterations=it + 1, trace=tr.mean(), trace_se=tr.std(ddof=1) / np.sqrt(len(tr)),
           probes=len(tr), seconds_power=t1 - t0, seconds_trace=time.time() - t1, torch=torch.__version__, params=sum(p.numel() for p in ps))
print(json.dumps(out)); open(sys.argv[2] if len(sys.argv) > 2 else "/tmp/ref.json", "w").write(json.dumps(out))
