using Basin.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>How per-sample gradients were computed.</summary>
public enum PerSampleMethod
{
    /// <summary>One forward and one backward pass for the whole batch, gradients assembled per layer from
    /// the layers' inputs and output gradients (the outer-product identity BackPACK uses).</summary>
    Batched,

    /// <summary>A loop of single-sample backward passes (any model; the baseline).</summary>
    Loop,
}

/// <summary>
/// Per-sample gradients <c>g_i = ∇_w ℓ(w; x_i, y_i)</c> as the rows of a matrix <c>[B, P]</c> — the
/// matrix <c>J_t</c> of the Fisher metrics (seed 001 eq. 5).
/// </summary>
/// <remarks>
/// The batched method hooks every layer that owns a selected parameter, records its input <c>a</c> and
/// adds a zero probe to its output; one backward of <c>Σ_i ℓ_i</c> w.r.t. the probes gives each
/// layer's output gradient <c>δ</c>. Then for a linear layer <c>g_i(W) = δ_i a_iᵀ</c>, <c>g_i(b) = δ_i</c>;
/// for a convolution the correlation of a_i with δ_i, all samples at once as one grouped convolution; for batch norm in eval mode
/// <c>g_i(γ) = Σ δ_i ⊙ x̂_i</c>, <c>g_i(β) = Σ δ_i</c>. Models with other parameter-owning layers, shared
/// layers, or batch norm in train mode (where a sample's gradient depends on the whole batch) use the
/// loop.
/// </remarks>
public static class PerSampleGradients
{
    /// <summary>The per-sample gradients of <paramref name="model"/>'s loss on a batch, for the named parameters.</summary>
    public static (Tensor Gradients, PerSampleMethod Method) Compute(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels, bool forceLoop = false) =>
        Compute(model, parameters, inputs, labels, (output, y) => Losses.PerSample(model.Loss, output, y), forceLoop);

    /// <summary>
    /// The per-sample gradients of any per-sample function of the outputs, <paramref name="loss"/>(outputs [b, K], labels [b]) → [b]
    /// (each sample's value may depend only on its own row: the loop calls it one sample at a time).
    /// </summary>
    public static (Tensor Gradients, PerSampleMethod Method) Compute(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels,
        Func<Tensor, Tensor, Tensor> loss, bool forceLoop = false)
    {
        var (result, method) = Run(model, parameters, inputs, labels, loss, forceLoop, Reduction.Matrix, null);
        return (result[0], method);
    }

    /// <summary>
    /// <c>Σ_i g_i ⊙ g_i</c> [P], the sum over the batch of the squared per-sample gradients of <paramref name="loss"/>, without the
    /// [B, P] matrix where a layer allows (<see cref="LayerPerSample.SquaredSum"/>): for a linear layer on [B, in] inputs it is
    /// <c>(δ ⊙ δ)ᵀ (a ⊙ a)</c>, one product. A loss of [b, C] values sums the squares of all C columns' gradients, one backward pass
    /// each through one forward pass.
    /// </summary>
    public static (Tensor SquaredSum, PerSampleMethod Method) SquaredSum(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels,
        Func<Tensor, Tensor, Tensor> loss, bool forceLoop = false)
    {
        var (result, method) = Run(model, parameters, inputs, labels, loss, forceLoop, Reduction.SquaredSum, null);
        return (result[0], method);
    }

    /// <summary>
    /// The Gram matrix <c>g_iᵀ g_j</c> [B, B] of the per-sample gradients of the loss and the Fisher-Rao terms <c>‖w ⊙ g_i‖²</c> [B]
    /// (<paramref name="weights64"/>: the parameters flattened, float64), both float64, accumulated layer by layer
    /// (<see cref="LayerPerSample.AddGram"/>): never the [B, P] matrix where the batched method applies (the loop writes it).
    /// </summary>
    public static (Tensor Gram, Tensor FisherRao, PerSampleMethod Method) Gram(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels,
        Tensor weights64, bool forceLoop = false)
    {
        var (result, method) = Run(model, parameters, inputs, labels, (output, y) => Losses.PerSample(model.Loss, output, y), forceLoop, Reduction.Gram, weights64);
        if (method == PerSampleMethod.Batched) return (result[0], result[1], method);
        using var scope = NewDisposeScope();
        var (gram, rao) = GramInBlocks(result[0], weights64);
        result[0].Dispose();
        return (gram.MoveToOuterDisposeScope(), rao.MoveToOuterDisposeScope(), method);
    }

    /// <summary><c>J Jᵀ</c> and the rows of <c>(J ⊙ w)²</c> summed, in float64, accumulated over column blocks of <paramref name="j"/> [B, P].</summary>
    internal static (Tensor Gram, Tensor FisherRao) GramInBlocks(Tensor j, Tensor weights64, long blockBytes = LayerPerSample.BlockBytes)
    {
        long rows = j.shape[0], columns = j.shape[1];
        long block = Math.Max(1, blockBytes / (8 * Math.Max(1, rows)));
        var gram = zeros([rows, rows], dtype: ScalarType.Float64, device: j.device);
        var rao = zeros([rows], dtype: ScalarType.Float64, device: j.device);
        for (long start = 0; start < columns; start += block)
        {
            using var scope = NewDisposeScope();
            long width = Math.Min(block, columns - start);
            var part = j.narrow(1, start, width).to(ScalarType.Float64);
            gram.add_(part.matmul(part.t()));
            rao.add_(part.mul(weights64.narrow(0, start, width)).pow_(2).sum(1));
        }
        return (gram, rao);
    }

