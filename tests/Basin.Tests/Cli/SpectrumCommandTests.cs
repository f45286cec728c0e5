using System.Text.Json;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Cli;

public class SpectrumCommandTests
{
    private const string Mixture = "mixture:d=6,k=3,n=200";

    private static void TrainTiny(string folder)
    {
        var (code, _, error) = CliRunner.Run("train", "--data", Mixture, "--model", "mlp:6-8-3:tanh", "--epochs", "2", "--out", folder);
        Assert.True(code == 0, error);
    }

    /// <summary>The independent reference: the eigenvalues (ascending) of the dense float64 Hessian of the checkpoint in <paramref name="folder"/> on the mixture's 200 training samples.</summary>
    private static double[] DenseHessianEigenvalues(string folder)
    {
        using var loaded = Checkpoint.Load(folder);
        using var split = Basin.Data.DataCatalog.Load(Mixture);
        using var op = new Basin.Operators.HessianOperator(loaded.Run.Model, Basin.Operators.CurvatureData.FromBatch(split.Train.Features, split.Train.Labels));
        using var dense = Basin.Tests.Operators.DenseReference.Matrix(op);
        using var values = TorchSharp.torch.linalg.eigvalsh(dense.to(TorchSharp.torch.ScalarType.Float64));
        return values.data<double>().ToArray();
    }

    [Fact]
    public void SpectrumMatchesTheDenseHessianAndWritesItsFiles()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        var (code, output, error) = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--samples", "0", "--top", "3", "--lanczos-steps", "40", "--probes", "200", "--slq-steps", "20", "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(83, root.GetProperty("parameters").GetInt64()); // 6·8+8 + 8·3+3

        // Independent check: the dense Hessian of the same model on the same 200 samples.
        var eigenvalues = DenseHessianEigenvalues(tmp.Path);
        double top = eigenvalues.Max(), trace = eigenvalues.Sum();
        double reported = root.GetProperty("top")[0].GetProperty("eigenvalue").GetDouble();
        Assert.True(Math.Abs(reported - top) < 1e-4 * Math.Abs(top), $"λ1 {reported} vs dense {top}");
        var t = root.GetProperty("trace");
        Assert.True(Math.Abs(t.GetProperty("estimate").GetDouble() - trace) < 4 * t.GetProperty("standard_error").GetDouble(), $"trace {t} vs dense {trace}");

        foreach (var f in new[] { "spectrum.csv", "spectrum-nodes.csv", "spectrum.png", "spectrum.svg" })
            Assert.True(new FileInfo(Path.Combine(tmp.Path, "spectrum", f)).Length > 200, $"{f} missing or empty");
        var png = File.ReadAllBytes(Path.Combine(tmp.Path, "spectrum", "spectrum.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(tmp.Path, "spectrum", "spectrum.svg")));
        Assert.Equal(1001, File.ReadAllLines(Path.Combine(tmp.Path, "spectrum", "spectrum.csv")).Length);
    }

    [Fact]
    public void HutchPlusPlusWithASketchOfEveryDirectionGivesTheDenseTraceAndTraceOfSquare()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        // 249 products: a sketch of 83 directions, all P of them, so the complement is empty and both are exact.
        var (code, output, error) = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--samples", "0", "--top", "2", "--lanczos-steps", "10", "--probes", "249", "--slq-steps", "10", "--slq-starts", "1", "--hutchpp", "--json");
        Assert.True(code == 0, error);
        Assert.Contains("Hutch++ 249 for Tr and Tr A²", error);
        // Its sketch holds more than the 10-step basis: 83 × 83 values × (6 × 4 + 16) bytes = 0.000276 GB, the line says so.
        Assert.Equal(275_560, Basin.Estimators.HutchPlusPlus.HoldingBytes(249, 83, 4));
        Assert.Contains("memory: the largest input, Hutch++'s sketch of 83 directions, adds about 0.00 GB", error);
        var root = JsonDocument.Parse(output).RootElement;
        var eigenvalues = DenseHessianEigenvalues(tmp.Path);
        double trace = eigenvalues.Sum(), square = eigenvalues.Sum(x => x * x);
        double t = root.GetProperty("trace").GetProperty("estimate").GetDouble(), t2 = root.GetProperty("trace_of_square").GetProperty("estimate").GetDouble();
        Assert.True(Math.Abs(t - trace) < 1e-3 * eigenvalues.Sum(Math.Abs), $"trace {t} vs dense {trace}");
        Assert.True(Math.Abs(t2 - square) < 1e-3 * square, $"Tr H² {t2} vs dense {square}");
        Basin.Tests.BadInput.BadInputAssert.OneLine(CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--probes", "4", "--hutchpp"), 2, "at least 6 trace probes are needed by Hutch++");
    }

    [Fact]
    public void TheSameSeedOnTheSameSamplesGivesTheSameTraceAsMeasure()
    {
        // Both commands draw the Hessian's (and the GGN's) probes from one seed stream: the same Rademacher vectors, the same Tr.
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        string[] common = ["--checkpoint", tmp.Path, "--samples", "120", "--seed", "3", "--probes", "16", "--json"];
        var measure = CliRunner.Run(["measure", .. common, "--metrics", "hessian.trace,ggn.trace"]);
        Assert.True(measure.Code == 0, measure.Error);
        var metrics = JsonDocument.Parse(measure.Out).RootElement.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("value").GetDouble());
        foreach (var (flag, id) in new[] { ("hessian", "hessian.trace"), ("ggn", "ggn.trace") })
        {
            // Undeflated, as measure's probes are (deflated, spectrum's probes sample only the rest of the spectrum).
            string[] spectrumArgs = ["spectrum", .. common, "--top", "1", "--lanczos-steps", "10", "--slq-steps", "10", "--slq-starts", "1", "--deflate", "0", "--out", tmp.File("s" + flag), "--matrix", flag];
            var spectrum = CliRunner.Run(spectrumArgs);
            Assert.True(spectrum.Code == 0, spectrum.Error);
            double trace = JsonDocument.Parse(spectrum.Out).RootElement.GetProperty("trace").GetProperty("estimate").GetDouble();
            Assert.True(Math.Abs(trace - metrics[id]) <= 1e-9 * Math.Abs(metrics[id]), $"{id}: spectrum {trace:R}, measure {metrics[id]:R}");
        }
    }

