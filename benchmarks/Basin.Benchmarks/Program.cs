using System.Diagnostics;
using System.Globalization;
using Basin.Models;
using Basin.Native;
using Basin.Operators;
using Basin.Training;
using static TorchSharp.torch;

// Cost of curvature products relative to one gradient, measured in one process on the same batch.
// Usage: dotnet run -c Release --project benchmarks/Basin.Benchmarks [-- --quick]
//        dotnet run -c Release --project benchmarks/Basin.Benchmarks -- --precision RUN_FOLDER [SAMPLES]
//          (Lanczos top-5 of a trained model's float32 Hessian against the same Lanczos on its float64 copy)
//        dotnet run -c Release --project benchmarks/Basin.Benchmarks -- --steps [MODEL,MODEL…]
//          (one training step of every step method against a plain SGD step, same model and batch)
var runtime = TorchRuntime.Initialize();
if (args.Length >= 2 && args[0] == "--precision")
{
    Precision.Run(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2048);
    return;
}
if (args.Length >= 1 && args[0] == "--steps")
{
    StepCost.Run(args.Length > 1 ? args[1].Split(',') : ["mlp:784-256-256-10", "lenet5"]);
    return;
}
if (args.Length >= 2 && args[0] == "--products")
{
    // A loop of products only, for a sampling profiler: perf record -g dotnet … -- --products lenet5 hessian 50
    int count = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 50;
    string kind = args.Length > 2 ? args[2] : "hessian";
    var (shape, batch) = args[1] is "cnn6" or "resnet20" ? (new long[] { 3, 32, 32 }, 128) : (new long[] { 1, 28, 28 }, 2048);
    using var model = ModelZoo.Create(args[1], shape, 10, seed: 0);
    using var gen = new Generator(1);
    using var x = randn([batch, .. shape], generator: gen);
    using var y = randint(0, 10, [batch], ScalarType.Int64, generator: gen);
    model.Module.eval();
    var data = CurvatureData.FromBatch(x, y);
    using CurvatureOperator op = kind == "ggn" ? new GgnOperator(model, data) : new HessianOperator(model, data);
    using var v = randn([op.Dimension], generator: gen);
    var clock = Stopwatch.StartNew();
    var each = new List<double>();
    for (int i = 0; i < count; i++)
    {
        var one = Stopwatch.StartNew();
        op.Apply(v).Dispose();
        each.Add(one.Elapsed.TotalMilliseconds);
    }
    Console.WriteLine("first products, ms: " + string.Join(" ", each.Take(12).Select(t => t.ToString("F0", CultureInfo.InvariantCulture))));
    Console.WriteLine($"{count} {kind} products of {args[1]} at batch {batch}: {clock.Elapsed.TotalMilliseconds / count:F1} ms each");
    return;
}
bool quick = args.Contains("--quick");
Console.WriteLine($"# Basin curvature benchmark");
Console.WriteLine();
Console.WriteLine($"device {runtime.Device.type.ToString().ToLowerInvariant()}, {get_num_threads()} threads, libtorch {runtime.LibTorchVersion}, {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine();
Console.WriteLine("| model | batch | gradient ms | HVP ms (cached graph) | HVP system CPU share | HVP ÷ grad | HVP cold ÷ grad | GGN-vp ms | GGN ÷ grad | GGN cold ÷ grad | per-sample ×100 ms | loop ms | per-sample ÷ one 100-sample grad | loop ÷ per-sample |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
var only = args.SkipWhile(a => a != "--models").Skip(1).FirstOrDefault()?.Split(',');
foreach (var (spec, shape, batch) in new[] { ("mlp:784-256-256-10", new long[] { 1, 28, 28 }, 2048), ("lenet5", new long[] { 1, 28, 28 }, 2048), ("cnn6", new long[] { 3, 32, 32 }, 128), ("resnet20", new long[] { 3, 32, 32 }, 128) })
    if (only is null || only.Contains(spec)) Run(spec, shape, batch, quick ? 3 : 10);

static void Run(string spec, long[] shape, int batchSize, int repeats)
{
    using var model = ModelZoo.Create(spec, shape, 10, seed: 0);
    using var g = new Generator(1);
    using var x = randn([batchSize, .. shape], generator: g);
    using var y = randint(0, 10, [batchSize], ScalarType.Int64, generator: g);
    var data = CurvatureData.FromBatch(x, y);
    using var hessian = new HessianOperator(model, data);
    using var ggn = new GgnOperator(model, data);
    using var v = randn([hessian.Dimension], generator: g);
    var parameters = model.Module.parameters().ToArray();
    model.Module.eval();

    // Gradient: forward and backward of the mean loss, as one SGD step computes it.
    double grad = Timing.Median(repeats, () =>
    {
        using var scope = NewDisposeScope();
        var loss = Losses.Mean(model.Loss, model.Module.forward(x), y);
        autograd.grad([loss], parameters);
    });
    var process = System.Diagnostics.Process.GetCurrentProcess();
    process.Refresh();
    var (user0, system0) = (process.UserProcessorTime, process.PrivilegedProcessorTime);
    double hvp = Timing.Median(repeats, () => hessian.Apply(v).Dispose());
    process.Refresh();
    double user = (process.UserProcessorTime - user0).TotalSeconds, system = (process.PrivilegedProcessorTime - system0).TotalSeconds;
    double ggnTime = Timing.Median(repeats, () => ggn.Apply(v).Dispose());
    // Cold: a fresh operator per product, so the forward pass and the first backward are paid each time.
    double hvpCold = Timing.Median(repeats, () => { using var h = new HessianOperator(model, data); h.Apply(v).Dispose(); });
    double ggnCold = Timing.Median(repeats, () => { using var op = new GgnOperator(model, data); op.Apply(v).Dispose(); });

    using var x100 = x.narrow(0, 0, 100);
    using var y100 = y.narrow(0, 0, 100);
    var named = model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
    double grad100 = Timing.Median(repeats, () =>
    {
        using var scope = NewDisposeScope();
        autograd.grad([Losses.Mean(model.Loss, model.Module.forward(x100), y100)], parameters);
    });
    PerSampleMethod method = PerSampleMethod.Loop;
    double batched = Timing.Median(repeats, () => { var (t, m) = PerSampleGradients.Compute(model, named, x100, y100); method = m; t.Dispose(); });
    double loop = Timing.Median(Math.Max(1, repeats / 3), () => PerSampleGradients.Compute(model, named, x100, y100, forceLoop: true).Gradients.Dispose());
    string F(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);
    string R(double r) => r.ToString("F2", CultureInfo.InvariantCulture);
    Console.WriteLine($"| {spec} | {batchSize} | {F(grad)} | {F(hvp)} | {R(system / Math.Max(user + system, 1e-9))} | **{R(hvp / grad)}** | {R(hvpCold / grad)} | {F(ggnTime)} | **{R(ggnTime / grad)}** | {R(ggnCold / grad)} | {F(batched)} ({method.ToString().ToLowerInvariant()}) | {F(loop)} | **{R(batched / grad100)}** | {R(loop / batched)} |");
}
