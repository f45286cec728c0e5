using Basin.Data;

namespace Basin.Cli.Infrastructure;

/// <summary>The option every command that reads <c>--data</c> shares: <c>--normalize</c>, carried in the data spec (<see cref="Normalization"/>).</summary>
internal static class DataOptions
{
    /// <summary>The declaration of <c>--normalize</c>.</summary>
    public static readonly (string, bool, string)[] Declarations =
    [
        ("normalize", false, "MEAN,STD per channel (C means, then C standard deviations), applied after the [0, 1] scaling of a built-in set or folder, as transforms.Normalize: e.g. 0.2860,0.3530 for Fashion-MNIST (default: none; tensors: data is taken as given)"),
    ];

    /// <summary><c>--data</c> (or <paramref name="fallback"/>) with <c>--normalize</c> appended; null when neither names a data set.</summary>
    /// <exception cref="UsageException">A bad <c>--normalize</c>, or one with nothing to normalise.</exception>
    public static string? Spec(Arguments args, string? fallback)
    {
        string? spec = fallback is null ? args.String("data") : args.String("data", fallback);
        if (args.String("normalize") is not { } text) return spec;
        if (spec is null) throw new UsageException("--normalize needs --data, the data set it normalises");
        if (spec.StartsWith(TensorFiles.Prefix, StringComparison.Ordinal)) throw new UsageException("--normalize is for built-in sets and folders: tensors: data is read as saved, normalised already");
        return UsageException.Check(() =>
        {
            try { return Normalization.Append(spec, text); }
            catch (FormatException e) { throw new ArgumentException(e.Message, e); }
        });
    }
}
