// A metric of your own beside Basin's: subclass Metric, register it, and measure it with the built-in ones
// on the same shared inputs (exit code 1 if its value is not the one computed by hand).
//   dotnet run -c Release --project samples/CustomMetric
using Basin.Data;
using Basin.Metrics;
using Basin.Native;
using Basin.Training;
using static TorchSharp.torch;

TorchRuntime.Initialize();
MetricRegistry.Register(new SpectralNormProduct());

var config = new TrainConfig { Model = "mlp:10-16-3", Data = "mixture:d=10,k=3,n=300", Epochs = 5, LearningRate = 0.1, Seed = 2 };
using var split = DataCatalog.Load(config.Data);
using var run = TrainingRun.Start(config, split.Train);
run.Train(split.Train, split.Test);
using var context = new MetricContext(run.Model, split.Train, new MeasureSettings { Seed = 3 });
var results = MetricRegistry.Measure(context, MetricRegistry.Select($"{SpectralNormProduct.MetricId},{NormProduct.SpectralId},{HessianTrace.MetricId}")).ToList();
foreach (var r in results) Console.WriteLine($"{r.Id,-26} {r.Display}");

// By hand: the product of the weight matrices' largest singular values.
double expected = run.Model.Module.named_parameters().Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal))
    .Aggregate(1.0, (product, p) => product * linalg.matrix_norm(p.parameter.detach().to(ScalarType.Float64), 2).item<double>());
// Basin's own norm.spectral_product is the log form, Σ_l ln ‖W_l‖₂²: it must be ln of this product squared.
bool ok = Math.Abs(results[0].Value - expected) <= 1e-9 * expected && Math.Abs(results[1].Value - Math.Log(expected * expected)) <= 1e-9 * Math.Abs(results[1].Value);
Console.WriteLine(ok ? $"agrees with the product computed by hand ({expected:G6}) and with Basin's log form" : $"DISAGREES: expected {expected:G6}, ln of its square {Math.Log(expected * expected):G6}");
return ok ? 0 : 1;

/// <summary>
/// The product of the spectral norms of the weight matrices, <c>Π_l ‖W_l‖₂</c> (Bartlett et al. 2017's scale
/// term): a norm-based baseline, deterministic, so its standard error is not estimated.
/// </summary>
internal sealed class SpectralNormProduct() : Metric(SpectralNormProduct.MetricId, "product of the weight matrices' spectral norms", "Bartlett et al. 2017", CostClass.Cheap)
{
    public const string MetricId = "custom.spectral_norm_product";

    public override MetricResult Compute(MetricContext context)
    {
        double product = 1;
        int layers = 0;
        foreach (var (name, p) in context.Model.Module.named_parameters().Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal)))
        {
            product *= linalg.matrix_norm(p.detach().to(ScalarType.Float64), 2).item<double>();
            layers++;
        }
        return Result(context, product, double.NaN, [("error", "deterministic"), ("layers", layers)]);
    }
}
