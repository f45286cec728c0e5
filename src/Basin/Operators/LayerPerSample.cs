using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// One parameter's per-sample gradients, held as its layer's input <c>a</c> and output gradient <c>δ</c> (the batched method of
/// <see cref="PerSampleGradients"/>), reduced without the [B, n] block where that is cheaper: the squared sum
/// <c>Σ_b g_b ⊙ g_b</c> and the Gram matrix <c>g_bᵀ g_c</c> with the Fisher-Rao terms <c>‖w ⊙ g_b‖²</c>.
/// </summary>
/// <remarks>
/// A linear or convolution weight's gradient is a sum of L outer products, <c>g_b = Σ_l δ_bl p_blᵀ</c> (δ_bl [O] the output
/// gradient at position l, p_bl [I] the input there: the patch of a convolution, L its output positions; L = 1 for a linear
/// layer on [B, I]). Then <c>g_bᵀ g_c = Σ_{l,l′} (δ_bl·δ_cl′)(p_bl·p_cl′)</c>, two Gram matrices of B·L rows, and
/// <c>Σ_b g_b ⊙ g_b = Σ_b Σ_{l≤l′} (2 − [l = l′]) (δ_bl ⊙ δ_bl′)(p_bl ⊙ p_bl′)ᵀ</c>, one product over B·L(L+1)/2 pairs
/// (BackPACK's DiagGGN and the Gram form of Goodfellow's per-example norms, extended to L positions). Each reduction takes this
/// factored form when its multiply-adds are fewer than materialising the gradients' B·O·I values, each written and read again
/// (counted as L + 4 multiply-adds a value); otherwise it materialises blocks of at most <see cref="BlockBytes"/>, output rows
/// at a time. ResNet-18 on 28 × 28 inputs: its last stage (L = 1, 8.4 M of its 11.2 M parameters) is factored.
/// </remarks>
internal readonly record struct LayerPerSample(nn.Module Module, string Kind, Tensor Input, Tensor Delta)
{
    /// <summary>The largest per-sample block materialised at once.</summary>
    public const long BlockBytes = 64L << 20;

    [ThreadStatic]
    private static (bool? Factored, long? BlockBytes) overrides;

    /// <summary>For tests, on this thread: always (true) or never (false) the factored form, and another block size; nulls for the defaults.</summary>
    internal static (bool? Factored, long? BlockBytes) Overrides
    {
        get => overrides;
        set => overrides = value;
    }

    private static long Block => overrides.BlockBytes ?? BlockBytes;

    private long Batch => Input.shape[0];

    /// <summary>The values of the parameter: a batch norm's, a convolution's output channels, a linear layer's output features (its bias), or O × I (a weight).</summary>
    public long Size => Module switch
    {
        BatchNorm2d bn => bn.num_features,
        Conv2d c => Kind == "bias" ? c.out_channels : c.weight!.numel(),
        Linear l => Kind == "bias" ? l.bias!.numel() : l.weight!.numel(),
        _ => throw new NotSupportedException(Module.GetType().Name),
    };

    /// <summary>δ [B, L, O] and p [B, L, I] of a linear or convolution weight (views); null for biases and batch norm.</summary>
    public (Tensor Delta, Tensor Inputs)? Factors() => Deltas() is not { } delta ? null
        : (delta, Module is Conv2d conv ? GemmConvolutions.Patches(conv, Input).transpose(1, 2) : Input.reshape(Batch, -1, Input.shape[^1]));

    /// <summary>δ [B, L, O] of a linear or convolution weight alone (no patches unfolded); null for biases and batch norm.</summary>
    public Tensor? Deltas() => Kind != "weight" ? null : Module switch
    {
        Linear => Delta.reshape(Batch, -1, Delta.shape[^1]),
        Conv2d => Delta.reshape(Batch, Delta.shape[1], -1).transpose(1, 2),
        _ => null,
    };

    /// <summary>Multiply-adds of materialising the B × O × I gradients: L each, and four for writing and reading the value.</summary>
    private static double MaterialiseCost(long b, long l, long o, long i) => (double)b * o * i * (l + 4);

    private static long Pairs(long l) => l * (l + 1) / 2;

    /// <summary><c>Σ_b g_b ⊙ g_b</c>, [n] in the parameter's dtype.</summary>
    public Tensor SquaredSum()
    {
        var factors = Factors();
        if (factors is var (d, p) && (overrides.Factored ?? ((double)Batch * Pairs(d.shape[1]) * d.shape[2] * p.shape[2] <= MaterialiseCost(Batch, d.shape[1], d.shape[2], p.shape[2])
            && Batch * Pairs(d.shape[1]) * (d.shape[2] + p.shape[2]) * Input.element_size() <= 4 * BlockBytes)))
        {
            var (dd, pp) = PairProducts(d, p);
            return dd.reshape(-1, d.shape[2]).t().matmul(pp.reshape(-1, p.shape[2])).reshape(-1);
        }
        var sums = new List<Tensor>();
        foreach (var block in Blocks(factors))
        {
            sums.Add(block.pow_(2).sum([0]));
            block.Dispose();
        }
        return sums.Count == 1 ? sums[0] : cat(sums);
    }

    /// <summary>Adds this parameter's <c>g_bᵀ g_c</c> to <paramref name="gram"/> [B, B] and <c>‖w ⊙ g_b‖²</c> to <paramref name="rao"/> [B] (float64; <paramref name="weights64"/> the parameter's values flattened).</summary>
    public void AddGram(Tensor gram, Tensor rao, Tensor weights64)
    {
        var factors = Factors();
        if (factors is var (d, p))
        {
            long b = Batch, l = d.shape[1], o = d.shape[2], i = p.shape[2];
            double factored = (double)b * Pairs(l) * o * i + (double)(b * l) * (b * l) * (o + i);
            if (overrides.Factored ?? (factored <= MaterialiseCost(b, l, o, i) && (b * l) * (b * l) * 8 <= BlockBytes && b * Pairs(l) * (o + i) * 8 <= 4 * BlockBytes))
            {
                var (d64, p64) = (d.to(ScalarType.Float64), p.to(ScalarType.Float64));
                var (dRows, pRows) = (d64.reshape(b * l, o), p64.reshape(b * l, i));
                gram.add_(dRows.matmul(dRows.t()).mul_(pRows.matmul(pRows.t())).reshape(b, l, b, l).sum([1, 3]));
                var (dd, pp) = PairProducts(d64, p64);
                // ‖w ⊙ g_b‖² = Σ_{l≤l′} (2 − [l = l′]) (δ_bl ⊙ δ_bl′)ᵀ (w ⊙ w) (p_bl ⊙ p_bl′)
                rao.add_(pp.matmul(weights64.view(o, i).square().t()).mul_(dd).sum([1, 2]));
                return;
            }
        }
        long column = 0;
        foreach (var block in Blocks(factors))
        {
            using var b64 = block.to(ScalarType.Float64);
            gram.addmm_(b64, b64.t());
            rao.add_(b64.mul_(weights64.narrow(0, column, b64.shape[1])).pow_(2).sum([1]));
            column += b64.shape[1];
            block.Dispose();
        }
    }

    /// <summary>The products δ_bl ⊙ δ_bl′ [B, pairs, O] and p_bl ⊙ p_bl′ [B, pairs, I] over l ≤ l′, the first doubled off the diagonal (l &lt; l′).</summary>
    private static (Tensor Deltas, Tensor Inputs) PairProducts(Tensor d, Tensor p)
    {
        long l = d.shape[1];
        if (l == 1) return (d.square(), p.square());
        var index = triu_indices(l, l, device: d.device);
        var (first, second) = (index[0], index[1]);
        var dd = d.index_select(1, first).mul_(d.index_select(1, second));
        dd.mul_(where(first.eq(second), 1.0, 2.0).to(d.dtype).view(1, -1, 1));
        return (dd, p.index_select(1, first).mul_(p.index_select(1, second)));
    }

    /// <summary>The per-sample gradients [B, w] in column blocks of at most <see cref="BlockBytes"/> (whole output rows of a weight), in order, from <paramref name="factors"/> (<see cref="Factors"/>, computed once); the caller disposes each.</summary>
    private IEnumerable<Tensor> Blocks((Tensor Delta, Tensor Inputs)? factors)
    {
        long b = Batch;
        if (factors is var (d, p))
        {
            long o = d.shape[2], i = p.shape[2];
            long rows = Math.Max(1, Block / Math.Max(1, b * i * Input.element_size()));
            for (long start = 0; start < o; start += rows)
            {
                long n = Math.Min(rows, o - start);
                yield return d.narrow(2, start, n).transpose(1, 2).bmm(p).reshape(b, n * i);
            }
            yield break;
        }
        var block = empty([b, Size], Input.dtype, Input.device);
        Write(block);
        yield return block;
    }

    /// <summary>
    /// Per-sample weight gradients of a convolution, [B, O, C, kh, kw]:
    /// <c>g_b[o, c, i, j] = Σ_{y,x} δ_b[o, y, x] · a_b[c, s·y + i − p, s·x + j − p]</c>, computed as one grouped
    /// convolution of the inputs (samples as channels) with the output gradients as kernels, dilated by the
    /// stride (Rochette et al. 2019); or unfold + batched GEMM (always for dilated convolutions; see <see cref="PerSampleGradients.ConvByUnfold"/>).
    /// </summary>
    internal static Tensor ConvWeightGradients(Conv2d conv, Tensor a, Tensor d)
    {
        long b = a.shape[0], c = a.shape[1], o = d.shape[1], kh = conv.kernel_size[0], kw = conv.kernel_size[1];
        if (conv.dilation[0] != 1 || conv.dilation[1] != 1 || (PerSampleGradients.ConvByUnfold ?? Basin.Native.OneDnn.Enabled != true))
        {
            return d.reshape(b, o, -1).bmm(GemmConvolutions.Patches(conv, a).transpose(1, 2)).reshape(b, o, c, kh, kw);
        }
        var input = a.transpose(0, 1);                                 // [C, B, H, W]: samples become channels
        var kernels = d.reshape(b * o, 1, d.shape[2], d.shape[3]);      // [B·O, 1, Ho, Wo]
        var g = nn.functional.conv2d(input, kernels, padding: [conv.padding![0], conv.padding[1]], dilation: [conv.stride[0], conv.stride[1]], groups: b);
        return g.narrow(2, 0, kh).narrow(3, 0, kw).reshape(c, b, o, kh, kw).permute(1, 2, 0, 3, 4);
    }

    /// <summary>Writes the per-sample gradients into <paramref name="destination"/> [B, n].</summary>
    public void Write(Tensor destination)
    {
        var (module, kind, a, d) = (Module, Kind, Input, Delta);
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
