using Basin.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// A batch's per-sample gradients J [B·C, P] of C loss columns — one for the Fisher's per-sample losses, the C factor columns of
/// the GGN's output Hessian (<see cref="GgnDiagonal.PseudoLosses"/>) — kept as every layer's input and output gradients
/// (<see cref="LayerPerSample"/>), for repeated products <c>J v</c> and <c>Jᵀ u</c> without J: each a forward pass's worth of matrix
/// products, no backward pass.
/// </summary>
/// <remarks>
/// <c>(J v)_bc = g_bcᵀ v = Σ_layers Σ_l δ_bclᵀ V p_bl</c> and <c>Jᵀ u = Σ_bc u_bc g_bc</c>, per layer <c>Σ_b Σ_l (Σ_c u_bc δ_bcl) p_blᵀ</c> —
/// the factored form of the per-sample gradients (Dangel, Kunstner &amp; Hennig 2020, BackPACK). The inputs p are shared by the
/// columns: one <c>P V</c> per layer serves all C, and one <c>[O, B·L] × [B·L, I]</c> product gives <c>Jᵀ u</c>. It holds one input and C
/// output gradients per layer (a weight's unfolded patches: its input k_h·k_w times), where the matrix J holds B·C × P values:
/// 256 samples of a ResNet-18 on 28 × 28 inputs keep 0.1 GB for the Fisher (C = 1) against J's 11.4 GB. A weight whose C·O·I gradient
/// values a sample are fewer than its factors (<see cref="Smaller"/>: a convolution with few channels over many positions) keeps its block
/// of gradients instead, which also costs fewer multiply-adds a product: LeNet-5's GGN product at 2 048 samples went from 165 to 33 ms
/// (docs/benchmarks.md, eighth session). <see cref="ProjectBlock"/> and <see cref="CombineBlock"/> take k vectors in one pass over
/// what is kept: the reads, not the multiply-adds, are most of a product of these thin layers.
/// </remarks>
internal sealed class PerSampleFactors : IDisposable
{
    /// <summary>One parameter: a weight's output gradients δ [B, C, L·O] and inputs p [B·L, I] (contiguous, so a product is one matrix product), or the block [B·C, n] of its per-sample gradients.</summary>
    private readonly record struct Piece(Tensor? Delta, Tensor? Inputs, Tensor? Block, long Batch, long Columns);

    private readonly Piece[] pieces;

    [ThreadStatic]
    private static bool? materialised;

    /// <summary>For tests, on this thread: every weight's gradients materialised (true) or factored (false); null for the smaller of the two.</summary>
    internal static bool? Materialised
    {
        get => materialised;
        set => materialised = value;
    }

    /// <summary>
    /// Whether a weight's C columns of per-sample gradients, C·O·I values a sample, are fewer than its factors, C·L·O output gradients and
    /// L·I inputs (L output positions): then they are kept as the [B·C, O·I] block, which also costs fewer multiply-adds a product (C·O·I
    /// against L·O·I + C·L·O each way). A convolution with few channels over many positions is the case: LeNet-5's first layer keeps 1 500
    /// values a sample for the GGN's ten columns against 66 640 as factors; a linear layer (L = 1) stays factored.
    /// </summary>
    internal static bool Smaller(long columns, long positions, long outputs, long inputs) =>
        (double)columns * outputs * inputs <= (double)positions * (columns * outputs + inputs);

    private PerSampleFactors(Piece[] pieces) => this.pieces = pieces;

    /// <summary>The factors of the per-sample losses' gradients on a batch (C = 1); null where the batched method does not apply (the loop's models, shared layers).</summary>
    public static PerSampleFactors? TryCreate(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels) =>
        TryCreate(model, parameters, inputs, labels, (output, y) => Losses.PerSample(model.Loss, output, y));

    /// <summary>The factors of the gradients of every column of <paramref name="lossOf"/>'s per-sample losses [B] or [B, C]; null where the batched method does not apply.</summary>
    public static PerSampleFactors? TryCreate(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters, Tensor inputs, Tensor labels, Func<Tensor, Tensor, Tensor> lossOf)
    {
        if (PerSampleHooks.Owners(model, parameters) is not { } owners) return null;
        using var scope = NewDisposeScope();
        var deltas = parameters.Select(_ => new List<Tensor>()).ToArray();
        var kept = new Tensor?[parameters.Count];
        bool ran = PerSampleHooks.TryRun(model, owners, inputs, labels, lossOf, columnsAllowed: true, layers =>
        {
            for (int i = 0; i < layers.Length; i++)
            {
                var (delta, input) = Column(layers[i], kept[i] is null);
                deltas[i].Add(delta.DetachFromDisposeScope());
                kept[i] ??= input?.DetachFromDisposeScope();
            }
        });
        if (!ran) return null;
        long b = inputs.shape[0];
        // Columns side by side per sample, in the layout the products read: δ [B, C, L·O], a block [B·C, n].
        var pieces = deltas.Select((columns, i) =>
        {
            long count = columns.Count;
            if (kept[i] is { } p && columns[0].shape is [_, var l, var o] && (Materialised ?? Smaller(count, l, o, p.shape[1])))
            {
                // g_bc = δ_bcᵀ p_b, [O, I] for every sample: one batched product a column, each column's δ freed once read.
                long n = p.shape[1];
                var inputs = p.view(b, l, n);
                var gradients = columns.Select(d =>
                {
                    var g = d.transpose(1, 2).bmm(inputs);
                    d.Dispose();
                    return g;
                }).ToArray();
                var block = stack(gradients, 1).view(b * count, o * n);
                foreach (var g in gradients) g.Dispose();
                p.Dispose();
                return new Piece(null, null, block.DetachFromDisposeScope(), b, count);
            }
            var stacked = stack(columns, 1);
            foreach (var c in columns) c.Dispose();
            return kept[i] is { } factorInputs
                ? new Piece(stacked.view(b, count, -1).DetachFromDisposeScope(), factorInputs, null, b, count)
                : new Piece(null, null, stacked.view(b * count, -1).DetachFromDisposeScope(), b, count);
        }).ToArray();
        return new PerSampleFactors(pieces);
    }

