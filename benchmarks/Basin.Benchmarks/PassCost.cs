using System.Diagnostics;
using System.Globalization;
using Basin.Models;
using Basin.Operators;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// A zoo model's forward pass (no graph) and gradient on its benchmark batch with libtorch's convolutions against the GEMM form
/// (<see cref="GemmConvolutions"/>), interleaved, medians: whether plain passes over the data (evaluations, ascents, training)
/// should take the GEMM form where the curvature products already do (<c>--passes MODEL [ROUNDS]</c>).
/// </summary>
internal static class PassCost
{
    public static void Run(string spec, int rounds)
    {
        var (shape, batch) = ZooInput.Of(spec);
        using var model = ModelZoo.Create(spec, shape, 10, seed: 0);
        model.Module.eval();
        using var gen = new Generator(1);
        using var x = randn([batch, .. shape], generator: gen);
        using var y = randint(0, 10, [batch], ScalarType.Int64, generator: gen);
        var parameters = model.Module.parameters().ToArray();
        var times = new List<double>[4];
        for (int i = 0; i < 4; i++) times[i] = [];
        double Time(bool gemm, bool gradient)
        {
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            using var form = gemm ? GemmConvolutions.Use(model.Module) : null;
            if (gradient) autograd.grad([Losses.Mean(model.Loss, model.Module.forward(x), y)], parameters);
            else using (no_grad()) Losses.Mean(model.Loss, model.Module.forward(x), y).item<float>();
            return clock.Elapsed.TotalMilliseconds;
        }
        for (int r = -1; r < rounds; r++)
        {
            var t = new[] { Time(false, false), Time(true, false), Time(false, true), Time(true, true) };
            if (r >= 0) for (int i = 0; i < 4; i++) times[i].Add(t[i]);
        }
        double M(int i) { var s = times[i].Order().ToArray(); return s[s.Length / 2]; }
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        Console.WriteLine($"{spec}, batch {batch}, {get_num_threads()} threads, medians of {rounds} interleaved rounds: forward libtorch {F(M(0))} ms, GEMM {F(M(1))} ms " +
            $"(÷ {(M(0) / M(1)).ToString("F2", CultureInfo.InvariantCulture)}); gradient libtorch {F(M(2))} ms, GEMM {F(M(3))} ms (÷ {(M(2) / M(3)).ToString("F2", CultureInfo.InvariantCulture)})");
    }
}
