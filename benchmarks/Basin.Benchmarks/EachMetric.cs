using System.Globalization;
using Basin.Data;
using Basin.Metrics;
using Basin.Models;
using Basin.Native;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// Every registered metric on the CPU and on the device the runtime chose (CUDA through --libtorch), the same model, weights,
/// samples and seed in one process: a metric that fails on one device, or whose value differs between them by more than float32
/// rounding and its own standard error allow, is a device bug. Each failure prints its exception and where in Basin it arose.
/// </summary>
internal static class EachMetric
{
    public static void Run(string spec, int n, int deflate)
    {
        var device = TorchRuntime.Device;
        Console.WriteLine($"# Every metric, cpu against {device.type.ToString().ToLowerInvariant()}: {spec}, {n} random samples, deflate {deflate}, {DateTime.UtcNow:yyyy-MM-dd}");
        Console.WriteLine();
        Console.WriteLine("| metric | cpu value ± se | s | device value ± se | s | |Δ| ÷ (se + 1e-3·|v|) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        using var g = new Generator(7);
        var shape = ZooInput.Of(spec).Shape;
        using var samples = new Dataset("random", randn([n, .. shape], generator: g), randint(0, 10, [n], ScalarType.Int64, generator: g), 10);
        using var cpuModel = ModelZoo.Create(spec, shape, 10, seed: 0);
        using var deviceModel = ModelZoo.Create(spec, shape, 10, seed: 0);
        deviceModel.Module.to(device);
        var settings = new MeasureSettings { SlqDeflate = deflate };
        using var onCpu = new MetricContext(cpuModel, samples, settings);
        using var onDevice = new MetricContext(deviceModel, samples, settings);
        onCpu.Expect(MetricRegistry.All);
        onDevice.Expect(MetricRegistry.All);
        int failed = 0, differ = 0;
        foreach (var metric in MetricRegistry.All)
        {
            var a = Measure(onCpu, metric);
            var b = Measure(onDevice, metric);
            string ratio = "–";
            if (a.Result is { } x && b.Result is { } y && double.IsFinite(x.Value) && double.IsFinite(y.Value))
            {
                double r = Math.Abs(x.Value - y.Value) / (Math.Max(x.StandardError, y.StandardError) + 1e-3 * Math.Abs(x.Value) + 1e-12);
                ratio = r.ToString("G3", CultureInfo.InvariantCulture);
                if (r > 3) { ratio = "**" + ratio + "**"; differ++; }
            }
            Console.WriteLine($"| {metric.Id} | {a.Text} | {a.Seconds:F1} | {b.Text} | {b.Seconds:F1} | {ratio} |");
            if (a.Error is not null || b.Error is not null) failed++;
            foreach (var (where, error) in new[] { ("cpu", a.Error), ("device", b.Error) })
                if (error is not null) Console.Error.WriteLine($"{metric.Id} on {where}: {error}");
        }
        Console.WriteLine();
        Console.WriteLine($"{failed} metrics failed on one device or both, {differ} differ by more than 3 × (se + 1e-3·|v|)");
    }

    private static (MetricResult? Result, string Text, double Seconds, string? Error) Measure(MetricContext context, IMetric metric)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var r = MetricRegistry.Measure(context, [metric])[0];
            string text = r.Settings.TryGetValue("not_applicable", out var why) ? "n/a: " + why
                : $"{r.Value.ToString("G6", CultureInfo.InvariantCulture)} ± {r.StandardError.ToString("G2", CultureInfo.InvariantCulture)}";
            return (r, text, clock.Elapsed.TotalSeconds, null);
        }
        catch (Exception e)
        {
            var frames = (e.StackTrace ?? "").Split('\n').Where(l => l.Contains("Basin.", StringComparison.Ordinal)).Take(4).Select(l => l.Trim());
            return (null, $"**{e.GetType().Name}**", clock.Elapsed.TotalSeconds, $"{e.GetType().Name}: {e.Message.Split('\n')[0]} | {string.Join(" | ", frames)}");
        }
    }
}
