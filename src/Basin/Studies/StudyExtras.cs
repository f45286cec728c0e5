using Basin.Data;
using Basin.Estimators;
using Basin.Metrics;
using Basin.Operators;

namespace Basin.Studies;

/// <summary>A model of a study after its metrics: what an extra may read.</summary>
/// <param name="Model">The study's entry for it.</param>
/// <param name="Context">The metric context it was measured with (its shared inputs are still there).</param>
/// <param name="Measured">The measured training samples.</param>
/// <param name="Data">The model's data set, whole (train and test splits).</param>
public sealed record MeasuredModel(StudyModel Model, MetricContext Context, Dataset Measured, DataSplit? Data = null);

/// <summary>
/// One step a study runs on each model after measuring it, adding to its result: the axis of the study
/// decides which (<see cref="IStudyAxis.Extras"/>), so a new axis or a new per-model analysis plugs in here
/// without touching the runner.
/// </summary>
public interface IModelExtra
{
    /// <summary>What it does, for progress bars.</summary>
    string Name { get; }

    /// <summary>The result with this extra's part filled in.</summary>
    ModelResult Apply(ModelResult result, MeasuredModel model);
}

/// <summary>The SLQ nodes and weights of the Hessian, when <c>hessian.spectral_density</c> was measured (for the spectra plot).</summary>
public sealed class DensityExtra : IModelExtra
{
    /// <inheritdoc />
    public string Name => "spectral density";

    /// <inheritdoc />
    public ModelResult Apply(ModelResult result, MeasuredModel model) => model.Context.Has(SpectralDensity.Slq)
        ? result with { Density = model.Context.Get(SpectralDensity.Slq).Nodes().Select(n => new[] { n.Node, n.Weight }).ToList() }
        : result;
}

/// <summary>The training loss on a plane of filter-normalised directions through the weights (11×11 points, 512 samples).</summary>
public sealed class LandscapeExtra : IModelExtra
{
    /// <inheritdoc />
    public string Name => "loss landscape";

    /// <inheritdoc />
    public ModelResult Apply(ModelResult result, MeasuredModel model)
    {
        int seed = model.Model.Config.Seed;
        using var data = model.Measured.Sample(Math.Min(512, model.Measured.Count), seed);
        return result with { Landscape = LossLandscape.Around(model.Context.Model, data, points: 11, radius: 1, seed: seed) };
    }
}

/// <summary>
/// Seed 000 §4.2: Tr H_B and Tr H_B² averaged over up to 16 disjoint batches of 32, 128, 512 samples and
/// the full measured sample (batch size N); the trace is unbiased under sub-sampling, Tr H² is not.
/// </summary>
public sealed class SubsamplingExtra : IModelExtra
{
    /// <inheritdoc />
    public string Name => "sub-sampled curvature";

    /// <inheritdoc />
    public ModelResult Apply(ModelResult result, MeasuredModel model)
    {
        var context = model.Context;
        int n = context.N, seed = model.Model.Config.Seed;
        var rows = new List<SubsamplingRow>();
        foreach (int b in new[] { 32, 128, 512, n }.Where(b => b <= n).Distinct())
        {
            var traces = new RunningStatistics();
            var squares = new RunningStatistics();
            int batches = Math.Min(n / b, 16);
            for (int k = 0; k < batches; k++)
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                var x = context.Samples.Features.narrow(0, k * b, b).to(context.Weights.dtype);
                var y = context.Samples.Labels.narrow(0, k * b, b);
                using var op = new HessianOperator(context.Model, CurvatureData.FromBatch(x, y));
                traces.Add(Hutchinson.Trace(op, new StoppingRule(context.Settings.TraceProbes), seed + k).Value);
                squares.Add(Hutchinson.TraceOfSquare(op, new StoppingRule(context.Settings.TraceProbes), seed + k).Value);
            }
            rows.Add(new SubsamplingRow(b, traces.Mean, traces.StandardError, squares.Mean, squares.StandardError));
        }
        return result with { Subsampling = rows };
    }
}

/// <summary>
/// The model's loss and error on the training images past its <see cref="Training.TrainConfig.TrainPool"/>, which no model
/// of the population trained on (the trust benchmark's second held-out set: ≈ 50 000 images for Fashion-MNIST). Nothing
/// when the model has no pool.
/// </summary>
public sealed class HeldOutExtra : IModelExtra
{
    /// <inheritdoc />
    public string Name => "unseen training images";

    /// <inheritdoc />
    public ModelResult Apply(ModelResult result, MeasuredModel model)
    {
        var config = model.Model.Config;
        int pool = config.TrainPool, validation = config.Validation;
        if (pool == 0 || model.Data is not { } data || pool + validation >= data.Train.Count) return result;
        // The validation split (hyper-parameters are chosen on it) first, then the unseen images that count as test data.
        HeldOutEvaluation? Evaluate(int from, int count)
        {
            if (count == 0) return null;
            using var images = data.Train.Subset(Enumerable.Range(from, count).Select(i => (long)i).ToArray(), $"{data.Train.Name}[{from}:{from + count}]");
            var (loss, error) = Models.Evaluation.Evaluate(model.Context.Model, images, config.EvalBatchSize);
            return new HeldOutEvaluation(images.Count, loss, error);
        }
        return result with { Validation = Evaluate(pool, validation), Unseen = Evaluate(pool + validation, data.Train.Count - pool - validation) };
    }
}