    [Fact]
    public void TopEigenvaluesFromTheFirstSlqStartMatchTheDenseHessian()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        // --steps 30 ≤ --slq-steps 60: no Lanczos run of its own, the first SLQ start gives the top eigenvalues.
        var (code, output, error) = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--samples", "0", "--top", "3", "--lanczos-steps", "30", "--probes", "10", "--slq-steps", "60", "--slq-starts", "2", "--deflate", "0", "--json");
        Assert.True(code == 0, error);
        Assert.Contains("cost: 130 products (Hutchinson 10 for Tr and Tr A², SLQ 2×60; the top eigenvalues from the first SLQ start)", error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(130, root.GetProperty("products").GetInt64());
        Assert.True(root.GetProperty("top_from_slq").GetBoolean());
        Assert.Equal(60, root.GetProperty("top_lanczos_steps").GetInt32());
        var eigenvalues = DenseHessianEigenvalues(tmp.Path).OrderDescending().ToArray();
        for (int i = 0; i < 3; i++)
        {
            double reported = root.GetProperty("top")[i].GetProperty("eigenvalue").GetDouble();
            Assert.True(Math.Abs(reported - eigenvalues[i]) < 1e-4 * Math.Abs(eigenvalues[0]), $"λ{i + 1} {reported} vs dense {eigenvalues[i]}");
        }
    }

