using System.Diagnostics;
using System.Globalization;
using Basin.Models;
using Basin.Operators;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// Per-sample gradients of 100 samples against one gradient of their mean and the loop of 100 single-sample passes, interleaved
/// (gradient, batched, loop in turn, so that a slow spell of the machine falls on all three), for the ratios issue 27 asks about and
/// for a sampling profiler (<c>--per-sample MODEL ROUNDS [batched|gradient]</c>: only that one runs).
/// </summary>
internal static class PerSampleCost
{
    public static void Run(string spec, int rounds, string? only)
    {
        var shape = ZooInput.Of(spec).Shape;
        using var model = ModelZoo.Create(spec, shape, 10, seed: 0);
        model.Module.eval();
        using var gen = new Generator(1);
        using var x = randn([100, .. shape], generator: gen);
        using var y = randint(0, 10, [100], ScalarType.Int64, generator: gen);
        var named = model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
        var parameters = named.Select(p => (Tensor)p.parameter).ToArray();
        var (grad, batched, loop) = (new List<double>(), new List<double>(), new List<double>());
        for (int r = -1; r < rounds; r++)
        {
            double Time(Action action)
            {
                var clock = Stopwatch.StartNew();
                action();
                return clock.Elapsed.TotalMilliseconds;
            }
            double g = only is "batched" ? 0 : Time(() => { using var scope = NewDisposeScope(); autograd.grad([Losses.Mean(model.Loss, model.Module.forward(x), y)], parameters); });
            double b = only is "gradient" ? 0 : Time(() => PerSampleGradients.Compute(model, named, x, y).Gradients.Dispose());
            double l = only is not null ? 0 : Time(() => PerSampleGradients.Compute(model, named, x, y, forceLoop: true).Gradients.Dispose());
            if (r < 0) continue;   // the first round warms up
            grad.Add(g); batched.Add(b); loop.Add(l);
        }
        static double Median(List<double> t) { var s = t.Order().ToArray(); return s[s.Length / 2]; }
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        string R(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        double mg = Median(grad), mb = Median(batched), ml = Median(loop);
        Console.WriteLine($"{spec}, 100 samples, median of {rounds} interleaved rounds: gradient {F(mg)} ms, batched per-sample {F(mb)} ms, loop {F(ml)} ms; " +
            $"batched ÷ gradient {R(mb / mg)}, loop ÷ batched {R(ml / mb)}, loop ÷ gradient {R(ml / mg)} (what a batched method costing one gradient would reach; it can cost less)");
    }
}
