using Basin.Metrics;

namespace Basin.Cli.Infrastructure;

/// <summary>The metric ids as the <c>--metrics</c> option of <c>measure</c> and <c>study</c> lists and completes them.</summary>
internal static class MetricIds
{
    /// <summary>Every registered id, comma-separated, for help text.</summary>
    public static string Listed => string.Join(", ", MetricRegistry.All.Select(m => m.Id));

    /// <summary>The <c>--metrics</c> option, as every command that takes it declares it.</summary>
    public static (string, bool, string) Declaration => ("metrics", false, "all, or a comma-separated list of ids (default all; basin measure --list describes them): " + Listed);

    /// <summary>What <c>--metrics</c> completes to: <c>all</c>, then every id.</summary>
    public static IEnumerable<string> Completions => ["all", .. MetricRegistry.All.Select(m => m.Id)];
}
