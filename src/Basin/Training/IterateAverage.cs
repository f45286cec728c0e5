using System.Globalization;
using Basin.Data;
using Basin.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>
/// Iterate averaging (Polyak; SWA, Izmailov et al. 2018): the running mean of the weights at the end of every
/// epoch from <see cref="TrainConfig.SwaStart"/> on, which replaces the trained weights when the run finishes;
/// batch-norm statistics are then recomputed for the averaged weights by one pass over the training set
/// (cumulative mean, as <c>torch.optim.swa_utils.update_bn</c>). Seed 002 §5 compares Adam with and without it.
/// </summary>
public sealed class IterateAverage : IDisposable
{
    private readonly Dictionary<string, Tensor> average = new(StringComparer.Ordinal);

    /// <summary>The number of iterates averaged.</summary>
    public int Count { get; private set; }

    /// <summary>Whether the average has replaced the model's weights.</summary>
    public bool Applied { get; private set; }

    /// <summary>The average by parameter name (empty before the first iterate).</summary>
    public IReadOnlyDictionary<string, Tensor> Average => average;

    /// <summary>Adds the model's current weights: <c>ā ← ā + (w − ā)/(n + 1)</c>.</summary>
    public void Add(Model model)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in model.Module.named_parameters())
        {
            if (average.TryGetValue(name, out var a)) a.add_(p.sub(a), alpha: 1.0 / (Count + 1));
            else average[name] = p.detach().clone().DetachFromDisposeScope();
        }
        Count++;
    }

    /// <summary>
    /// Copies the average into <paramref name="model"/> and recomputes its batch-norm statistics on <paramref name="train"/>,
    /// each batch through <paramref name="transform"/> (the training augmentation) when given.
    /// </summary>
    public void ApplyTo(Model model, Dataset train, int batchSize, Func<Tensor, Tensor>? transform = null)
    {
        if (Count == 0) throw new InvalidOperationException("no iterate has been averaged yet");
        using (no_grad())
            foreach (var (name, p) in model.Module.named_parameters()) p.copy_(average[name]);
        Applied = true;
        var norms = model.Module.modules().OfType<BatchNorm>().ToList();
        if (norms.Count == 0) return;
        var device = model.Module.parameters().First().device;
        var momenta = norms.Select(bn => bn.momentum).ToList();
        foreach (var bn in norms) bn.reset_running_stats();
        bool training = model.Module.training;
        model.Module.train();
        using (no_grad())
        {
            int batches = (int)((train.Count + batchSize - 1) / batchSize);
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                // momentum 1/(b+1) makes the running statistics the plain mean over the batches seen.
                foreach (var bn in norms) bn.momentum = 1.0 / (b + 1);
                long start = (long)b * batchSize;
                var x = train.Features.narrow(0, start, Math.Min(batchSize, train.Count - start));
                model.Module.forward((transform is null ? x : transform(x)).to(device));
            }
        }
        for (int i = 0; i < norms.Count; i++) norms[i].momentum = momenta[i];
        model.Module.train(training);
    }

    /// <summary>The state as named tensors and metadata, for checkpoints.</summary>
    public (IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) GetState() =>
        (average, new Dictionary<string, string>
        {
            ["average.count"] = Count.ToString(CultureInfo.InvariantCulture),
            ["average.applied"] = Applied ? "true" : "false",
        });

    /// <summary>Restores <see cref="GetState"/>'s state for <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">The saved average does not match the model or its count.</exception>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata, Model model)
    {
        int count = metadata.TryGetValue("average.count", out var c) && int.TryParse(c, CultureInfo.InvariantCulture, out int n) && n >= 0 ? n
            : throw new InvalidDataException("the checkpoint's iterate average has no valid count");
        var parameters = model.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (count > 0 && (tensors.Count != parameters.Count || tensors.Any(t => !parameters.TryGetValue(t.Key, out var p) || !p.shape.SequenceEqual(t.Value.shape))))
            throw new InvalidDataException("the checkpoint's iterate average does not match the model's parameters");
        if (tensors.Values.Any(t => !t.is_floating_point())) throw new InvalidDataException("the checkpoint's iterate average holds integer values where it keeps floating-point ones");
        if (tensors.Values.Any(t => !isfinite(t).all().item<bool>())) throw new InvalidDataException("the checkpoint's iterate average holds NaN or infinite values");
        Dispose();
        foreach (var (name, t) in tensors) average[name] = t.to(parameters[name].device).clone().DetachFromDisposeScope();
        Count = count;
        Applied = metadata.TryGetValue("average.applied", out var a) && a == "true";
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in average.Values) t.Dispose();
        average.Clear();
    }
}