    // One column of one parameter: a weight's δ [B, L, O] with (on the first column) its patches unfolded once, as [B·L, I];
    // else its per-sample gradients [B, n].
    private static (Tensor Delta, Tensor? Inputs) Column(LayerPerSample layer, bool first)
    {
        if (!first && layer.Deltas() is { } delta) return (delta.contiguous(), null);
        if (layer.Factors() is var (d, p)) return (d.contiguous(), p.reshape(-1, p.shape[2]).contiguous());
        var block = empty([layer.Input.shape[0], layer.Size], layer.Input.dtype, layer.Input.device);
        layer.Write(block);
        return (block, null);
    }

    /// <summary><c>J v</c> [B, C] for <paramref name="v"/>, one tensor per parameter.</summary>
    public Tensor Project(IReadOnlyList<Tensor> v) => Sum((piece, i) =>
    {
        var (d, p, block, b, c) = piece;
        if (block is not null) return block.matmul(v[i].reshape(-1)).view(b, c);
        // (J v)_bc = Σ_l δ_bclᵀ V p_bl: the inputs times Vᵀ, one [B·L, O] product shared by the columns, against each δ.
        long o = v[i].shape[0];
        var pv = p!.matmul(v[i].reshape(o, p.shape[1]).t());
        return c == 1 ? pv.mul_(d!.view(pv.shape)).view(b, 1, -1).sum([2]) : bmm(d!, pv.view(b, -1, 1)).view(b, c);
    });

    /// <summary>
    /// <c>J V</c> [B, C, k] for k vectors at once, <paramref name="v"/> one [k, …] tensor per parameter: each layer's inputs and output
    /// gradients are read once for all k (what a product of these thin factors mostly costs), where k products read them k times.
    /// </summary>
    public Tensor ProjectBlock(IReadOnlyList<Tensor> v, long k) => Sum((piece, i) =>
    {
        var (d, p, block, b, c) = piece;
        if (block is not null) return block.matmul(v[i].reshape(k, -1).t()).view(b, c, k);
        // The k matrices side by side as [O·k, I] (row o·k + j is V_j's row o), so that P Vᵀ is [B, L, O, k] and one batched product
        // against δ [B, C, L·O] gives every (b, c, j).
        long o = v[i].shape[1], n = p!.shape[1];
        var stacked = v[i].reshape(k, o, n).transpose(0, 1).reshape(o * k, n);
        return bmm(d!, p.matmul(stacked.t()).view(b, -1, k));
    });

    /// <summary>The sum over the pieces of <paramref name="term"/> (piece, its index), in one dispose scope.</summary>
    private Tensor Sum(Func<Piece, int, Tensor> term)
    {
        using var scope = NewDisposeScope();
        Tensor? sum = null;
        for (int i = 0; i < pieces.Length; i++)
        {
            var t = term(pieces[i], i);
            sum = sum is null ? t : sum.add_(t);
        }
        return sum!.MoveToOuterDisposeScope();
    }

    /// <summary><c>Jᵀ U</c> for <paramref name="u"/> [B, C, k]: one [k, …] tensor per parameter (k rows shaped as <paramref name="like"/>).</summary>
    public Tensor[] CombineBlock(Tensor u, IReadOnlyList<Tensor> like)
    {
        long k = u.shape[2];
        return Each((piece, i) =>
        {
            var (d, p, block, b, c) = piece;
            long[] shape = [k, .. like[i].shape];
            if (block is not null) return u.reshape(b * c, k).t().matmul(block).view(shape);
            // Σ_c δ_bcl u_bcj as [B, L·O, k] = [B·L, O·k], then one [O·k, B·L] × [B·L, I] product: [O, k, I].
            long o = like[i].shape[0];
            var combined = bmm(d!.transpose(1, 2), u).view(-1, o * k).t().matmul(p!);
            return combined.view(o, k, -1).transpose(0, 1).reshape(shape);
        });
    }

    /// <summary><c>Jᵀ u</c> for <paramref name="u"/> [B, C] (or [B] when C = 1), one tensor per parameter shaped as <paramref name="like"/>.</summary>
    public Tensor[] Combine(Tensor u, IReadOnlyList<Tensor> like) => Each((piece, i) =>
    {
        var (d, p, block, b, c) = piece;
        if (block is not null) return u.reshape(1, -1).matmul(block).view(like[i].shape);
        // Σ_b Σ_l (Σ_c u_bc δ_bcl) p_blᵀ: the columns folded by u, then one [O, B·L] × [B·L, I] product.
        long o = like[i].shape[0];
        var folded = c == 1 ? d!.mul(u.reshape(b, 1, 1)) : bmm(u.reshape(b, 1, c), d!);
        return folded.view(-1, o).t().matmul(p!).view(like[i].shape);
    });

    /// <summary><paramref name="part"/> (piece, its index) of every piece, each in a dispose scope of its own.</summary>
    private Tensor[] Each(Func<Piece, int, Tensor> part) =>
        pieces.Select((piece, i) =>
        {
            using var scope = NewDisposeScope();
            return part(piece, i).MoveToOuterDisposeScope();
        }).ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (d, p, block, _, _) in pieces)
        {
            d?.Dispose();
            p?.Dispose();
            block?.Dispose();
        }
    }
}
