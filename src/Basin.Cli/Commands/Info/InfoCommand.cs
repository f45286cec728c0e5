using System.Reflection;
using System.Text.Json;
using Basin.Cli.Infrastructure;
using Basin.Data;
using Basin.IO;
using TorchSharp;

namespace Basin.Cli.Commands.Info;

/// <summary><c>basin info</c>: versions, device, threads, data locations and the native compatibility step.</summary>
public sealed class InfoCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "info";

    /// <inheritdoc />
    public string Summary => "versions, device, threads, where each data set was found, native compatibility step";

    /// <inheritdoc />
    public Arguments Options() => new(Name, new (string, bool, string)[] { ("json", true, "print as JSON") }.Concat(RuntimeOptions.Declarations));

    /// <inheritdoc />
    public int Run(Arguments args, CliContext context)
    {
        var runtime = RuntimeOptions.Initialize(args);
        var rows = new List<(string Key, string Value)>
        {
            ("basin", Studies.ModelResult.CodeVersion),
            ("torchsharp", typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "?"),
            ("libtorch", $"{runtime.LibTorchVersion} ({runtime.LibTorchSource})"),
            ("device", runtime.Device.type.ToString().ToLowerInvariant() + (runtime.CudaAvailable ? $" ({torch.cuda.device_count()} GPU)" : "")),
            ("threads", torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("allocator", runtime.Allocator),
            ("convolutions", runtime.Convolutions),
            ("environment", runtime.Environment),
            ("compat", (runtime.CompatApplied ? "applied: " : "not applied: ") + runtime.CompatDetail),
            ("cache", BasinPaths.CacheRoot),
        };
        foreach (var location in DataCatalog.Locate())
            rows.Add(("data " + location.Name, location.Location ?? $"not found (looked in {string.Join(", ", location.Searched)})"));
        if (args.Has("json"))
            context.Out.WriteLine(JsonSerializer.Serialize(rows.ToDictionary(r => r.Key, r => r.Value)));
        else
            foreach (var (key, value) in rows) context.Out.WriteLine($"{key,-20} {value}");
        return 0;
    }
}
