using Basin.Metrics;

namespace Basin.Cli.Infrastructure;

/// <summary>The metric ids as the <c>--metrics</c> option of <c>measure</c> and <c>study</c> lists and completes them.</summary>
internal static class MetricIds
{
    /// <summary>Every registered id, comma-separated, for help text.</summary>
    public static string Listed => string.Join(", ", MetricRegistry.All.Select(m => m.Id));

    /// <summary>What <c>--metrics</c> completes to: <c>all</c>, then every id.</summary>
    public static IEnumerable<string> Completions => ["all", .. MetricRegistry.All.Select(m => m.Id)];
}