    private enum Reduction { Matrix, SquaredSum, Gram }

    private static (Tensor[] Result, PerSampleMethod Method) Run(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels,
        Func<Tensor, Tensor, Tensor> loss, bool forceLoop, Reduction reduction, Tensor? weights64)
    {
        if (!inputs.shape[1..].SequenceEqual(model.InputShape))
            throw new ArgumentException($"inputs of {string.Join("×", inputs.shape[1..])} for model {model.Spec}, which takes {string.Join("×", model.InputShape)}");
        using var scope = NewDisposeScope();
        if (!forceLoop && PerSampleHooks.Owners(model, parameters) is { } owners)
        {
            long batch = inputs.shape[0], total = parameters.Sum(p => p.Value.numel());
            // One [B, P] allocation, each block written in place: the output is memory-bound, so temporaries the size of a layer's
            // per-sample gradients would double the cost.
            Tensor[] r = reduction switch
            {
                Reduction.Matrix => [empty([batch, total], inputs.dtype, inputs.device)],
                Reduction.SquaredSum => [zeros([total], inputs.dtype, inputs.device)],
                _ => [zeros([batch, batch], ScalarType.Float64, inputs.device), zeros([batch], ScalarType.Float64, inputs.device)],
            };
            Action<LayerPerSample, long, long> reduce = reduction switch
            {
                Reduction.Matrix => (layer, offset, n) => layer.Write(r[0].narrow(1, offset, n)),
                Reduction.SquaredSum => (layer, offset, n) => r[0].narrow(0, offset, n).add_(layer.SquaredSum()),
                _ => (layer, offset, n) => layer.AddGram(r[0], r[1], weights64!.narrow(0, offset, n)),
            };
            if (PerSampleHooks.TryRun(model, owners, inputs, labels, loss, reduction == Reduction.SquaredSum, layers => PerSampleHooks.EachParameter(parameters, layers, reduce)))
            {
                foreach (var t in r) t.MoveToOuterDisposeScope();
                return (r, PerSampleMethod.Batched);
            }
            foreach (var t in r) t.Dispose();
        }
        var looped = Loop(model, parameters, inputs, labels, loss, reduction == Reduction.SquaredSum).MoveToOuterDisposeScope();
        return ([looped], PerSampleMethod.Loop);
    }

    /// <summary>
    /// One backward pass per sample, each gradient written into its row of one preallocated B × P matrix (or, with
    /// <paramref name="squared"/>, its square added into one P-vector): the peak is the result plus one gradient, not a
    /// list of B gradients and their stacked copy.
    /// </summary>
    private static Tensor Loop(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels, Func<Tensor, Tensor, Tensor> lossOf, bool squared)
    {
        var ps = parameters.Select(p => (Tensor)p.Value).ToArray();
        long n = inputs.shape[0], p = ps.Sum(t => t.numel());
        var result = squared ? zeros([p], dtype: ps[0].dtype, device: ps[0].device) : empty([n, p], dtype: ps[0].dtype, device: ps[0].device);
        for (long i = 0; i < n; i++)
        {
            using var inner = NewDisposeScope();
            var losses = lossOf(model.Module.forward(inputs.narrow(0, i, 1)), labels.narrow(0, i, 1));
            long columns = PerSampleHooks.Columns(losses, squared);
            for (long c = 0; c < columns; c++)
            {
                var loss = (losses.dim() == 1 ? losses : losses.select(1, c)).sum();
                var g = ParameterSelection.Flatten(CurvatureOperatorAccess.Grad(loss, ps, retainGraph: c < columns - 1));
                if (squared) result.add_(g.square());
                else result[i].copy_(g);
            }
        }
        return result;
    }

    /// <summary>Whether <see cref="Compute(Model, IReadOnlyList{ValueTuple{string, Parameter}}, Tensor, Tensor, bool)"/> takes the loop for these parameters (a layer the batched method does not know, a script).</summary>
    public static bool Loops(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters) => PerSampleHooks.Owners(model, parameters) is null;

    [ThreadStatic]
    private static bool? convByUnfold;

    /// <summary>
    /// Forces the unfold + batched GEMM form (true) or the grouped convolution (false) on this thread, for the benchmark's
    /// comparison; null for the default: the grouped convolution where oneDNN computes convolutions, unfold + GEMM where
    /// libtorch's own kernels do (100 samples of cnn6 / ResNet-20, one run on 2 cores: grouped 520 / 337 ms against
    /// unfold 615 / 552 ms with oneDNN; 2 047 / 1 289 against 892 / 692 ms without; docs/benchmarks.md).
    /// </summary>
    internal static bool? ConvByUnfold
    {
        get => convByUnfold;
        set => convByUnfold = value;
    }
}

/// <summary>Shares the gradient helper of <see cref="CurvatureOperator"/> with static services.</summary>
internal static class CurvatureOperatorAccess
{
    public static Tensor[] Grad(Tensor output, IReadOnlyList<Tensor> inputs, bool retainGraph = false) => CurvatureOperator.Grad(output, inputs, retainGraph: retainGraph);
}
