using TorchSharp;
using System.Diagnostics;
using Basin.Data;
using Basin.Estimators;
using Basin.Operators;
using Basin.Training;
using static TorchSharp.torch;

/// <summary>Lanczos on a trained model's float32 Hessian against the same Lanczos on a float64 copy of the model and data.</summary>
internal static class Precision
{
    public static void Run(string folder, int samples)
    {
        using var loaded = Checkpoint.Load(folder);
        using var copy = Checkpoint.Load(folder);
        copy.Run.Model.Module.to(ScalarType.Float64);
        using var split = DataCatalog.Load(loaded.Run.Config.Data);
        using var train = TrainingRun.PrepareTrainingSet(loaded.Run.Config, split.Train);
        using var measured = train.SampleOrAll(samples, 0);
        using var op32 = new HessianOperator(loaded.Run.Model, CurvatureData.FromBatch(measured.Features, measured.Labels));
        using var op64 = new HessianOperator(copy.Run.Model, CurvatureData.FromBatch(measured.Features.to(ScalarType.Float64), measured.Labels));
        var clock = Stopwatch.StartNew();
        var top32 = Lanczos.TopEigenvalues(op32, 5, steps: 80, seed: 0);
        double t32 = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var top64 = Lanczos.TopEigenvalues(op64, 5, steps: 80, tolerance: 1e-9, seed: 0);
        double t64 = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{loaded.Run.Model.Spec}, P = {op32.Dimension:N0}, {measured.Count} samples, 80 Lanczos steps; float32 operator {t32:F1} s, float64 {t64:F1} s");
        Console.WriteLine("| k | λ_k (float32 operator) | λ_k (float64) | relative difference | residual (float32) | float64 converged |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        for (int k = 0; k < 5; k++)
        {
            double rel = (top32.Values[k] - top64.Values[k]) / Math.Abs(top64.Values[k]);
            Console.WriteLine($"| {k + 1} | {top32.Values[k]:G10} | {top64.Values[k]:G10} | {rel:+0.0E+0;-0.0E+0} | {top32.Residuals[k]:G3} | {top64.Converged[k]} |");
        }
    }
}
