using System.Globalization;
using Basin.Data;
using Basin.Operators;
using Basin.Training;

/// <summary>
/// Where perturbed OPT's noise comes from (seed 003 Alg. 1): after each epoch, the fraction of weights whose σ is set by
/// the curvature term rather than clipped at κ = γ|w|/ln(1+e) — the regularizers study's perturbed arm, step for step.
/// </summary>
internal static class PerturbedRegime
{
    public static void Run(string regularizer, int epochs)
    {
        var config = new TrainConfig
        {
            Model = "mlp:784-256-256-10", Data = "fashion-mnist", Epochs = epochs, BatchSize = 128, LearningRate = 0.05,
            Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.9, Nesterov: true), Schedule = "cosine", TrainSubset = 20_000, Regularizer = regularizer,
        };
        using var split = DataCatalog.Load(config.Data);
        using var train = TrainingRun.PrepareTrainingSet(config, split.Train);
        using var run = TrainingRun.Start(config, train);
        var method = (PerturbedOptimization)run.Method;
        Console.WriteLine($"# Perturbed OPT: where σ comes from ({run.Method.Settings.Describe()}, {config.Model}, {train.Count} Fashion-MNIST images, {DateTime.UtcNow:yyyy-MM-dd})");
        Console.WriteLine();
        Console.WriteLine("| epoch | weights with σ set by the curvature term (σ < κ) | train error | test error |");
        Console.WriteLine("| --- | --- | --- | --- |");
        for (int e = 1; e <= epochs; e++)
        {
            run.Train(train, split.Test, untilEpoch: e);
            var w = ParameterSelection.Flatten(run.Model.Module.parameters().Select(p => p.detach()));
            // The next step's σ: epoch e + 1's κ, except after the last epoch.
            double fraction = method.CurvatureSetFraction(w, Math.Min(e + 1, epochs));
            var log = run.Log[^1];
            Console.WriteLine($"| {e} | {(100 * fraction).ToString("F4", CultureInfo.InvariantCulture)}% | {(100 * log.TrainError).ToString("F2", CultureInfo.InvariantCulture)}% | {(100 * log.TestError).ToString("F2", CultureInfo.InvariantCulture)}% |");
            w.Dispose();
        }
    }
}
