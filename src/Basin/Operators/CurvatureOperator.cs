using Basin.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>How a curvature operator treats the model.</summary>
/// <param name="Layer">Only the parameters of this layer (name prefix, e.g. <c>1</c> or <c>layer2.0.conv1</c>); null for all.</param>
/// <param name="TrainModeBatchNorm">Evaluate batch norm in train mode (batch statistics) instead of eval mode.</param>
public sealed record OperatorOptions(string? Layer = null, bool TrainModeBatchNorm = false);

/// <summary>
/// A curvature matrix of a model's loss over its (selected) parameters, bound to data: the base class
/// owns the data loop, the weighting <c>n_b / N</c>, the flattening and the train/eval mode; a subclass
/// writes only the per-batch product (the batch mean of its per-sample curvature times v).
/// </summary>
public abstract partial class CurvatureOperator : ILinearOperator, IDisposable
{
    /// <summary>Binds the operator to a model and data.</summary>
    protected CurvatureOperator(Model model, CurvatureData data, OperatorOptions? options)
    {
        Model = model;
        Data = data;
        Options = options ?? new OperatorOptions();
        var selected = ParameterSelection.Select(model.Module, Options.Layer);
        ParameterNames = selected.Select(p => p.Name).ToArray();
        Parameters = selected.Select(p => p.Value).ToArray();
        Dimension = Parameters.Sum(p => p.numel());
        var first = Parameters[0];
        if (!Parameters.All(p => p.dtype == first.dtype && p.device.type == first.device.type))
            throw new ArgumentException("all parameters of the model must share dtype and device");
        // libtorch aborts the process on mismatched shapes: check before the first forward.
        if (!data.SampleShape.SequenceEqual(model.InputShape))
            throw new ArgumentException($"data samples are {string.Join("×", data.SampleShape)} but model {model.Spec} takes {string.Join("×", model.InputShape)}");
        DType = first.dtype;
        Device = first.device;
    }

    /// <summary>The model.</summary>
    public Model Model { get; }

    /// <summary>The data.</summary>
    public CurvatureData Data { get; }

    /// <summary>The options.</summary>
    public OperatorOptions Options { get; }

    /// <summary>Names of the selected parameters, in order.</summary>
    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>The selected parameters, in order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The selected parameters with their names, as the per-sample methods (<see cref="PerSampleGradients"/>) take them.</summary>
    internal (string Name, Parameter Value)[] NamedParameters => ParameterNames.Zip(Parameters, (n, p) => (n, p)).ToArray();

    /// <inheritdoc />
    public long Dimension { get; }

    /// <inheritdoc />
    public ScalarType DType { get; }

    /// <inheritdoc />
    public Device Device { get; }

    /// <inheritdoc />
    public long Products { get; private set; }

    /// <summary>
    /// Whether products reuse per-batch state (graphs, per-sample gradients) built by the first product, with batch norm
    /// in eval mode: always for a single batch; for data streamed in several batches when every batch's graph fits in
    /// what <see cref="GraphMemory"/> has left (decided at the first product). The state is rebuilt if the weights change.
    /// A cached product is one backward through the kept graph instead of a forward, a first backward and that backward.
    /// </summary>
    protected bool Caches => !Options.TrainModeBatchNorm && (Data.IsSingleBatch || reservedBytes > 0);

    private long reservedBytes;

    /// <summary>The bytes this operator reserved for its cached graphs (0 for one batch whose graphs are not GEMM-form, or none kept).</summary>
    protected long ReservedBytes => reservedBytes;
    private bool reservationTried, gemmForm;

    /// <summary>Whether this operator keeps the state of every batch of streamed data (see <see cref="Caches"/>).</summary>
    public bool CachesEveryBatch => !Data.IsSingleBatch && Caches;

    /// <summary>
    /// The model's outputs on <paramref name="inputs"/>, for a graph a subclass differentiates twice. A graph this operator
    /// keeps runs the model's convolutions as GEMMs (<see cref="GemmConvolutions"/>) where that form applies and its larger
    /// graphs fit in what <see cref="GraphMemory"/> has left; a graph built for one product only (streamed data that is not
    /// cached) leaves convolutions to libtorch, whose forward and first backward are cheaper.
    /// </summary>
    protected Tensor GraphForward(Tensor inputs)
    {
        using var gemm = Caches && gemmForm ? GemmConvolutions.Use(Model.Module) : null;
        return Model.Module.forward(inputs);
    }

    private void ReserveGraphMemory()
    {
        reservationTried = true;
        if (Options.TrainModeBatchNorm) return;
        bool gemm = GemmConvolutions.Applies(Device);
        if (Data.IsSingleBatch && !gemm) return;
        if (GraphMemory.GraphBytesPerSample(Model, Data, Device, DType) is not { } perSample) return;
        bool Reserve(long perOne, bool asGemm)
        {
            long bytes = GraphMemory.ReservationBytes(perOne, Data.Count, Data.BatchSize, asGemm);
            if (!GraphMemory.TryReserve(bytes, Device)) return false;
            reservedBytes = bytes;
            return true;
        }
        gemm &= perSample.Unfolded > 0;
        // One batch is always cached, and its convolutions run as GEMMs only where their patches fit too; streamed
        // batches are cached with GEMM-form graphs where those fit, else with libtorch's where those do.
        if (Data.IsSingleBatch) gemmForm = gemm && Reserve(perSample.Unfolded, true);
        else if (!(gemmForm = gemm && Reserve(perSample.Activations + perSample.Unfolded, true))) Reserve(perSample.Activations, false);
    }