    [Fact]
    public void TheDeflatedDefaultsMatchTheDenseHessian()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        // Defaults: 10 pairs deflated by a Lanczos run (≤ 40 steps) that gives the top eigenvalues; 8 probes and 4×50 SLQ steps on the rest.
        var (code, output, error) = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--samples", "0", "--top", "3", "--json");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        var density = root.GetProperty("density");
        Assert.Equal(10, density.GetProperty("deflated").GetInt32());
        Assert.Equal(density.GetProperty("deflation_steps").GetInt32(), root.GetProperty("top_lanczos_steps").GetInt32());
        var eigenvalues = DenseHessianEigenvalues(tmp.Path).OrderDescending().ToArray();
        for (int i = 0; i < 3; i++)
        {
            double reported = root.GetProperty("top")[i].GetProperty("eigenvalue").GetDouble();
            Assert.True(Math.Abs(reported - eigenvalues[i]) < 1e-4 * Math.Abs(eigenvalues[0]), $"λ{i + 1} {reported} vs dense {eigenvalues[i]}");
        }
        foreach (var (key, exact) in new[] { ("trace", eigenvalues.Sum()), ("trace_of_square", eigenvalues.Sum(x => x * x)) })
        {
            var e = root.GetProperty(key);
            double value = e.GetProperty("estimate").GetDouble(), se = e.GetProperty("standard_error").GetDouble();
            Assert.True(Math.Abs(value - exact) <= 4 * se + 1e-6 * Math.Abs(exact) && se <= 0.2 * Math.Abs(exact), $"{key}: {value} ± {se} vs dense {exact}");
        }
    }

    [Fact]
    public void GgnAndLayerOptionsAndBadInputs()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        var (code, output, error) = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--matrix", "ggn", "--layer", "3", "--top", "2", "--lanczos-steps", "10", "--probes", "4", "--slq-steps", "5", "--slq-starts", "1", "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(27, doc.RootElement.GetProperty("parameters").GetInt64()); // layer 3: 8·3 + 3
        Assert.True(doc.RootElement.GetProperty("top")[1].GetProperty("eigenvalue").GetDouble() >= -1e-9, "GGN eigenvalues are ≥ 0");

        // The empirical Fisher: its λ₁ from Lanczos is the dense Fisher's (mean of per-sample g gᵀ, a test of the operator elsewhere).
        var fisher = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--matrix", "fisher", "--samples", "0", "--top", "1", "--lanczos-steps", "40", "--probes", "4", "--slq-steps", "40", "--slq-starts", "1", "--out", tmp.File("fisher"), "--json");
        Assert.True(fisher.Code == 0, fisher.Error);
        using (var loaded = Checkpoint.Load(tmp.Path))
        using (var split = Basin.Data.DataCatalog.Load(Mixture))
        using (var op = new Basin.Operators.EmpiricalFisherOperator(loaded.Run.Model, Basin.Operators.CurvatureData.FromBatch(split.Train.Features, split.Train.Labels)))
        using (var dense = Basin.Tests.Operators.DenseReference.Matrix(op))
        {
            double top = TorchSharp.torch.linalg.eigvalsh(dense.to(TorchSharp.torch.ScalarType.Float64)).max().item<double>();
            double reported = JsonDocument.Parse(fisher.Out).RootElement.GetProperty("top")[0].GetProperty("eigenvalue").GetDouble();
            Assert.True(Math.Abs(reported - top) < 1e-4 * top, $"Fisher λ1 {reported} vs dense {top}");
        }
        Assert.Contains("--matrix must be hessian, ggn or fisher", CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--matrix", "gn").Error);

        var missing = CliRunner.Run("spectrum");
        Assert.Equal(2, missing.Code);
        Assert.Contains("--checkpoint DIR is required", missing.Error);
        var layer = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--layer", "9");
        Assert.Equal(2, layer.Code);
        Assert.Contains("no parameters in layer '9'", layer.Error);
        var steps = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--top", "10", "--lanczos-steps", "5");
        Assert.Equal(2, steps.Code);
        Assert.Contains("more steps", steps.Error);
    }

    [Fact]
    public void BudgetScalesTheRunDownAndSaysSo()
    {
        using var tmp = new TempFolder();
        TrainTiny(tmp.Path);
        var full = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--json");
        Assert.True(full.Code == 0, full.Error);
        Assert.Contains("cost: 248 products (Hutchinson 8 for Tr and Tr A², SLQ 4×50, deflated by up to 10 pairs from at most 40 steps, which give the top eigenvalues)", full.Error);
        Assert.DoesNotContain("scaled to fit", full.Error);
        var small = CliRunner.Run("spectrum", "--checkpoint", tmp.Path, "--budget", "0.001", "--json");
        Assert.True(small.Code == 0, small.Error);
        Assert.Contains("scaled to fit --budget", small.Error);
        using var a = JsonDocument.Parse(full.Out);
        using var b = JsonDocument.Parse(small.Out);
        Assert.True(b.RootElement.GetProperty("products").GetInt64() < a.RootElement.GetProperty("products").GetInt64() / 4, "the budget did not shrink the run");
        Assert.True(b.RootElement.GetProperty("trace").GetProperty("standard_error").GetDouble() > a.RootElement.GetProperty("trace").GetProperty("standard_error").GetDouble(),
            "fewer probes must report a larger standard error");
    }
}

public class SpectrumSettingsTests
{
    [Theory]
    [InlineData(0.5)]
    [InlineData(0.1)]
    [InlineData(0.001)]
    public void ScaledSettingsFitTheFactorAndKeepTheMinimums(double factor)
    {
        var s = new Basin.Studies.SpectrumSettings();
        var scaled = s.Scaled(factor);
        scaled.Validate();
        Assert.True(scaled.Products <= Math.Max(s.Products * factor, 6 + 4 + 2 + 2) + 1, $"{scaled.Products} products for factor {factor} of {s.Products}");
        Assert.True(scaled.LanczosSteps > scaled.Top && scaled.TraceProbes >= 2 && scaled.SlqSteps >= 2 && scaled.SlqStarts >= 1);
        if (factor >= 0.1) Assert.True(scaled.SlqStarts >= 2, "SLQ should keep two starts while it can");
        Assert.Equal(s, s.Scaled(1));
    }

    [Fact]
    public void UnderAPrecisionTargetTheLeastProductsAreEachEstimatorsMinimum()
    {
        // Defaults: the deflation run's 10 pairs and one step more, 8 probes, SLQ 3 starts × 10 steps; the top eigenvalues from the deflation.
        var target = new Basin.Studies.SpectrumSettings(RelativeTolerance: 0.05);
        Assert.Equal(11 + 8 + 30, target.LeastProducts);
        Assert.Equal(40 + 8 + 200, target.Products);
        // Undeflated, the top eigenvalues come from the first SLQ start while it has as many steps as their Lanczos run, else from 5 steps of their own.
        Assert.Equal(8 + 30, (target with { Deflate = 0 }).LeastProducts);
        Assert.Equal(5 + 8 + 30, (target with { Deflate = 0, SlqSteps = 20 }).LeastProducts);
        Assert.Equal(4 + 2 * 10, (target with { Deflate = 0, TraceProbes = 4, SlqStarts = 2 }).LeastProducts);
        // Without a target every count is spent.
        var counts = new Basin.Studies.SpectrumSettings();
        Assert.Equal(counts.Products, counts.LeastProducts);
    }
}
