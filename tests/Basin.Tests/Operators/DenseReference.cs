using Basin.Models;
using Basin.Operators;
using Basin.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Basin.Tests.Operators;

/// <summary>Dense float64 references computed along independent code paths.</summary>
internal static class DenseReference
{
    /// <summary>The matrix of an operator, column by column from unit vectors.</summary>
    public static Tensor Matrix(ILinearOperator op)
    {
        var columns = new Tensor[op.Dimension];
        for (long j = 0; j < op.Dimension; j++)
        {
            using var e = zeros(op.Dimension, op.DType, op.Device);
            e[j] = tensor(1.0, op.DType);
            columns[j] = op.Apply(e);
        }
        return stack(columns, 1);
    }

    /// <summary>The Hessian row by row: each component of the gradient differentiated on its own.</summary>
    public static Tensor Hessian(Model model, Tensor x, Tensor y)
    {
        var ps = model.Module.parameters().ToArray();
        var loss = Losses.PerSample(model.Loss, model.Module.forward(x), y).mean();
        var g = cat(autograd.grad([loss], ps, retain_graph: true, create_graph: true).Select(t => t.reshape(-1)).ToArray());
        var rows = new Tensor[g.shape[0]];
        for (long i = 0; i < rows.Length; i++)
            rows[i] = cat(autograd.grad([g[i]], ps, retain_graph: true, allow_unused: true).Select((t, k) => (t is null || t.Handle == IntPtr.Zero ? zeros_like(ps[k]) : t).reshape(-1)).ToArray());
        return stack(rows);
    }

    /// <summary>Per-sample Jacobians of the outputs, [N, K, P], by one backward per output.</summary>
    public static Tensor Jacobians(Model model, Tensor x)
    {
        var ps = model.Module.parameters().ToArray();
        var f = model.Module.forward(x);
        var result = new Tensor[f.shape[0]];
        for (long i = 0; i < f.shape[0]; i++)
        {
            var rows = new Tensor[f.shape[1]];
            for (long k = 0; k < f.shape[1]; k++)
                rows[k] = cat(autograd.grad([f[i, k]], ps, retain_graph: true, allow_unused: true).Select((t, q) => (t is null || t.Handle == IntPtr.Zero ? zeros_like(ps[q]) : t).reshape(-1)).ToArray());
            result[i] = stack(rows);
        }
        return stack(result);
    }

    /// <summary>G = (1/N) Σ J_iᵀ (diag p_i − p_i p_iᵀ) J_i for softmax cross-entropy.</summary>
    public static Tensor Ggn(Model model, Tensor x)
    {
        var j = Jacobians(model, x);
        using var noGrad = no_grad();
        var p = nn.functional.softmax(model.Module.forward(x), 1);
        var lambda = diag_embed(p) - p.unsqueeze(2).matmul(p.unsqueeze(1));
        return j.transpose(1, 2).matmul(lambda).matmul(j).mean([0]);
    }

    /// <summary>Relative Frobenius error ‖A − B‖ / ‖B‖.</summary>
    public static double RelativeError(Tensor a, Tensor b) => ((a - b).norm() / b.norm().clamp_min(1e-300)).item<double>();

    /// <summary>A float64 copy of a zoo model.</summary>
    public static Model Float64(string spec, long[] shape, int classes, int seed)
    {
        var model = ModelZoo.Create(spec, shape, classes, seed);
        model.Module.to(ScalarType.Float64);
        return model;
    }

    /// <summary>A tiny CNN with batch norm: conv3×3(1→2) – BN – ReLU – flatten – linear(2·5·5 → 3), float64, BN statistics non-trivial.</summary>
    public static Model TinyCnn(int seed)
    {
        var module = nn.Sequential(("0", nn.Conv2d(1, 2, 3, padding: 1)), ("1", nn.BatchNorm2d(2)), ("2", nn.ReLU()), ("3", nn.Flatten()), ("4", nn.Linear(50, 3)));
        SeededInit.Apply(module, seed);
        module.to(ScalarType.Float64);
        using (no_grad())
        {
            var bn = (TorchSharp.Modules.BatchNorm2d)module.named_modules().First(m => m.name == "1").module;
            bn.running_mean!.copy_(tensor(new[] { 0.1, -0.2 }));
            bn.running_var!.copy_(tensor(new[] { 0.5, 2.0 }));
            bn.weight!.copy_(tensor(new[] { 1.3, 0.7 }));
            bn.bias!.copy_(tensor(new[] { 0.05, -0.1 }));
        }
        return new Model(module, "tiny-cnn", LossKind.CrossEntropy, "test model") { InputShape = [1, 5, 5], Outputs = 3 };
    }

    /// <summary>Seeded float64 inputs and labels.</summary>
    public static (Tensor X, Tensor Y) Batch(long n, long[] shape, int classes, int seed)
    {
        using var g = new Generator((ulong)seed);
        var x = randn([n, .. shape], ScalarType.Float64, generator: g);
        var y = randint(0, classes, [n], ScalarType.Int64, generator: g);
        return (x, y);
    }
}