    private Tensor? weightsAtCache;
    private long generationAtCache;

    /// <summary>Drops the per-batch state a subclass cached, for every batch (see <see cref="Caches"/>).</summary>
    protected abstract void ResetCache();

    /// <inheritdoc />
    public Tensor Apply(Tensor v)
    {
        this.CheckVector(v);
        return Product(v, 0);
    }

    /// <inheritdoc />
    /// <remarks>Each batch's products come from <see cref="BatchBlockProduct"/>: one pass over its kept per-sample Jacobians where a subclass has them.</remarks>
    public Tensor ApplyBlock(Tensor vectors)
    {
        this.CheckBlock(vectors);
        return Product(vectors, (int)vectors.shape[0]);
    }

    /// <inheritdoc />
    public virtual bool SharesBlocks => false;

    /// <summary>The product with one vector [P] (<paramref name="k"/> = 0) or with each row of a [k, P] block.</summary>
    private Tensor Product(Tensor v, int k)
    {
        Products += Math.Max(k, 1);
        using var scope = NewDisposeScope();
        using var mode = new ModeScope(Model.Module, Options.TrainModeBatchNorm);
        if (!reservationTried) ReserveGraphMemory();
        if (Caches)
        {
            // A cached graph over weights changed in place would give stale products (or make libtorch
            // abort on a version mismatch): compare against the weights the cache was built on, and against
            // the swaps since (a swapped-and-restored weight has its old values but a new version).
            var now = ParameterSelection.Flatten(Parameters.Select(p => p.detach()));
            if (weightsAtCache is not null && (generationAtCache != WeightSwap.Generation || !now.eq(weightsAtCache).all().item<bool>()))
            {
                ResetCache();
                weightsAtCache.Dispose();
                weightsAtCache = null;
            }
            if (weightsAtCache is null) generationAtCache = WeightSwap.Generation;
            weightsAtCache ??= now.clone().DetachFromDisposeScope();
        }
        var parts = k == 0 ? ParameterSelection.Split(v, Parameters) : ParameterSelection.SplitRows(v, Parameters);
        Tensor[]? sum = null;
        long index = 0;
        foreach (var batch in Data.Batches(Device, DType))
        {
            var product = k == 0 ? BatchProduct(batch, parts, index++) : BatchBlockProduct(batch, parts, index++);
            double weight = (double)batch.Count / Data.Count;
            if (sum is null) sum = product.Select(p => p.mul(weight)).ToArray();
            else for (int i = 0; i < sum.Length; i++) sum[i] = sum[i].add(product[i], alpha: weight);
        }
        return (k == 0 ? ParameterSelection.Flatten(sum!) : cat(sum!.Select(p => p.reshape(k, -1)).ToArray(), 1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The batch's products with k vectors, <paramref name="v"/> one [k, …] tensor per parameter: one <see cref="BatchProduct"/> a vector,
    /// unless a subclass shares the work among them.
    /// </summary>
    protected virtual Tensor[] BatchBlockProduct(Batch batch, Tensor[] v, long index)
    {
        long k = v[0].shape[0];
        var rows = Enumerable.Range(0, (int)k).Select(j => BatchProduct(batch, v.Select(p => p[j]).ToArray(), index)).ToArray();
        return Enumerable.Range(0, v.Length).Select(i => stack(rows.Select(r => r[i]).ToArray())).ToArray();
    }

    /// <summary>
    /// The batch mean of the per-sample curvature times <paramref name="v"/> (shaped like the parameters).
    /// <paramref name="index"/> numbers the batch within one pass (0 for a single-batch operator).
    /// </summary>
    protected abstract Tensor[] BatchProduct(Batch batch, Tensor[] v, long index);

    /// <summary>Gradients of a scalar with respect to tensors; zeros where a tensor does not influence it.</summary>
    protected internal static Tensor[] Grad(Tensor output, IReadOnlyList<Tensor> inputs, bool createGraph = false, bool retainGraph = false, Tensor? gradOutput = null)
    {
        var grads = autograd.grad([output], inputs.ToArray(), gradOutput is null ? null : [gradOutput], retain_graph: retainGraph || createGraph, create_graph: createGraph, allow_unused: true);
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++) result[i] = grads[i] is { } g && g.Handle != IntPtr.Zero ? g : zeros_like(inputs[i]);
        return result;
    }

    /// <summary><c>Σ_i a_i · b_i</c> over lists of tensors shaped alike (one per parameter), as a scalar in the graph.</summary>
    protected internal static Tensor Dot(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b)
    {
        var sum = a[0].mul(b[0]).sum();
        for (int i = 1; i < a.Count; i++) sum = sum.add(a[i].mul(b[i]).sum());
        return sum;
    }

    /// <summary>Whether per-batch state is cached or memory reserved for it.</summary>
    internal bool HoldsCache => weightsAtCache is not null || reservedBytes > 0;

    /// <summary>Drops the cached per-batch state (graphs, factors) and its memory reservation, which a later product builds again; true if any was held.</summary>
    public bool ReleaseCache()
    {
        bool held = HoldsCache;
        ResetCache();
        weightsAtCache?.Dispose();
        weightsAtCache = null;
        GraphMemory.Release(reservedBytes);
        (reservedBytes, reservationTried, gemmForm) = (0, false, false);
        return held;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ReleaseCache();
        GC.SuppressFinalize(this);
    }
}
