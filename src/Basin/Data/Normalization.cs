using System.Globalization;
using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>
/// Per-channel input normalisation, <c>x_c ← (x_c − mean_c) / std_c</c>, as torchvision's <c>transforms.Normalize</c>
/// applies after <c>ToTensor</c> (which scales to [0, 1], as Basin's built-in sets are). Written after a data spec as
/// <c>SPEC#normalize=M1[,M2,…],S1[,S2,…]</c> — C means, then C standard deviations — so that a checkpoint's config carries
/// it and every command measures the network on the inputs it was trained on. The channel axis is axis 1 of N × C × …
/// images; flat N × D inputs are one channel.
/// </summary>
public sealed record Normalization(double[] Mean, double[] Std)
{
    /// <summary>What separates it from the data spec.</summary>
    public const string Marker = "#normalize=";

    /// <summary>Parses <c>M1,…,MC,S1,…,SC</c>.</summary>
    /// <exception cref="FormatException">Not an even count of finite numbers, or a standard deviation that is not positive.</exception>
    public static Normalization Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new FormatException($"--normalize: '{p}' is not a number (MEAN,STD per channel: C means, then C standard deviations)")).ToArray();
        if (values.Length == 0 || values.Length % 2 != 0)
            throw new FormatException($"--normalize takes C means then C standard deviations (2C numbers), got {values.Length}");
        int c = values.Length / 2;
        var std = values[c..];
        if (std.Any(s => s <= 0)) throw new FormatException($"--normalize: standard deviations must be positive, got {string.Join(",", std.Select(s => s.ToString(CultureInfo.InvariantCulture)))}");
        return new Normalization(values[..c], std);
    }

    /// <summary>Splits <c>SPEC#normalize=…</c> into the data spec and its normalisation (null when there is none).</summary>
    public static (string Spec, Normalization? Normalization) Split(string spec)
    {
        int at = spec.LastIndexOf(Marker, StringComparison.Ordinal);
        return at < 0 ? (spec, null) : (spec[..at], Parse(spec[(at + Marker.Length)..]));
    }

    /// <summary>The spec with <paramref name="text"/> (the <c>--normalize</c> value) appended, replacing any normalisation it had.</summary>
    public static string Append(string spec, string text)
    {
        Parse(text);
        return Split(spec).Spec + Marker + text.Replace(" ", "", StringComparison.Ordinal);
    }

    /// <summary>A new data set with normalised features.</summary>
    /// <exception cref="DataFormatException">The channel count does not match the features' channel axis.</exception>
    public Dataset Apply(Dataset data)
    {
        long channels = data.Features.dim() > 2 ? data.Features.shape[1] : 1;
        if (channels != Mean.Length)
            throw new DataFormatException(data.Name, $"--normalize gives {Mean.Length} channel(s) but the samples [{string.Join(", ", data.Features.shape.Skip(1))}] have {channels}");
        using var scope = NewDisposeScope();
        var shape = new long[data.Features.dim()];
        Array.Fill(shape, 1L);
        if (data.Features.dim() > 2) shape[1] = channels;
        var mean = tensor(Mean, dtype: data.Features.dtype).reshape(shape);
        var std = tensor(Std, dtype: data.Features.dtype).reshape(shape);
        var features = ((data.Features - mean) / std).MoveToOuterDisposeScope();
        return new Dataset(data.Name, features, data.Labels.clone().MoveToOuterDisposeScope(), data.NumClasses);
    }
}
