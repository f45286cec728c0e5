using TorchSharp;
using System.Globalization;
using Basin.Models;
using Basin.Training;
using static TorchSharp.torch;

/// <summary>The time of one training step of every step method as a ratio to a plain SGD step, same model, batch and optimiser.</summary>
internal static class StepCost
{
    /// <summary>Every registered method at its defaults, and once more with each of its non-default words (the trace penalty on the Hessian).</summary>
    private static readonly string[] Methods = StepMethodRegistry.All
        .SelectMany(m => m.Keys.Where(k => k.Words is not null).SelectMany(k => k.Words!.Skip(1).Select(w => $"{m.Name}:{k.Name}={w}")).Prepend(m.Name)).ToArray();

    public static void Run(IEnumerable<string> models)
    {
        Console.WriteLine("# Step cost of the training methods");
        Console.WriteLine();
        Console.WriteLine($"device {Basin.Native.TorchRuntime.Device.type.ToString().ToLowerInvariant()}, {get_num_threads()} threads, batch 128, SGD momentum 0.9, {DateTime.UtcNow:yyyy-MM-dd}; median of 40 steps per method after 2 warm-up rounds, the methods taking turns step by step, all in one process");
        Console.WriteLine();
        Console.WriteLine("| model | " + string.Join(" | ", Methods) + " |");
        Console.WriteLine("| --- |" + string.Concat(Enumerable.Repeat(" --- |", Methods.Length)));
        foreach (var spec in models)
        {
            var device = Basin.Native.TorchRuntime.Device;
            using var model = ModelZoo.Create(spec, [1, 28, 28], 10, seed: 0);
            model.Module.to(device);
            using var g = new Generator(1);
            using var x = randn([128, 1, 28, 28], generator: g).to(device);
            using var y = randint(0, 10, [128], ScalarType.Int64, generator: g).to(device);
            model.Module.train();
            var times = Interleaved(model, x, y, rounds: 40);
            Console.WriteLine($"| {spec} | {times[0].ToString("F1", CultureInfo.InvariantCulture)} ms | " +
                string.Join(" | ", times.Skip(1).Select(t => "**" + (t / times[0]).ToString("F2", CultureInfo.InvariantCulture) + "**")) + " |");
        }
    }

    /// <summary>
    /// The median time of one step per method, the methods taking turns round after round (one step each), so that a
    /// drift of the machine's speed during the run touches every method alike.
    /// </summary>
    private static double[] Interleaved(Model model, Tensor x, Tensor y, int rounds)
    {
        var parameters = model.Module.parameters().ToArray();
        var methods = Methods.Select(m => StepMethod.Create(RegularizerSettings.Parse(m))).ToArray();
        using var optimizer = new Optimizer(new OptimizerSettings(), model.Module.named_parameters());
        var samples = Methods.Select(_ => new List<double>()).ToArray();
        ulong seed = 0;
        for (int round = -2; round < rounds; round++)
        {
            for (int m = 0; m < methods.Length; m++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                using (var batch = new TrainingStep(model, parameters, x, y, 0, 1, seed++))
                {
                    var (_, gradient) = methods[m].Gradient(batch);
                    for (int i = 0; i < parameters.Length; i++) parameters[i].grad = gradient[i];
                    optimizer.Step(1e-3);
                }
                Basin.Native.TorchRuntime.Synchronize();
                if (round >= 0) samples[m].Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        foreach (var method in methods) method.Dispose();
        return samples.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
    }
}
