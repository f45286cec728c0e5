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
        Func<Tensor, Tensor, Tensor> loss, bool forceLoop = false) => Run(model, parameters, inputs, labels, loss, forceLoop, squared: false);

    /// <summary>
    /// <c>Σ_i g_i ⊙ g_i</c> [P], the sum over the batch of the squared per-sample gradients of <paramref name="loss"/>, without the
    /// [B, P] matrix where a layer allows: for a linear layer on [B, in] inputs it is <c>(δ ⊙ δ)ᵀ (a ⊙ a)</c>, one product.
    /// </summary>
    public static (Tensor SquaredSum, PerSampleMethod Method) SquaredSum(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels,
        Func<Tensor, Tensor, Tensor> loss, bool forceLoop = false) => Run(model, parameters, inputs, labels, loss, forceLoop, squared: true);

    private static (Tensor Result, PerSampleMethod Method) Run(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels,
        Func<Tensor, Tensor, Tensor> loss, bool forceLoop, bool squared)
    {
        if (!inputs.shape[1..].SequenceEqual(model.InputShape))
            throw new ArgumentException($"inputs of {string.Join("×", inputs.shape[1..])} for model {model.Spec}, which takes {string.Join("×", model.InputShape)}");
        using var scope = NewDisposeScope();
        Tensor result;
        PerSampleMethod method;
        if (!forceLoop && Owners(model, parameters) is { } owners && TryBatched(model, parameters, owners, inputs, labels, loss, squared, out var batched))
        {
            (result, method) = (batched!, PerSampleMethod.Batched);
        }
        else
        {
            (result, method) = (Loop(model, parameters, inputs, labels, loss, squared), PerSampleMethod.Loop);
        }
        return (result.MoveToOuterDisposeScope(), method);
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
            var loss = lossOf(model.Module.forward(inputs.narrow(0, i, 1)), labels.narrow(0, i, 1)).sum();
            var g = ParameterSelection.Flatten(CurvatureOperatorAccess.Grad(loss, ps));
            if (squared) result.add_(g.square());
            else result[i].copy_(g);
        }
        return result;
    }

    /// <summary>Whether <see cref="Compute(Model, IReadOnlyList{ValueTuple{string, Parameter}}, Tensor, Tensor, bool)"/> takes the loop for these parameters (a layer the batched method does not know, a script).</summary>
    public static bool Loops(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters) => Owners(model, parameters) is null;

    /// <summary>The module owning each parameter, or null if one is not a supported layer.</summary>
    private static (nn.Module Module, string Kind)[]? Owners(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters)
    {
        var modules = model.Module.named_modules().ToDictionary(m => m.name, m => m.module);
        var owners = new (nn.Module, string)[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            string name = parameters[i].Name;
            int dot = name.LastIndexOf('.');
            if (dot < 0 || !modules.TryGetValue(name[..dot], out var module)) return null;
            string kind = name[(dot + 1)..];
            bool supported = module switch
            {
                Linear => true,
                Conv2d c => GemmConvolutions.Supports(c),
                BatchNorm2d => !module.training,
                _ => false,
            };
            if (!supported || kind is not ("weight" or "bias")) return null;
            owners[i] = (module, kind);
        }
        return owners;
    }

    private static bool TryBatched(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, (nn.Module Module, string Kind)[] owners, Tensor inputs, Tensor labels,
        Func<Tensor, Tensor, Tensor> lossOf, bool squared, out Tensor? result)
    {
        result = null;
        var records = new Dictionary<nn.Module, (Tensor Input, Tensor Probe)>(ReferenceEqualityComparer.Instance);
        bool reused = false;
        var removers = new List<Action>();
        foreach (var module in owners.Select(o => o.Module).Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module<Tensor, Tensor>>())
        {
            var remover = module.register_forward_hook((m, input, output) =>
            {
                if (records.ContainsKey(m)) reused = true;
                var probe = zeros_like(output).requires_grad_(true);
                records[m] = (input.detach(), probe);
                return output + probe;
            });
            removers.Add(remover.remove);
        }
        try
        {
            var loss = lossOf(model.Module.forward(inputs), labels).sum();
            if (reused || records.Count != removers.Count) return false;
            var modules = records.Keys.ToArray();
            var deltas = CurvatureOperatorAccess.Grad(loss, modules.Select(m => records[m].Probe).ToArray());
            var delta = new Dictionary<nn.Module, Tensor>(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < modules.Length; i++) delta[modules[i]] = deltas[i];
            long batch = inputs.shape[0];
            long total = parameters.Sum(p => p.Value.numel());
            // One [B, P] allocation, each block written in place: the output is memory-bound, so
            // temporaries the size of a layer's per-sample gradients would double the cost.
            result = squared ? empty([total], inputs.dtype, inputs.device) : empty([batch, total], inputs.dtype, inputs.device);
            long offset = 0;
            for (int i = 0; i < parameters.Count; i++)
            {
                var (module, kind) = owners[i];
                long n = parameters[i].Value.numel();
                var (a, d) = (records[module].Input, delta[module]);
                // Each layer's temporaries freed before the next: kept to the end they added up to a second B × P matrix.
                using var layerScope = NewDisposeScope();
                if (!squared) WriteGradient(module, kind, a, d, result.narrow(1, offset, n));
                else if (module is Linear && a.dim() == 2) result.narrow(0, offset, n).copy_(kind == "bias" ? d.square().sum([0]) : d.square().t().matmul(a.square()).reshape(-1));
                // A convolution's per-sample weight gradients are fresh: squared in place, with no [B, n] copy beside them.
                else if (module is Conv2d conv && kind == "weight") result.narrow(0, offset, n).copy_(ConvWeightGradients(conv, a, d).pow_(2).sum([0]).reshape(-1));
                else
                {
                    using var block = empty([batch, n], inputs.dtype, inputs.device);
                    WriteGradient(module, kind, a, d, block);
                    result.narrow(0, offset, n).copy_(block.square().sum([0]));
                }
                offset += n;
            }
            return true;
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }

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

    /// <summary>
    /// Per-sample weight gradients of a convolution, [B, O, C, kh, kw]:
    /// <c>g_b[o, c, i, j] = Σ_{y,x} δ_b[o, y, x] · a_b[c, s·y + i − p, s·x + j − p]</c>, computed as one grouped
    /// convolution of the inputs (samples as channels) with the output gradients as kernels, dilated by the
    /// stride (Rochette et al. 2019); or unfold + batched GEMM (always for dilated convolutions; see <see cref="ConvByUnfold"/>).
    /// </summary>
    private static Tensor ConvWeightGradients(Conv2d conv, Tensor a, Tensor d)
    {
        long b = a.shape[0], c = a.shape[1], o = d.shape[1], kh = conv.kernel_size[0], kw = conv.kernel_size[1];
        if (conv.dilation[0] != 1 || conv.dilation[1] != 1 || (ConvByUnfold ?? Basin.Native.OneDnn.Enabled != true))
        {
            return d.reshape(b, o, -1).bmm(GemmConvolutions.Patches(conv, a).transpose(1, 2)).reshape(b, o, c, kh, kw);
        }
        var input = a.transpose(0, 1);                                 // [C, B, H, W]: samples become channels
        var kernels = d.reshape(b * o, 1, d.shape[2], d.shape[3]);      // [B·O, 1, Ho, Wo]
        var g = nn.functional.conv2d(input, kernels, padding: [conv.padding![0], conv.padding[1]], dilation: [conv.stride[0], conv.stride[1]], groups: b);
        return g.narrow(2, 0, kh).narrow(3, 0, kw).reshape(c, b, o, kh, kw).permute(1, 2, 0, 3, 4);
    }

    /// <summary>Writes the per-sample gradients of one parameter into <paramref name="destination"/> [B, numel].</summary>
    private static void WriteGradient(nn.Module module, string kind, Tensor a, Tensor d, Tensor destination)
    {
        long b = a.shape[0];
        Tensor left, right;
        switch (module)
        {
            case Linear:
                var d3 = d.reshape(b, -1, d.shape[^1]);
                if (kind == "bias") { destination.copy_(d3.sum(1)); return; }
                (left, right) = (d3.transpose(1, 2), a.reshape(b, -1, a.shape[^1]));
                break;
            case Conv2d conv:
                if (kind == "bias") { destination.copy_(d.sum([2, 3])); return; }
                destination.copy_(ConvWeightGradients(conv, a, d).reshape(b, -1));
                return;
            case BatchNorm2d bn:
                if (kind == "bias") { destination.copy_(d.sum([2, 3])); return; }
                var xhat = (a - bn.running_mean!.view(1, -1, 1, 1)) / (bn.running_var!.view(1, -1, 1, 1) + bn.eps).sqrt();
                destination.copy_((d * xhat).sum([2, 3]));
                return;
            default:
                throw new NotSupportedException(module.GetType().Name);
        }
        // Linear: g_i = δ_iᵀ a_i is as large as the layer; written into row i of the destination in place.
        for (long i = 0; i < b; i++)
        {
            using var row = destination[i].view(left.shape[1], right.shape[2]);
            using var l = left[i];
            using var r = right[i];
            row.addmm_(l, r, beta: 0, alpha: 1);
        }
    }
}

/// <summary>Shares the gradient helper of <see cref="CurvatureOperator"/> with static services.</summary>
internal static class CurvatureOperatorAccess
{
    public static Tensor[] Grad(Tensor output, IReadOnlyList<Tensor> inputs) => CurvatureOperator.Grad(output, inputs);
}
