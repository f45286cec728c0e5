// A PyTorch model saved as TorchScript, measured through Basin's library API: the model loaded from its file, the
// samples as a Dataset, the metrics of `basin measure` through MetricRegistry, and one estimator called directly;
// checked against what PyTorch computed for the same model and samples (tests/fixtures/torchscript/references.json,
// written by tools/make_fixtures.py). Exit code 1 if they disagree.
//   dotnet run -c Release --project samples/TorchScriptModel
using System.Text.Json;
using Basin.Data;
using Basin.Estimators;
using Basin.Metrics;
using Basin.Models;
using Basin.Native;
using Basin.Operators;
using TorchSharp;
using static TorchSharp.torch;

TorchRuntime.Initialize();
string root = AppContext.BaseDirectory;
while (!Directory.Exists(Path.Combine(root, "tests", "fixtures", "torchscript"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("run from inside the Basin repository");
string fixtures = Path.Combine(root, "tests", "fixtures", "torchscript");
var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixtures, "references.json"))).RootElement.GetProperty("models").GetProperty("mlp");

// The script (torch.jit.script(model).save("mlp.pt") in PyTorch) for 1×28×28 inputs and 10 classes, in float64.
using var model = ModelZoo.Create(TorchScriptModels.Prefix + Path.Combine(fixtures, "mlp.pt"), [1, 28, 28], 10, seed: 0);
model.Module.to(ScalarType.Float64);

// The samples PyTorch used: x[n, 0, i, j] = sin(0.37 n + 0.011 (28 i + j)), y[n] = 3n mod 10 (your own would come from
// DataCatalog.Load("tensors:data.safetensors"), as tools/export_for_basin.py writes it).
int n = reference.GetProperty("samples").GetInt32();
var x = sin(arange(n, dtype: ScalarType.Float64).view(n, 1, 1, 1) * 0.37 + arange(784, dtype: ScalarType.Float64).view(1, 1, 28, 28) * 0.011);
using var samples = new Dataset("formula", x, arange(n, dtype: ScalarType.Int64).mul(3).remainder(10), 10);

// Metrics by id, as `basin measure --metrics` takes them, each with its standard error and cost.
using var context = new MetricContext(model, samples, new MeasureSettings { TraceProbes = 400 });
var results = MetricRegistry.Measure(context, MetricRegistry.Select($"{HessianTrace.MetricId},{TopEigenvalue.HessianId},{TrainLossBaseline.MetricId}"));
foreach (var result in results) Console.WriteLine($"{result.Id,-24} {result.Display,-22} {result.Cost}");
var measured = results.ToDictionary(r => r.Id);

// One estimator on the operator directly: Hutch++ on the same Hessian.
using var hessian = new HessianOperator(model, CurvatureData.FromDataset(samples));
var hutchPlusPlus = HutchPlusPlus.Trace(hessian, 300, seed: 5);
Console.WriteLine($"Hutch++ Tr H ≈ {hutchPlusPlus.Value:G6} ± {hutchPlusPlus.StandardError:G2} ({hutchPlusPlus.Products} products)");

double trace = reference.GetProperty("hessian_trace").GetDouble(), top = reference.GetProperty("hessian_top_eigenvalue").GetDouble(), loss = reference.GetProperty("loss").GetDouble();
Console.WriteLine($"PyTorch: Tr H = {trace:G6}, λ₁ = {top:G6}, loss = {loss:G6}");
var t = measured[HessianTrace.MetricId];
// Hutchinson's error bar is wide here (one eigenvalue above the trace, negative ones below): within 4 standard errors, and
// the bar itself under a quarter of the trace; Hutch++ removes the dominant directions first and lands within 1%.
bool ok = Math.Abs(t.Value - trace) <= 4 * t.StandardError && t.StandardError <= 0.25 * trace
    && Math.Abs(measured[TopEigenvalue.HessianId].Value - top) <= 1e-6 * top
    && Math.Abs(measured[TrainLossBaseline.MetricId].Value - loss) <= 1e-9 * loss
    && Math.Abs(hutchPlusPlus.Value - trace) <= 0.01 * trace;
Console.WriteLine(ok ? "agrees with PyTorch" : "DISAGREES with PyTorch");
return ok ? 0 : 1;
