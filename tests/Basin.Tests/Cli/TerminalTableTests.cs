using Basin.Cli.Infrastructure;
using Spectre.Console.Testing;
using Xunit;

namespace Basin.Tests.Cli;

public class TerminalTableTests
{
    private static readonly string[] Headers = ["metric", "value ± se", "cost", "seconds"];

    private static readonly IReadOnlyList<string>[] Rows =
    [
        ["hessian.trace", "332.66 ± 32", "32 mvp", "0.1"],
        ["robustness.input_jacobian", "not applicable: needs a softmax output over K ≥ 2 classes (model torchscript:m.pt has a MeanSquaredError loss)", "shared", "12.5"],
    ];

    [Fact]
    public void OnATerminalTheTableFitsItsWidth()
    {
        foreach (int width in new[] { 60, 120 })
        {
            var console = new TestConsole().Width(width);
            TerminalTable.Write(console, TextWriter.Null, Headers, Rows, 3);
            var lines = console.Output.Split('\n');
            Assert.All(lines, line => Assert.True(line.TrimEnd('\r').Length <= width, $"{line.Length} > {width}: {line}"));
            Assert.Contains("hessian.trace", console.Output);
            Assert.Contains("softmax", console.Output); // the long cell wraps, it is not cut
        }
    }

    [Fact]
    public void RedirectedTheTableIsPlainAlignedText()
    {
        var plain = new StringWriter();
        TerminalTable.Write(null, plain, Headers, Rows, 3);
        var lines = plain.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        // Columns start where the header's do; the right-aligned seconds end together.
        int cost = lines[0].IndexOf("cost", StringComparison.Ordinal);
        Assert.Equal("32 mvp", lines[1].Substring(cost, 6));
        Assert.Equal(lines[0].Length, lines[1].Length);
        Assert.EndsWith(" 0.1", lines[1]);
        Assert.EndsWith("12.5", lines[2]);
        Assert.DoesNotContain("\u001b", plain.ToString());
        Assert.Throws<ArgumentException>(() => TerminalTable.Write(null, plain, Headers, [["too", "few"]]));
    }
}

public class CostPreviewTests
{
    [Fact]
    public void TheProductIsTimedWarmAsTheFastestOfThreeAfterAnUntimedOne()
    {
        using var matrix = TorchSharp.torch.eye(4, dtype: TorchSharp.torch.ScalarType.Float64);
        using var op = new Basin.Operators.DenseOperator(matrix);
        double seconds = CostPreview.SecondsPerProduct(op);
        Assert.Equal(4, op.Products);
        Assert.True(seconds >= 0 && seconds < 10, $"{seconds} s for a 4 × 4 product");
        using var other = new Basin.Operators.DenseOperator(matrix);
        CostPreview.SecondsPerProduct(other, timed: 1);
        Assert.Equal(2, other.Products);
    }

    [Fact]
    public void APlanTimedAgainTakesWhatDoesNotChangeWithTheSamplesFromTheEarlierPace()
    {
        // 200 samples: more than the 128 the GGN and the Fisher are timed on afresh, as fractions of the Hessian.
        var (model, data) = Basin.Tests.Metrics.MetricTestModels.TanhMlp(200);
        using (model)
        using (data)
        {
            using var context = new Basin.Metrics.MetricContext(model, data, new Basin.Metrics.MeasureSettings { TraceProbes = 2, FisherSubsetSize = 10, FisherSubsets = 2 });
            var plan = Basin.Metrics.MeasurementPlan.For(Basin.Metrics.MetricRegistry.Select("hessian.trace,ggn.trace,fisher.trace,fisher.spectral_radius,pacgen"), context.Settings, data.Count, model);
            var earlier = new Basin.Metrics.MeasurementPlan.PassTimes(2, 1, 1, PerSampleGradient: 0.125, SquaredGradient: 0.375) { GgnProduct = 0.5, FisherProduct = 0.25 };
            var pace = CostPreview.Pace(context, plan, earlier);
            Assert.Equal(0.125, pace.PerSampleGradient);
            Assert.Equal(0.375, pace.SquaredGradient);
            Assert.True(pace.Product > 0);
            Assert.Equal(pace.Product / 4, pace.GgnProduct!.Value, 12);
            Assert.Equal(pace.Product / 8, pace.FisherProduct!.Value, 12);
            // Timed afresh, every kind the plan reads is timed.
            var fresh = CostPreview.Pace(context, plan);
            Assert.True(fresh.GgnProduct > 0 && fresh.FisherProduct > 0 && fresh.PerSampleGradient > 0 && fresh.SquaredGradient > 0);
        }
    }
}
