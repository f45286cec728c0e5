using Basin.Native;

namespace Basin.Cli.Infrastructure;

/// <summary>The options every command that computes shares: the device and where libtorch comes from.</summary>
public static class RuntimeOptions
{
    /// <summary>The option declarations.</summary>
    public static readonly (string, bool, string)[] Declarations =
    [
        ("device", false, "auto (CUDA when available), cpu or cuda; default auto"),
        ("libtorch", false, "lib folder of an existing PyTorch install to use instead of the bundled CPU libtorch (or set BASIN_LIBTORCH)"),
    ];

    /// <summary>Loads libtorch with the options given.</summary>
    public static TorchRuntimeStatus Initialize(Arguments args)
    {
        var fromEnv = TorchRuntimeOptions.FromEnvironment();
        var device = args.String("device") is { } name
            ? (name is "auto" or "cpu" or "cuda" ? DeviceChoices.Parse(name) : throw new UsageException($"--device must be auto, cpu or cuda, got '{name}'"))
            : fromEnv.Device;
        string? libtorch = args.String("libtorch") ?? fromEnv.LibTorchDirectory;
        if (libtorch is not null && !Directory.Exists(libtorch))
            throw new UsageException($"--libtorch '{libtorch}' is not a folder (expected e.g. …/site-packages/torch/lib)");
        return TorchRuntime.Initialize(new TorchRuntimeOptions(libtorch, device));
    }
}
