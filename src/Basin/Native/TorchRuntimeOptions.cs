namespace Basin.Native;

/// <summary>Which device to compute on.</summary>
public enum DeviceChoice
{
    /// <summary>CUDA when libtorch reports a usable GPU, else the CPU.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>CUDA; an error where there is none.</summary>
    Cuda,
}

/// <summary>The command-line names of <see cref="DeviceChoice"/>.</summary>
public static class DeviceChoices
{
    /// <summary>The names <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "cpu", "cuda"];

    /// <summary>The choice named <paramref name="name"/> (<c>auto</c>, <c>cpu</c> or <c>cuda</c>).</summary>
    /// <exception cref="FormatException">Unknown name.</exception>
    public static DeviceChoice Parse(string name) => name switch
    {
        "auto" => DeviceChoice.Auto,
        "cpu" => DeviceChoice.Cpu,
        "cuda" => DeviceChoice.Cuda,
        _ => throw new FormatException($"unknown device '{name}': use auto, cpu or cuda"),
    };
}

/// <summary>Where libtorch comes from and which device to compute on.</summary>
/// <param name="LibTorchDirectory">
/// The <c>lib</c> folder of an existing PyTorch install (e.g. <c>…/site-packages/torch/lib</c>) whose
/// libtorch is used instead of the bundled CPU build; null for the bundled one. Defaults to the
/// environment variable <c>BASIN_LIBTORCH</c>.</param>
/// <param name="Device">Auto (CUDA when available, else CPU), CPU or CUDA.</param>
public sealed record TorchRuntimeOptions(string? LibTorchDirectory = null, DeviceChoice Device = DeviceChoice.Auto)
{
    /// <summary>Options read from the environment (<c>BASIN_LIBTORCH</c>, <c>BASIN_DEVICE</c>).</summary>
    /// <exception cref="FormatException"><c>BASIN_DEVICE</c> names no device.</exception>
    public static TorchRuntimeOptions FromEnvironment()
    {
        string? device = NullIfEmpty(Environment.GetEnvironmentVariable("BASIN_DEVICE"));
        try
        {
            return new(NullIfEmpty(Environment.GetEnvironmentVariable("BASIN_LIBTORCH")), device is null ? DeviceChoice.Auto : DeviceChoices.Parse(device));
        }
        catch (FormatException e)
        {
            throw new FormatException($"BASIN_DEVICE: {e.Message}", e);
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
