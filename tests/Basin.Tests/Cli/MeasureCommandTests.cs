using System.Text.Json;
using Basin.Metrics;
using Xunit;

namespace Basin.Tests.Cli;

public class MeasureCommandTests
{
    private const string Mixture = "mixture:d=6,k=3,n=200";

    private static void TrainTiny(string folder)
    {
        var (code, _, error) = CliRunner.Run("train", "--data", Mixture, "--model", "mlp:6-8-3:relu", "--epochs", "3", "--out", folder);
        Assert.True(code == 0, error);
    }

    [Fact]
    public void MeasuresEveryMetricWithCostAndSettings()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        var (code, output, error) = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--samples", "0", "--probes", "8", "--lanczos-steps", "10",
            "--slq-steps", "10", "--fisher-subsets", "5", "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var metrics = doc.RootElement.GetProperty("metrics").EnumerateArray().ToList();
        Assert.Equal(MetricRegistry.All.Where(m => !m.OptIn).Select(m => m.Id), metrics.Select(m => m.GetProperty("id").GetString()));
        foreach (var m in metrics)
        {
            Assert.True(m.GetProperty("value").ValueKind == JsonValueKind.Number, $"{m.GetProperty("id")} has no finite value");
            Assert.True(m.GetProperty("seconds").GetDouble() >= 0);
        }
        var trace = metrics.First(m => m.GetProperty("id").GetString() == "hessian.trace");
        Assert.Equal(8, trace.GetProperty("cost").GetProperty("curvature_products").GetInt64());
        Assert.Equal("8", trace.GetProperty("settings").GetProperty("probes").GetString());
    }

    [Fact]
    public void TableAndListAreHumanReadable()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        var list = CliRunner.Run("measure", "--list");
        Assert.Equal(0, list.Code);
        Assert.Equal(MetricRegistry.All.Count, list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var table = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--metrics", "hessian.trace,sharpness.expected", "--probes", "4");
        Assert.True(table.Code == 0, table.Error);
        Assert.Contains("hessian.trace", table.Out);
        Assert.Contains("±", table.Out);
        Assert.Contains("4 mvp", table.Out);
    }

    [Theory]
    [InlineData(2, "unknown metric 'hessian.tracee'", "--metrics", "hessian.tracee")]
    [InlineData(2, "unknown diagonal estimator", "--diagonal", "magic")]
    [InlineData(2, "has samples of 784 but model mlp:6-8-3:relu takes 6", "--data", "mixture:d=784,k=3,n=20")]
    [InlineData(2, "has 5 classes but model mlp:6-8-3:relu has 3 outputs", "--data", "mixture:d=6,k=5,n=20")]
    public void BadInputsGiveOneClearLine(int code, string fragment, params string[] extra)
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        var result = CliRunner.Run(["measure", "--checkpoint", tmp.Path, .. extra]);
        Assert.True(result.Code == code, $"exit {result.Code}: {result.Error}");
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("basin:", StringComparison.Ordinal));
        Assert.Contains(fragment, line);
    }

    [Fact]
    public void MissingCheckpointIsAUsageError()
    {
        var result = CliRunner.Run("measure");
        Assert.Equal(2, result.Code);
        Assert.Contains("--checkpoint DIR is required", result.Error);
    }
}
