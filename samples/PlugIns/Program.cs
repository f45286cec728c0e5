// A step method, a study axis and a metric of your own, each one class and one Register call, run together as a
// study by Basin's own runner and report (exit code 1 if flooding did not hold the training loss near its level).
//   dotnet run -c Release --project samples/PlugIns
using Basin.Data;
using Basin.Metrics;
using Basin.Native;
using Basin.Studies;
using Basin.Training;
using static TorchSharp.torch;

TorchRuntime.Initialize();
StepMethodRegistry.Register(Flooding.Info);
StudyAxes.Register(new FloodLevelAxis());
MetricRegistry.Register(new LossQuantile());

// The axis builds its population through the same StudyAxes.Build that `basin study AXIS` calls for Basin's own axes.
var spec = StudyAxes.Build("flood-level", "quick", "mixture:d=10,k=3,n=600", "mlp:10-64-3", seeds: 1);
string folder = Path.Combine(Path.GetTempPath(), $"basin-plugins-{Environment.ProcessId}");
try
{
    var results = StudyRunner.Run(spec, folder);
    StudyReport.Write(spec, results, folder);
    foreach (var r in results)
        Console.WriteLine($"{r.Name,-22} train loss {r.TrainLoss:F3}  {LossQuantile.MetricId} {r.Value(LossQuantile.MetricId):F3}  test error {100 * r.TestError:F1}%");
    // Flooding (Ishida et al. 2020) descends above b and ascends below it: the training loss ends near b, plain training below it.
    double plain = results[0].TrainLoss;
    bool ok = results.Skip(1).All(r => Math.Abs(r.TrainLoss - Level(r)) < 0.5 * Level(r) && r.TrainLoss > plain)
        && File.ReadAllText(Path.Combine(folder, "report.md")).Contains("Axis: flooding level b", StringComparison.Ordinal);
    Console.WriteLine(ok ? "flooding held each model's training loss near its level, above plain training's; the report names the axis" : "DISAGREES: see the losses above");
    return ok ? 0 : 1;
}
finally
{
    if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
}

static double Level(ModelResult r) => RegularizerSettings.Parse(r.Config.Regularizer!).Number("b");

/// <summary>
/// Flooding (Ishida et al. 2020, eq. 3): minimise |L − b| + b, so the step descends the loss while it is above the flood level
/// b and ascends it below: the training loss floats around b instead of going to zero.
/// </summary>
internal sealed class Flooding(RegularizerSettings settings) : StepMethod(settings)
{
    public static StepMethodInfo Info { get; } = new("flood", "flooding: descend above the level b, ascend below (Ishida et al. 2020)", [new("b", 0.1, 0, 10)], s => new Flooding(s))
    {
        Lowers = _ => [LossQuantile.MetricId],
    };

    private readonly double level = settings.Number("b");

    public override (double Loss, Tensor[] Gradient) Gradient(TrainingStep step)
    {
        var loss = step.Loss();
        double value = loss.to(ScalarType.Float64).item<double>();
        var g = Grad(loss, step.Parameters);
        return (value, value >= level ? g : g.Select(t => t.neg()).ToArray());
    }
}

/// <summary>The flood level b of <see cref="Flooding"/>: plain training, then b = 0.2 and 0.4, each trained 60 epochs at a constant rate.</summary>
internal sealed class FloodLevelAxis : IStudyAxis
{
    public string Name => "flood-level";

    public string Description => "flooding level b (Ishida et al. 2020): plain training, b = 0.2, b = 0.4";

    public string Metrics => $"{LossQuantile.MetricId},{TrainLossBaseline.MetricId}";

    public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig basis)
    {
        var constant = basis with { TrainSubset = 0, Epochs = 60, BatchSize = 32, LearningRate = 0.05, Schedule = "constant" };
        yield return ("plain", constant);
        foreach (var b in new[] { "0.2", "0.4" }) yield return (b, constant with { Regularizer = Flooding.Info.With($"b={b}") });
    }

    // No loss landscape or spectral density per model: this axis reads the losses only.
    public IReadOnlyList<IModelExtra> Extras => [];
}

/// <summary>The 90th percentile of the per-sample training losses: how hard the hardest tenth of the samples still is.</summary>
internal sealed class LossQuantile() : Metric(MetricId, "90th percentile of the per-sample training losses", "Ishida et al. 2020 (flooding)", CostClass.Cheap)
{
    public const string MetricId = "sample.loss_q90";

    public override MetricResult Compute(MetricContext context)
    {
        // The MLPs of this sample have no dropout or batch norm, so the module's mode does not change its outputs.
        using var scope = NewDisposeScope();
        using var grad = no_grad();
        var x = context.Samples.Features.to(context.Weights.dtype).to(context.Weights.device);
        var losses = Basin.Models.Losses.PerSample(context.Model.Loss, context.Model.Module.forward(x), context.Samples.Labels.to(context.Weights.device));
        context.Ledger.Charge(new MetricCost(ForwardPasses: 1));
        return Result(context, quantile(losses.to(ScalarType.Float64), 0.9).item<double>(), double.NaN, [("error", "deterministic"), ("samples", context.N)]);
    }
}
