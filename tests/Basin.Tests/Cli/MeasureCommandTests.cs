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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, output, error) = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--samples", "0", "--probes", "8", "--lanczos-steps", "10",
            "--slq-steps", "10", "--fisher-subsets", "5", "--json");
        double wall = clock.Elapsed.TotalSeconds;
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var metrics = doc.RootElement.GetProperty("metrics").EnumerateArray().ToList();
        Assert.Equal(MetricRegistry.All.Where(m => !m.OptIn).Select(m => m.Id), metrics.Select(m => m.GetProperty("id").GetString()));
        foreach (var m in metrics)
        {
            // Every measure gives a number; a baseline that needs what this run lacks (steps to a criterion it was not
            // trained to) says why instead.
            string id = m.GetProperty("id").GetString()!;
            bool measure = MetricRegistry.All.First(x => x.Id == id).Role == MetricRole.Measure;
            bool says = m.GetProperty("settings").TryGetProperty("not_applicable", out _);
            Assert.True(m.GetProperty("value").ValueKind == JsonValueKind.Number || (!measure && says), $"{id} has no finite value");
            Assert.True(m.GetProperty("seconds").GetDouble() is >= 0 and < double.PositiveInfinity, $"{id}: seconds {m.GetProperty("seconds")}");
        }
        // The metrics' own times are parts of the run: together no more than the wall time the test saw.
        double total = metrics.Sum(m => m.GetProperty("seconds").GetDouble());
        Assert.True(total > 0 && total <= wall, $"metric seconds sum to {total:F3} s, the run took {wall:F3} s");
        var trace = metrics.First(m => m.GetProperty("id").GetString() == "hessian.trace");
        Assert.Equal(8, trace.GetProperty("cost").GetProperty("curvature_products").GetInt64());
        Assert.Equal("8", trace.GetProperty("settings").GetProperty("probes").GetString());
    }

    [Theory]
    [InlineData(1.0, 32, 40, 4, 100, 8)]
    [InlineData(0.5, 16, 20, 2, 100, 4)]
    [InlineData(0.15, 8, 20, 2, 30, 4)]
    [InlineData(0.1, 8, 20, 2, 20, 4)]
    [InlineData(0.001, 8, 20, 2, 20, 4)]
    public void ScaledMeasureSettingsFitTheFactorDownToTheirFloors(double factor, int probes, int lanczos, int starts, int steps, int laplace)
    {
        // Defaults: 32 probes, Lanczos 40, SLQ 4 × 100, 8 Laplace probes. At 0.15 SLQ wants 60 of 400 products: 2 starts × 30
        // steps; at 0.1, 40: 2 × 20, the floor of steps, which 0.001 keeps.
        var scaled = new MeasureSettings().Scaled(factor);
        Assert.Equal((probes, lanczos, starts, steps, laplace), (scaled.TraceProbes, scaled.LanczosSteps, scaled.SlqStarts, scaled.SlqSteps, scaled.LaplaceProbes));
        Assert.Throws<ArgumentException>(() => new MeasureSettings().Scaled(0));
    }

    [Fact]
    public void ABudgetScalesTheMeasurementAndSaysSo()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        var run = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--samples", "0", "--metrics", "hessian.trace,hessian.top_eigenvalue", "--budget", "0.001", "--json");
        Assert.True(run.Code == 0, run.Error);
        Assert.Contains("scaled to fit --budget 0.001 s: 200 samples, probes 8, Lanczos 20", run.Error);
        Assert.Contains("s of it spent loading and timing", run.Error);
        var metrics = JsonDocument.Parse(run.Out).RootElement.GetProperty("metrics").EnumerateArray().ToList();
        Assert.Equal(8, metrics[0].GetProperty("cost").GetProperty("curvature_products").GetInt64());
        Assert.Equal(20, metrics[1].GetProperty("cost").GetProperty("curvature_products").GetInt64());
        var unscaled = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--samples", "0", "--metrics", "hessian.trace", "--budget", "1000", "--json");
        Assert.DoesNotContain("scaled", unscaled.Error);
    }

    [Fact]
    public void ABudgetThatKeepsTheFloorOfSamplesMeasuresTheRowsAnExplicitRunWouldAndTimesThemOnce()
    {
        using var tmp = new TempFolder();
        var (code, _, error) = CliRunner.Run("train", "--data", "mixture:d=6,k=3,n=700", "--model", "mlp:6-8-3:relu", "--epochs", "1", "--out", tmp.Path);
        Assert.True(code == 0, error);
        var budgeted = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--samples", "0", "--metrics", "hessian.trace,hessian.top_eigenvalue", "--budget", "0.001", "--json");
        Assert.True(budgeted.Code == 0, budgeted.Error);
        Assert.Contains("(timed on 256 of the samples)", budgeted.Error);
        Assert.Contains("scaled to fit --budget 0.001 s: 256 samples, probes 8, Lanczos 20", budgeted.Error);
        Assert.Contains("note: the floors need about", budgeted.Error);
        var explicitRun = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--samples", "256", "--probes", "8", "--lanczos-steps", "20", "--metrics", "hessian.trace,hessian.top_eigenvalue", "--json");
        Assert.True(explicitRun.Code == 0, explicitRun.Error);
        double[] Values(string json) => JsonDocument.Parse(json).RootElement.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("value").GetDouble()).ToArray();
        Assert.Equal(Values(explicitRun.Out), Values(budgeted.Out));
        Assert.Equal(256, JsonDocument.Parse(budgeted.Out).RootElement.GetProperty("samples").GetInt32());
        // A budget that every sample fits: timed on the floor's samples all the same, then measured on all of them, as without it.
        var roomy = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--samples", "0", "--metrics", "hessian.trace", "--budget", "1000", "--json");
        Assert.True(roomy.Code == 0, roomy.Error);
        Assert.Contains("(timed on 256 of the samples)", roomy.Error);
        Assert.DoesNotContain("scaled", roomy.Error);
        var plain = CliRunner.Run("measure", "--checkpoint", tmp.Path, "--samples", "0", "--metrics", "hessian.trace", "--json");
        Assert.Equal(Values(plain.Out), Values(roomy.Out));
        Assert.True(JsonDocument.Parse(roomy.Out).RootElement.GetProperty("samples").GetInt32() > 256);
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
    [InlineData(2, "--diagonal must be hutchinson", "--diagonal", "magic")]
    [InlineData(2, "--budget must be between", "--budget", "0")]
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
