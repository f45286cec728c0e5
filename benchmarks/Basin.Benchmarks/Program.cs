using System.Diagnostics;
using System.Globalization;
using Basin.Models;
using Basin.Native;
using Basin.Operators;
using Basin.Training;
using TorchSharp;
using static TorchSharp.torch;

// Cost of curvature products relative to one gradient, measured in one process on the same batch.
// Usage: dotnet run -c Release --project benchmarks/Basin.Benchmarks [-- --quick]
//        dotnet run -c Release --project benchmarks/Basin.Benchmarks -- --precision RUN_FOLDER [SAMPLES]
//          (Lanczos top-5 of a trained model's float32 Hessian against the same Lanczos on its float64 copy)
//        dotnet run -c Release --project benchmarks/Basin.Benchmarks -- --steps [MODEL,MODEL…]
//          (one training step of every step method against a plain SGD step, same model and batch)
//        … -- --products MODEL [hessian|ggn] [N] [--libtorch-conv] [--ggn-graphs] [--cold]   (N products in a loop, for a profiler: perf record -g;
//          --cold: a fresh operator for each;
//          --libtorch-conv: convolutions as libtorch computes them instead of GemmConvolutions)
//        … -- --memory MODEL N [ggn] [--libtorch-conv]   (resident memory of a cached graph on N samples, per byte of activations)
//        … -- --conv-grid | --conv-truth          (float32 conv input gradients against float64 and central differences)
//        … -- --perturbed [REGULARIZER] [EPOCHS]  (per epoch, the share of weights whose perturbed-OPT σ is set by curvature, not κ)
//        … -- --reductions MODEL|torchscript:PATH [N]   (per-sample squared sums, Gram, GGN factors and Fisher products, each form against the other)
//        … -- --per-sample MODEL [ROUNDS] [batched|gradient]   (per-sample gradients of 100 samples: gradient, batched, loop interleaved)
//        … -- --each-metric MODEL [N] [K]   (every metric on the CPU and on the runtime's device, CUDA with --libtorch: failures and differences; K deflated pairs, measure --deflate)
var runtime = TorchRuntime.Initialize();
if (args.Contains("--libtorch-conv")) GemmConvolutions.Force = false;
if (args.Contains("--ggn-graphs")) GgnOperator.Factored = false;
int Count(int at, int otherwise) => args.Length > at ? int.Parse(args[at], CultureInfo.InvariantCulture) : otherwise;
switch (args.FirstOrDefault())
{
    case "--precision" when args.Length >= 2: Precision.Run(args[1], Count(2, 2048)); return;
    case "--perturbed": PerturbedRegime.Run(args.Length > 1 ? args[1] : PerturbedOptimization.Info.Name, Count(2, 20)); return;
    case "--reductions" when args.Length >= 2: Reductions.Run(args[1], Count(2, 256)); return;
    case "--each-metric" when args.Length >= 2: EachMetric.Run(args[1], Count(2, 256), Count(3, 0)); return;
    case "--passes" when args.Length >= 2: PassCost.Run(args[1], Count(2, 9)); return;
    case "--per-sample" when args.Length >= 2: PerSampleCost.Run(args[1], Count(2, 9), args.Length > 3 ? args[3] : null); return;
    case "--steps": StepCost.Run(args.Length > 1 ? args[1].Split(',') : ["mlp:784-256-256-10", "lenet5"]); return;
}
if (args.Length >= 2 && args[0] == "--products")
{
    // A loop of products only, for a sampling profiler: perf record -g dotnet … -- --products lenet5 hessian 50
    int count = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 50;
    string kind = args.Length > 2 ? args[2] : "hessian";
    var (shape, batch) = ZooInput.Of(args[1]);
    using var model = ModelZoo.Create(args[1], shape, 10, seed: 0);
    using var gen = new Generator(1);
    using var x = randn([batch, .. shape], generator: gen);
    using var y = randint(0, 10, [batch], ScalarType.Int64, generator: gen);
    model.Module.eval();
    var data = CurvatureData.FromBatch(x, y);
    bool cold = args.Contains("--cold");
    CurvatureOperator Make() => kind == "ggn" ? new GgnOperator(model, data) : new HessianOperator(model, data);
    using CurvatureOperator op = Make();
    // --block K: each call a block product of K vectors (one pass over a factored GGN's Jacobians serves them all), timed per vector.
    int k = args.SkipWhile(a => a != "--block").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(1);
    using var v = randn([k, op.Dimension], generator: gen);
    var clock = Stopwatch.StartNew();
    var each = new List<double>();
    for (int i = 0; i < count; i++)
    {
        var one = Stopwatch.StartNew();
        if (cold) { using var fresh = Make(); fresh.Apply(v[0]).Dispose(); }
        else if (k == 1) op.Apply(v[0]).Dispose();
        else op.ApplyBlock(v).Dispose();
        each.Add(one.Elapsed.TotalMilliseconds / k);
    }
    Console.WriteLine("first products, ms a vector: " + string.Join(" ", each.Take(12).Select(t => t.ToString("F0", CultureInfo.InvariantCulture))));
    var steady = each.Skip(1).Order().ToArray();
    if (steady.Length > 0) Console.WriteLine($"steady products (after the first), median {steady[steady.Length / 2]:F1} ms, quartiles {steady[steady.Length / 4]:F1}–{steady[3 * steady.Length / 4]:F1} ms");
    Console.WriteLine($"{count} {kind} products of {args[1]} at batch {batch}{(k > 1 ? $", blocks of {k}" : "")}: {clock.Elapsed.TotalMilliseconds / count / k:F1} ms a vector");
    return;
}
if (args.Length >= 3 && args[0] == "--memory")
{
    // Resident memory after the first cached product on N samples: what a cached graph costs per sample.
    var (shape, _) = ZooInput.Of(args[1]);
    int n = int.Parse(args[2], CultureInfo.InvariantCulture);
    using var model = ModelZoo.Create(args[1], shape, 10, seed: 0);
    using var gen = new Generator(1);
    using var x = randn([n, .. shape], generator: gen);
    using var y = randint(0, 10, [n], ScalarType.Int64, generator: gen);
    model.Module.eval();
    long Rss() { var p = Process.GetCurrentProcess(); p.Refresh(); return p.WorkingSet64; }
    long activations = 0;
    var hooks = model.Module.modules().Where(m => !m.children().Any()).OfType<TorchSharp.torch.nn.Module<Tensor, Tensor>>()
        .Select(m => m.register_forward_hook((_, _, output) => { activations += output.numel() * output.element_size(); return output; })).ToList();
    using (no_grad()) model.Module.forward(x.narrow(0, 0, 1)).Dispose();
    foreach (var h in hooks) h.remove();
    long before = Rss(), heapBefore = HeapInUse();
    using CurvatureOperator op = args.Length > 3 && args[3] == "ggn" ? new GgnOperator(model, CurvatureData.FromBatch(x, y)) : new HessianOperator(model, CurvatureData.FromBatch(x, y));
    using var v = randn([op.Dimension], generator: gen);
    op.Apply(v).Dispose();
    long after = Rss();
    op.Apply(v).Dispose();
    long after2 = Rss(), kept = HeapInUse() - heapBefore;
    Console.WriteLine($"{args[1]} N={n}: activations {activations} B/sample; RSS +{(after - before) / 1e6:F0} MB after one product, +{(after2 - before) / 1e6:F0} MB after two: {(double)(after2 - before) / n / activations:F2} × activations per sample (peak); heap in use +{kept / 1e6:F0} MB: {(double)kept / n / activations:F2} × (kept)");
    return;
}
if (args.Length >= 1 && args[0] == "--conv-truth")
{
    set_num_threads(1);
    using var gen = new Generator(3);
    var x = randn([4, 6, 12, 12], generator: gen).requires_grad_(true);
    var w = randn([6, 6, 5, 5], generator: gen);
    var y = nn.functional.conv2d(x, w);
    var u = randn(y.shape, generator: gen);
    var g = autograd.grad([(y * u).sum()], [x])[0];
    var x64 = x.detach().to(ScalarType.Float64).requires_grad_(true);
    var w64 = w.to(ScalarType.Float64);
    var u64 = u.to(ScalarType.Float64);
    Func<Tensor, double> f = t => (nn.functional.conv2d(t, w64) * u64).sum().item<double>();
    var g64 = autograd.grad([(nn.functional.conv2d(x64, w64) * u64).sum()], [x64])[0];
    var t32 = nn.functional.conv_transpose2d(u, w);
    var t64 = nn.functional.conv_transpose2d(u64, w64);
    Console.WriteLine($"autograd f32 vs f64 {(g.to(ScalarType.Float64) - g64).norm().item<double>() / g64.norm().item<double>():G3}; conv_transpose f32 vs autograd f64 {(t32.to(ScalarType.Float64) - g64).norm().item<double>() / g64.norm().item<double>():G3}; conv_transpose f64 vs autograd f64 {(t64 - g64).norm().item<double>() / g64.norm().item<double>():G3}");
    foreach (var idx in new long[][] { [0, 0, 5, 5], [1, 3, 0, 7], [3, 5, 11, 11] })
    {
        double h = 1e-6;
        var xp = x64.detach().clone(); xp[idx[0], idx[1], idx[2], idx[3]] += h;
        var xm = x64.detach().clone(); xm[idx[0], idx[1], idx[2], idx[3]] -= h;
        double fd = (f(xp) - f(xm)) / (2 * h);
        Console.WriteLine($"  entry {string.Join(",", idx)}: finite difference {fd:G8}, f64 autograd {g64[idx[0], idx[1], idx[2], idx[3]].item<double>():G8}, f32 autograd {g[idx[0], idx[1], idx[2], idx[3]].item<float>():G8}");
    }
    return;
}
if (args.Length >= 1 && args[0] == "--conv-grid")
{
    foreach (int threads in new[] { 1, 2 })
    {
        set_num_threads(threads);
        foreach (int cin in new[] { 1, 2, 3, 6, 16 })
            foreach (int k in new[] { 3, 5 })
                foreach (int pad in new[] { 0, 1, 2 })
                    foreach (int batch in new[] { 1, 64 })
                    {
                        using var scope = NewDisposeScope();
                        using var gen = new Generator(3);
                        var x = randn([batch, cin, 28, 28], generator: gen).requires_grad_(true);
                        var w = randn([6, cin, k, k], generator: gen);
                        var y = nn.functional.conv2d(x, w, padding: [pad, pad]);
                        var u = randn(y.shape, generator: gen);
                        var g = autograd.grad([(y * u).sum()], [x])[0];
                        var x64 = x.detach().to(ScalarType.Float64).requires_grad_(true);
                        var g64 = autograd.grad([(nn.functional.conv2d(x64, w.to(ScalarType.Float64), padding: [pad, pad]) * u.to(ScalarType.Float64)).sum()], [x64])[0];
                        double err = (g.to(ScalarType.Float64) - g64).norm().item<double>() / g64.norm().item<double>();
                        if (err > 1e-5) Console.WriteLine($"threads {threads} batch {batch} in {cin} kernel {k} pad {pad}: ∂/∂x rel err {err:G3}");
                    }
    }
    Console.WriteLine("grid done");
    return;
}
bool quick = args.Contains("--quick");
Console.WriteLine($"# Basin curvature benchmark");
Console.WriteLine();
Console.WriteLine($"device {runtime.Device.type.ToString().ToLowerInvariant()}, {get_num_threads()} threads, libtorch {runtime.LibTorchVersion}, {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine();
Console.WriteLine("| model | batch | gradient ms | HVP ms (cached graph) | HVP system CPU share | HVP ÷ grad | HVP first ÷ grad | GGN-vp ms | GGN ÷ grad | GGN first ÷ grad | HVP / GGN ÷ grad, libtorch's conv graph | per-sample ×100 ms | loop ms | per-sample ÷ one 100-sample grad | loop ÷ per-sample | conv: unfold ms | conv: grouped ms |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
var only = args.SkipWhile(a => a != "--models").Skip(1).FirstOrDefault()?.Split(',');
foreach (var (spec, shape, batch) in new[] { ("mlp:784-256-256-10", new long[] { 1, 28, 28 }, 2048), ("lenet5", new long[] { 1, 28, 28 }, 2048), ("cnn6", new long[] { 3, 32, 32 }, 128), ("resnet20", new long[] { 3, 32, 32 }, 128) })
    if (only is null || only.Contains(spec)) Run(spec, shape, batch, quick ? 3 : 10);

static void Run(string spec, long[] shape, int batchSize, int repeats)
{
    // On the device the runtime chose (CUDA through --libtorch / BASIN_LIBTORCH); the data are drawn on the CPU, the same there.
    var device = TorchRuntime.Device;
    using var model = ModelZoo.Create(spec, shape, 10, seed: 0);
    model.Module.to(device);
    using var g = new Generator(1);
    using var x = randn([batchSize, .. shape], generator: g).to(device);
    using var y = randint(0, 10, [batchSize], ScalarType.Int64, generator: g).to(device);
    var data = CurvatureData.FromBatch(x, y);
    using var hessian = new HessianOperator(model, data);
    using var ggn = new GgnOperator(model, data);
    using var v = randn([hessian.Dimension], generator: g).to(device);
    var parameters = model.Module.parameters().ToArray();
    model.Module.eval();

    // Gradient: forward and backward of the mean loss, as one SGD step computes it.
    double grad = Timing.Median(repeats, () =>
    {
        using var scope = NewDisposeScope();
        var loss = Losses.Mean(model.Loss, model.Module.forward(x), y);
        autograd.grad([loss], parameters);
    });
    // The first product builds the kept graph (the "first" column); the system share is that of products after it.
    hessian.Apply(v).Dispose();
    var process = System.Diagnostics.Process.GetCurrentProcess();
    process.Refresh();
    var (user0, system0) = (process.UserProcessorTime, process.PrivilegedProcessorTime);
    double hvp = Timing.Median(repeats, () => hessian.Apply(v).Dispose());
    process.Refresh();
    double user = (process.UserProcessorTime - user0).TotalSeconds, system = (process.PrivilegedProcessorTime - system0).TotalSeconds;
    double ggnTime = Timing.Median(repeats, () => ggn.Apply(v).Dispose());
    // First: a fresh operator per product, so the forward pass and the first backward (building the kept graph) are paid each time.
    double hvpCold = Timing.Median(repeats, () => { using var h = new HessianOperator(model, data); h.Apply(v).Dispose(); });
    double ggnCold = Timing.Median(repeats, () => { using var op = new GgnOperator(model, data); op.Apply(v).Dispose(); });
    // The same cached products with convolutions left to libtorch (GemmConvolutions off): the baseline of that change.
    string plain = "–";
    if (GemmConvolutions.Applies(hessian.Device) && model.Module.modules().OfType<TorchSharp.Modules.Conv2d>().Any())
    {
        GemmConvolutions.Force = false;
        using var hessianPlain = new HessianOperator(model, data);
        using var ggnPlain = new GgnOperator(model, data);
        double hvpPlain = Timing.Median(repeats, () => hessianPlain.Apply(v).Dispose());
        double ggnPlainTime = Timing.Median(repeats, () => ggnPlain.Apply(v).Dispose());
        GemmConvolutions.Force = null;
        plain = $"{(hvpPlain / grad).ToString("F2", CultureInfo.InvariantCulture)} / {(ggnPlainTime / grad).ToString("F2", CultureInfo.InvariantCulture)}";
    }

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
    PerSampleGradients.ConvByUnfold = true;
    double unfold = Timing.Median(repeats, () => PerSampleGradients.Compute(model, named, x100, y100).Gradients.Dispose());
    PerSampleGradients.ConvByUnfold = false;
    double grouped = Timing.Median(repeats, () => PerSampleGradients.Compute(model, named, x100, y100).Gradients.Dispose());
    PerSampleGradients.ConvByUnfold = null;
    string F(double ms) => ms.ToString("F1", CultureInfo.InvariantCulture);
    string R(double r) => r.ToString("F2", CultureInfo.InvariantCulture);
    Console.WriteLine($"| {spec} | {batchSize} | {F(grad)} | {F(hvp)} | {R(system / Math.Max(user + system, 1e-9))} | **{R(hvp / grad)}** | {R(hvpCold / grad)} | {F(ggnTime)} | **{R(ggnTime / grad)}** | {R(ggnCold / grad)} | {plain} | {F(batched)} ({method.ToString().ToLowerInvariant()}) | {F(loop)} | **{R(batched / grad100)}** | {R(loop / batched)} | {F(unfold)} | {F(grouped)} |");
}

// glibc's count of heap bytes in use (allocated and not freed): what a kept graph holds, without the freed peak the heap keeps.
static long HeapInUse()
{
    var info = MallInfo2();
    return (long)(info.uordblks + info.hblkhd);
}

[System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")]
static extern MallInfo MallInfo2();

[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct MallInfo
{
    public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
}
