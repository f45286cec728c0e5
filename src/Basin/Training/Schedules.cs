using System.Globalization;

namespace Basin.Training;

/// <summary>
/// A learning-rate schedule: the multiplier of the base rate as a function of training progress
/// <c>t = epoch + fraction of the epoch</c> out of <c>T</c> epochs.
/// </summary>
public abstract record Schedule
{
    /// <summary>The multiplier at progress <paramref name="epoch"/> (fractional) of <paramref name="totalEpochs"/>.</summary>
    public abstract double Factor(double epoch, int totalEpochs);

    /// <summary>
    /// Parses <c>constant</c>; <c>step:E1,E2[:γ]</c> (multiply by γ, default 0.1, at each listed epoch);
    /// <c>linear[:r]</c> (seed 002 eq. 14, r default 0.01); <c>cosine</c>.
    /// </summary>
    public static Schedule Parse(string text)
    {
        var parts = text.Split(':');
        try
        {
            return parts[0] switch
            {
                "constant" when parts.Length == 1 => new ConstantSchedule(),
                "cosine" when parts.Length == 1 => new CosineSchedule(),
                "linear" when parts.Length <= 2 => new LinearSchedule(parts.Length == 2 ? Number(parts[1]) : 0.01),
                "step" when parts.Length is 2 or 3 => new StepSchedule(
                    parts[1].Split(',').Select(e => int.Parse(e, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray(),
                    parts.Length == 3 ? Number(parts[2]) : 0.1),
                _ => throw new FormatException(),
            };
        }
        catch (FormatException)
        {
            throw new FormatException($"unknown schedule '{text}': use constant, cosine, linear[:r] or step:E1,E2[:factor]");
        }
    }

    private static double Number(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && v <= 1 ? v : throw new FormatException();
}

/// <summary>A constant rate.</summary>
public sealed record ConstantSchedule : Schedule
{
    /// <inheritdoc />
    public override double Factor(double epoch, int totalEpochs) => 1;

    /// <inheritdoc />
    public override string ToString() => "constant";
}

/// <summary>Multiply by <see cref="Gamma"/> at each of <see cref="Milestones"/> (epochs).</summary>
public sealed record StepSchedule(int[] Milestones, double Gamma) : Schedule
{
    /// <inheritdoc />
    public override double Factor(double epoch, int totalEpochs) => Math.Pow(Gamma, Milestones.Count(m => epoch >= m));

    /// <inheritdoc />
    public override string ToString() => $"step:{string.Join(",", Milestones)}:{Gamma.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// The schedule of seed 002 eq. 14: α₀ for the first 50% of training, then linear decay to r·α₀ at 90%,
/// then constant r·α₀.
/// </summary>
public sealed record LinearSchedule(double Ratio) : Schedule
{
    /// <inheritdoc />
    public override double Factor(double epoch, int totalEpochs)
    {
        double t = epoch / totalEpochs;
        if (t <= 0.5) return 1;
        if (t <= 0.9) return 1 - (1 - Ratio) * (t - 0.5) / 0.4;
        return Ratio;
    }

    /// <inheritdoc />
    public override string ToString() => $"linear:{Ratio.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Cosine annealing from α₀ to 0 over the run (Loshchilov &amp; Hutter 2017, without restarts).</summary>
public sealed record CosineSchedule : Schedule
{
    /// <inheritdoc />
    public override double Factor(double epoch, int totalEpochs) => 0.5 * (1 + Math.Cos(Math.PI * Math.Min(epoch / totalEpochs, 1)));

    /// <inheritdoc />
    public override string ToString() => "cosine";
}
