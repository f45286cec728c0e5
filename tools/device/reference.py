# Device-machine helper (tools/device/check.sh): a scripted torchvision ResNet-18 (1-channel, 10 classes), 512 random training
# rows as tensors, and an independent float64 PyTorch reference of its Hessian on them: the top eigenvalue by power iteration,
# the top five by Lanczos with full reorthogonalisation, Tr H and Tr H² by Hutchinson (z·Hz and ‖Hz‖² of the same Rademacher
# probes). Arguments: [probes] [output json] [power iterations] [lanczos steps].
import json, sys, time, numpy as np, torch, torchvision
arg = lambda i, d: int(sys.argv[i]) if len(sys.argv) > i else d
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
sizes = [p.numel() for p in ps]
loss = torch.nn.functional.cross_entropy(m64(X), Y)
gr = torch.autograd.grad(loss, ps, create_graph=True)
def hvp(v):
    return torch.autograd.grad(gr, ps, grad_outputs=v, retain_graph=True)
def flat_hvp(u):
    return torch.cat([h.reshape(-1) for h in hvp([a.view_as(p) for a, p in zip(u.split(sizes), ps)])])
t0 = time.time()
v = [torch.randn_like(p) for p in ps]; lam = 0.0; it = -1
for it in range(arg(3, 100)):
    n = torch.sqrt(sum((a * a).sum() for a in v)); v = [a / n for a in v]
    hv = hvp(v); new = sum((a * b).sum() for a, b in zip(v, hv)).item()
    if it > 10 and abs(new - lam) < 1e-9 * abs(new): lam = new; break
    lam = new; v = [a.detach() for a in hv]
t1 = time.time()
steps = arg(4, 60); P = sum(sizes)
Q = torch.zeros(steps + 1, P, dtype=torch.float64, device=dev)
q = torch.randn(P, dtype=torch.float64, device=dev, generator=torch.Generator(device=dev).manual_seed(2)); Q[0] = q / q.norm()
alpha, beta = [], []
for j in range(steps):
    w = flat_hvp(Q[j])
    alpha.append(torch.dot(w, Q[j]).item())
    w = w - Q[: j + 1].T @ (Q[: j + 1] @ w); w = w - Q[: j + 1].T @ (Q[: j + 1] @ w)
    b = w.norm().item(); beta.append(b); Q[j + 1] = w / b
T = np.diag(alpha) + np.diag(beta[:-1], 1) + np.diag(beta[:-1], -1)
theta, S = np.linalg.eigh(T)
order = np.argsort(theta)[::-1][:5]
top = [float(theta[i]) for i in order]
resid = [float(abs(beta[-1] * S[-1, i])) for i in order]
del Q
t2 = time.time()
tr, tr2 = [], []
for k in range(arg(1, 200)):
    z = [torch.randint(0, 2, p.shape, device=dev, dtype=p.dtype) * 2 - 1 for p in ps]
    hz = hvp(z)
    tr.append(sum((a * b).sum() for a, b in zip(z, hz)).item()); tr2.append(sum((b * b).sum() for b in hz).item())
tr, tr2 = np.array(tr), np.array(tr2)
se = lambda a: float(a.std(ddof=1) / np.sqrt(len(a)))
out = dict(loss=loss.item(), top_eigenvalue_power=lam, power_iterations=it + 1, lanczos_steps=steps, lanczos_top5=top,
           lanczos_residuals=resid, trace=float(tr.mean()), trace_se=se(tr), trace_sq=float(tr2.mean()), trace_sq_se=se(tr2),
           probes=len(tr), seconds_power=t1 - t0, seconds_lanczos=t2 - t1, seconds_trace=time.time() - t2,
           torch=torch.__version__, params=P)
print(json.dumps(out)); open(sys.argv[2] if len(sys.argv) > 2 else "/tmp/ref.json", "w").write(json.dumps(out))
