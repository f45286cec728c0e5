using System.Globalization;

namespace Basin.Training;

/// <summary>What a criterion compares: the training loss or the training error (in [0, 1]), measured after each epoch.</summary>
public enum CriterionQuantity
{
    /// <summary>The mean training loss.</summary>
    TrainLoss,

    /// <summary>The training error rate.</summary>
    TrainError,
}

/// <summary>
/// Train until a quantity falls to a threshold (Jiang et al. 2020 train every model to the same cross-entropy,
/// so that models are compared at the same point): <c>train-loss&lt;=X</c> or <c>train-error&lt;=X</c>, checked after
/// every epoch on the whole training set in eval mode; the config's epochs are the cap.
/// </summary>
/// <param name="Quantity">What is compared.</param>
/// <param name="Threshold">The value it must reach.</param>
public sealed record TrainingCriterion(CriterionQuantity Quantity, double Threshold)
{
    /// <summary>Reads <c>train-loss&lt;=X</c> or <c>train-error&lt;=X</c>.</summary>
    /// <exception cref="FormatException">Anything else.</exception>
    public static TrainingCriterion Parse(string text)
    {
        var parts = text.Split("<=", 2, StringSplitOptions.TrimEntries);
        CriterionQuantity? quantity = parts[0] switch
        {
            "train-loss" => CriterionQuantity.TrainLoss,
            "train-error" => CriterionQuantity.TrainError,
            _ => null,
        };
        if (parts.Length != 2 || quantity is null || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double threshold) || !double.IsFinite(threshold) || threshold < 0
            || (quantity == CriterionQuantity.TrainError && threshold > 1))
            throw new FormatException($"unknown criterion '{text}': use train-loss<=X (X ≥ 0) or train-error<=X (0 ≤ X ≤ 1)");
        return new TrainingCriterion(quantity.Value, threshold);
    }

    /// <summary>Whether <paramref name="epoch"/> meets the criterion.</summary>
    public bool MetBy(EpochLog epoch) => (Quantity == CriterionQuantity.TrainLoss ? epoch.TrainLoss : epoch.TrainError) <= Threshold;

    /// <inheritdoc />
    public override string ToString() => $"{(Quantity == CriterionQuantity.TrainLoss ? "train-loss" : "train-error")}<={Threshold.ToString(CultureInfo.InvariantCulture)}";
}
