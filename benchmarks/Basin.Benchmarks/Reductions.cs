using Basin.Models;
using Basin.Operators;
using static TorchSharp.torch;

/// <summary>
/// The per-sample reductions of a model, each form against the other on one batch: the GGN diagonal's squared sums (factored by
/// cost against always materialised), the Fisher subsets' Gram matrix (the same), the GGN diagonal's C factors through one forward
/// pass against one forward pass each, and an empirical Fisher product from factored per-sample gradients against the Jacobian graphs.
/// </summary>
internal static class Reductions
{
    /// <summary>Prints seconds per form for <paramref name="spec"/> (a zoo model or torchscript:PATH on 1 × 28 × 28) on <paramref name="batch"/> samples.</summary>
    public static void Run(string spec, int batch)
    {
        using var model = spec.StartsWith("torchscript:", StringComparison.Ordinal) ? TorchScriptModels.Load(spec["torchscript:".Length..], [1, 28, 28], 10) : ModelZoo.Create(spec, [1, 28, 28], 10, seed: 0);
        model.Module.eval();
        using var g = new Generator(1);
        var x = randn([batch, 1, 28, 28], generator: g);
        var y = randint(0, 10, [batch], ScalarType.Int64, generator: g);
        var named = model.Module.named_parameters().Select(p => (p.name, p.parameter)).ToArray();
        var w = cat(named.Select(p => p.parameter.detach().flatten()).ToArray()).to(ScalarType.Float64);
        double Seconds(Action action) => Timing.Median(3, () => { using var scope = NewDisposeScope(); action(); }) / 1000;
        double gradient = Seconds(() => autograd.grad([nn.functional.cross_entropy(model.Module.forward(x), y)], named.Select(p => (Tensor)p.parameter).ToArray()));
        Console.WriteLine($"{spec}, {batch} samples: one gradient {gradient:F3} s");
        foreach (bool? factored in new bool?[] { null, false })
        {
            LayerPerSample.Overrides = (factored, null);
            string form = factored is null ? "factored where cheaper" : "materialised in blocks";
            double squared = Seconds(() => PerSampleGradients.SquaredSum(model, named, x, y, (f, l) => Losses.PerSample(model.Loss, f, l)));
            double gram = Seconds(() => PerSampleGradients.Gram(model, named, x.narrow(0, 0, Math.Min(100, batch)), y.narrow(0, 0, Math.Min(100, batch)), w));
            Console.WriteLine($"  {form}: squared sum {squared:F3} s, Gram of {Math.Min(100, batch)} {gram:F3} s");
        }
        LayerPerSample.Overrides = (null, null);
        double oneForward = Seconds(() => PerSampleGradients.SquaredSum(model, named, x, y, (f, l) => GgnDiagonal.PseudoLosses(model, f, l)));
        double perColumn = Seconds(() =>
        {
            for (int c = 0; c < model.Outputs; c++)
            {
                int column = c;
                PerSampleGradients.SquaredSum(model, named, x, y, (f, l) => GgnDiagonal.PseudoLosses(model, f, l).select(1, column));
            }
        });
        Console.WriteLine($"  GGN diagonal, {model.Outputs} factors: one forward pass {oneForward:F3} s, one each {perColumn:F3} s");
        EmpiricalFisherOperator.MaxCachedElements = 0;
        foreach (bool factored in new[] { true, false })
        {
            EmpiricalFisherOperator.Factored = factored;
            using var op = new EmpiricalFisherOperator(model, CurvatureData.FromBatch(x, y));
            using var v = randn([op.Dimension], generator: g);
            Console.WriteLine($"  empirical Fisher product, {(factored ? "factored per-sample gradients" : "Jacobian graphs")}: {Seconds(() => op.Apply(v)):F3} s");
        }
        EmpiricalFisherOperator.Factored = true;
        EmpiricalFisherOperator.MaxCachedElements = 1L << 26;
    }
}
