using Basin.Data;
using Basin.Models;
using Basin.Operators;
using Basin.Training;
using static TorchSharp.torch;

namespace Basin.Studies;

/// <summary>Training loss on a 2-D grid around (or over) a model's weights.</summary>
/// <param name="X">First coordinate of the grid.</param>
/// <param name="Y">Second coordinate of the grid.</param>
/// <param name="Loss">Loss[i][j] at (X[i], Y[j]).</param>
/// <param name="Directions">How the plane was chosen.</param>
/// <param name="Center">The trained weights' coordinates in the plane.</param>
public sealed record Landscape(double[] X, double[] Y, double[][] Loss, string Directions, double[] Center)
{
    /// <summary>The loss grid as a 2-D array.</summary>
    public double[,] Grid()
    {
        var grid = new double[X.Length, Y.Length];
        for (int i = 0; i < X.Length; i++) for (int j = 0; j < Y.Length; j++) grid[i, j] = Loss[i][j];
        return grid;
    }
}

/// <summary>
/// 2-D loss landscapes (seed 003 Fig. 1): over the two free parameters of a two-parameter model, or
/// around a trained model along two filter-normalised random directions (Li et al. 2018): Gaussian
/// directions whose every filter (row of a weight tensor) has the norm of the matching filter of the
/// weights; 1-D parameters (biases, batch-norm scales) are held fixed.
/// </summary>
public static class LossLandscape
{
    /// <summary>The landscape on the plane w + a·d₁ + b·d₂, a, b ∈ [−radius, radius], on <paramref name="points"/>² points.</summary>
    public static Landscape Around(Model model, Dataset data, int points = 21, double radius = 1, int seed = 0)
    {
        if (points < 2 || !(radius > 0)) throw new ArgumentException("a landscape needs at least 2 points a side and a positive radius");
        var parameters = model.Module.parameters().ToArray();
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var original = parameters.Select(p => p.detach().clone()).ToArray();
        var d1 = parameters.Select(p => FilterNormalised(p, generator)).ToArray();
        var d2 = parameters.Select(p => FilterNormalised(p, generator)).ToArray();
        var axis = Enumerable.Range(0, points).Select(i => -radius + 2 * radius * i / (points - 1)).ToArray();
        var loss = Evaluate(model, data, axis, axis, (a, b) => original.Select((w, k) => w + d1[k] * a + d2[k] * b).ToArray(), parameters);
        return new Landscape(axis, axis, loss, $"filter-normalised random directions (seed {seed})", [0, 0]);
    }

    /// <summary>The landscape over a two-parameter model's parameters themselves, each in [lo, hi].</summary>
    public static Landscape OverParameters(Model model, Dataset data, int points = 41, double lo = -8, double hi = 8)
    {
        var parameters = model.Module.parameters().ToArray();
        if (parameters.Sum(p => p.numel()) != 2) throw new ArgumentException($"model {model.Spec} does not have exactly two parameters");
        using var scope = NewDisposeScope();
        var original = parameters.Select(p => p.detach().clone()).ToArray();
        var axis = Enumerable.Range(0, points).Select(i => lo + (hi - lo) * i / (points - 1)).ToArray();
        var center = original.Select(p => p.to(ScalarType.Float64).item<double>()).ToArray();
        var loss = Evaluate(model, data, axis, axis, (a, b) => [full_like(original[0], a), full_like(original[1], b)], parameters);
        return new Landscape(axis, axis, loss, "the model's two parameters", center);
    }

    private static double[][] Evaluate(Model model, Dataset data, double[] xs, double[] ys, Func<double, double, Tensor[]> weights, TorchSharp.Modules.Parameter[] parameters)
    {
        var loss = new double[xs.Length][];
        using var swap = new WeightSwap(parameters);
        for (int i = 0; i < xs.Length; i++)
        {
            loss[i] = new double[ys.Length];
            for (int j = 0; j < ys.Length; j++)
            {
                using var inner = NewDisposeScope();
                swap.Set(weights(xs[i], ys[j]));
                loss[i][j] = Evaluation.Evaluate(model, data).Loss;
            }
        }
        return loss;
    }

    private static Tensor FilterNormalised(Tensor w, Generator generator)
    {
        if (w.dim() < 2) return zeros_like(w);
        var d = randn(w.shape, w.dtype, generator: generator).to(w.device);
        var dNorm = d.reshape(w.shape[0], -1).norm(1, keepdim: true).clamp_min(1e-12);
        var wNorm = w.detach().reshape(w.shape[0], -1).norm(1, keepdim: true);
        return (d.reshape(w.shape[0], -1) / dNorm * wNorm).reshape(w.shape);
    }
}
