using System.Globalization;
using Basin.Training;

namespace Basin.Benchmark;

/// <summary>One hyper-parameter the trust benchmark can vary: its id, what it sets, and how a level changes a training config.</summary>
/// <param name="Id">The axis id used in designs, coordinates and reports.</param>
/// <param name="Description">What it varies.</param>
/// <param name="Apply">The training config with the axis at a level (a number written in invariant culture).</param>
public sealed record BenchmarkAxis(string Id, string Description, Func<TrainConfig, double, TrainConfig> Apply);

/// <summary>
/// The hyper-parameters of the trust benchmark (Jiang et al. 2020 §5 vary depth, width, weight decay, learning rate,
/// batch size, dropout and optimiser; Dziugaite et al. 2020 add the training-set size; Zhang et al. 2017 label noise).
/// The network is a ReLU MLP of <c>depth</c> hidden layers of <c>width</c> units; every other axis sets one field of its
/// <see cref="TrainConfig"/>.
/// </summary>
public static class BenchmarkAxes
{
    /// <summary>Every axis, by id.</summary>
    public static IReadOnlyList<BenchmarkAxis> All { get; } =
    [
        new("width", "hidden units per layer of the MLP", (c, v) => c with { Model = WithWidth(c.Model, Whole(v, "width")) }),
        new("depth", "hidden layers of the MLP", (c, v) => c with { Model = WithDepth(c.Model, Whole(v, "depth")) }),
        new("weight-decay", "L2 coefficient γ of SGD", (c, v) => c with { Optimizer = c.Optimizer with { WeightDecay = NonNegative(v, "weight-decay") } }),
        new("learning-rate", "constant SGD learning rate", (c, v) => c with { LearningRate = Positive(v, "learning-rate") }),
        new("batch-size", "mini-batch size", (c, v) => c with { BatchSize = Whole(v, "batch-size") }),
        new("train-size", "training images, drawn with the seed from the data set's pool", (c, v) => c with { TrainSubset = Whole(v, "train-size") }),
        new("label-noise", "fraction of training labels redrawn uniformly from all classes (Zhang et al. 2017)", (c, v) => c with { UniformLabels = Fraction(v, "label-noise") }),
    ];

    /// <summary>The axis named <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">No such axis; the message lists them.</exception>
    public static BenchmarkAxis Get(string id) => All.FirstOrDefault(a => a.Id == id)
        ?? throw new ArgumentException($"unknown benchmark axis '{id}'; axes: {string.Join(", ", All.Select(a => a.Id))}");

    /// <summary>The MLP spec of a depth and width for inputs of <paramref name="inputs"/> features and <paramref name="classes"/> classes.</summary>
    public static string Mlp(int inputs, int depth, int width, int classes) =>
        $"mlp:{inputs}-{string.Join("", Enumerable.Repeat($"{width}-", depth))}{classes}";

    private static string WithWidth(string model, int width)
    {
        var (inputs, depth, _, classes) = Parse(model);
        return Mlp(inputs, depth, width, classes);
    }

    private static string WithDepth(string model, int depth)
    {
        var (inputs, _, width, classes) = Parse(model);
        return Mlp(inputs, depth, width, classes);
    }

    private static (int Inputs, int Depth, int Width, int Classes) Parse(string model)
    {
        var widths = model.Split(':')[1].Split('-').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
        if (widths.Length < 3 || widths[1..^1].Distinct().Count() != 1) throw new ArgumentException($"the benchmark's model must be an MLP of equal hidden widths, got {model}");
        return (widths[0], widths.Length - 2, widths[1], widths[^1]);
    }

    private static int Whole(double v, string axis) => v >= 1 && v <= 1_000_000 && v == Math.Floor(v)
        ? (int)v : throw new ArgumentException($"{axis} levels must be whole numbers from 1 to 1000000, got {v.ToString(CultureInfo.InvariantCulture)}");

    private static double Positive(double v, string axis) => v > 0 && double.IsFinite(v) ? v : throw new ArgumentException($"{axis} levels must be positive, got {v.ToString(CultureInfo.InvariantCulture)}");

    private static double NonNegative(double v, string axis) => v >= 0 && double.IsFinite(v) ? v : throw new ArgumentException($"{axis} levels must be ≥ 0, got {v.ToString(CultureInfo.InvariantCulture)}");

    private static double Fraction(double v, string axis) => v >= 0 && v <= 1 ? v : throw new ArgumentException($"{axis} levels must be in [0, 1], got {v.ToString(CultureInfo.InvariantCulture)}");
}
