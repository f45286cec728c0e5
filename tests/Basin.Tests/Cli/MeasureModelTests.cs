using System.Text.Json;
using Basin.Tests.BadInput;
using Xunit;

namespace Basin.Tests.Cli;

/// <summary><c>basin measure --model</c>: models basin did not train (TorchScript, or zoo weights from PyTorch).</summary>
public class MeasureModelTests
{
    private const string Mixture = "mixture:d=4,k=3,n=60";

    private static JsonElement Metric(string json, string id) =>
        JsonDocument.Parse(json).RootElement.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("id").GetString() == id);

    [Fact]
    public void ATorchScriptModelIsMeasuredOnADataSet()
    {
        string script = Path.Combine(Repository.Root(), "tests", "fixtures", "torchscript", "cnn_bn.pt");
        var run = CliRunner.Run("measure", "--model", "torchscript:" + script, "--data", "fashion-mnist", "--samples", "128", "--metrics", "hessian.trace,fisher.trace", "--json");
        Assert.True(run.Code == 0, run.Error);
        Assert.True(Metric(run.Out, "hessian.trace").GetProperty("value").GetDouble() > 0);
        Assert.StartsWith("loop", Metric(run.Out, "fisher.trace").GetProperty("settings").GetProperty("per_sample_gradients").GetString());
    }

    [Fact]
    public void ZooWeightsFromAFileMeasureLikeTheCheckpointTheyCameFrom()
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, CliRunner.Run("train", "--data", Mixture, "--model", "mlp:4-6-3", "--epochs", "2", "--out", tmp.File("run")).Code);
        var fromCheckpoint = CliRunner.Run("measure", "--checkpoint", tmp.File("run"), "--samples", "0", "--metrics", "hessian.trace,ggn.top_eigenvalue", "--json");
        var fromWeights = CliRunner.Run("measure", "--model", "mlp:4-6-3", "--weights", tmp.File("run/model.safetensors"), "--data", Mixture, "--samples", "0", "--metrics", "hessian.trace,ggn.top_eigenvalue", "--json");
        Assert.True(fromWeights.Code == 0, fromWeights.Error);
        foreach (var id in new[] { "hessian.trace", "ggn.top_eigenvalue" })
            Assert.Equal(Metric(fromCheckpoint.Out, id).GetProperty("value").GetDouble(), Metric(fromWeights.Out, id).GetProperty("value").GetDouble());
    }

    [Fact]
    public void TheSpectrumOfATorchScriptModel()
    {
        using var tmp = new TempFolder();
        string script = Path.Combine(Repository.Root(), "tests", "fixtures", "torchscript", "mlp.pt");
        var run = CliRunner.Run("spectrum", "--model", "torchscript:" + script, "--data", "fashion-mnist", "--samples", "64", "--top", "2", "--lanczos-steps", "20",
            "--slq-steps", "10", "--slq-starts", "1", "--probes", "4", "--out", tmp.File("spectrum"), "--json");
        Assert.True(run.Code == 0, run.Error);
        Assert.Equal(3190, JsonDocument.Parse(run.Out).RootElement.GetProperty("parameters").GetInt64());
        Assert.True(File.Exists(tmp.File("spectrum/spectrum.csv")));
        BadInputAssert.OneLine(CliRunner.Run("spectrum", "--model", "torchscript:" + script, "--data", "fashion-mnist"), 2, "--model needs --out");
    }

    /// <summary>
    /// <c>--loss mse</c> on softmax regression f = Wx + b: the per-sample Hessian of ½‖f − e_y‖² is I_K ⊗ x̃x̃ᵀ with
    /// x̃ = (x, 1), whatever the weights, so Tr H = Tr G = K·mean(‖x‖² + 1) and λ₁ = λ_max(mean x̃x̃ᵀ) (K-fold), computed
    /// here in float64 from the data alone. Under cross-entropy the same weights give other numbers.
    /// </summary>
    [Fact]
    public void MeanSquaredErrorLossOfAModelMatchesTheLinearClosedForm()
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, CliRunner.Run("train", "--data", Mixture, "--model", "softmax", "--epochs", "2", "--out", tmp.File("run")).Code);
        string[] model = ["--model", "softmax", "--weights", tmp.File("run/model.safetensors"), "--data", Mixture, "--samples", "0", "--probes", "4000",
            "--metrics", "ggn.trace,hessian.top_eigenvalue", "--json"];
        var mse = CliRunner.Run(["measure", .. model, "--loss", "mse"]);
        Assert.True(mse.Code == 0, mse.Error);
        var ce = CliRunner.Run(["measure", .. model]);

        using var split = Basin.Data.DataCatalog.Load(Mixture);
        var x = split.Train.Features.to_type(TorchSharp.torch.ScalarType.Float64).data<double>().ToArray();
        int n = split.Train.Count, d = x.Length / n, k = split.Train.NumClasses;
        var moment = new double[d + 1, d + 1];
        for (int i = 0; i < n; i++)
            for (int a = 0; a <= d; a++)
                for (int b = 0; b <= d; b++)
                    moment[a, b] += (a < d ? x[i * d + a] : 1) * (b < d ? x[i * d + b] : 1) / n;
        double trace = k * Enumerable.Range(0, d + 1).Sum(a => moment[a, a]);
        using var momentTensor = TorchSharp.torch.tensor(moment.Cast<double>().ToArray(), [d + 1, d + 1], TorchSharp.torch.ScalarType.Float64);
        double lambdaMax = TorchSharp.torch.linalg.eigvalsh(momentTensor).max().item<double>();

        var g = Metric(mse.Out, "ggn.trace");
        double estimate = g.GetProperty("value").GetDouble(), se = g.GetProperty("standard_error").GetDouble();
        Assert.True(Math.Abs(estimate - trace) <= 4 * se && se < 0.05 * trace, $"Tr G (mse) {estimate} ± {se} vs closed form {trace}");
        double top = Metric(mse.Out, "hessian.top_eigenvalue").GetProperty("value").GetDouble();
        Assert.True(Math.Abs(top - lambdaMax) <= 1e-4 * lambdaMax, $"λ₁ (mse) {top} vs λ_max(mean x̃x̃ᵀ) {lambdaMax}");
        Assert.True(Math.Abs(Metric(ce.Out, "hessian.top_eigenvalue").GetProperty("value").GetDouble() - top) > 0.1 * top, "cross-entropy should differ");
        BadInputAssert.OneLine(CliRunner.Run(["measure", .. model, "--loss", "hinge"]), 2, "--loss must be ce");
        BadInputAssert.OneLine(CliRunner.Run("measure", "--checkpoint", tmp.File("run"), "--loss", "mse"), 2, "--loss needs --model");
    }

    [Fact]
    public void TheLossLandscapeOfATorchScriptModel()
    {
        using var tmp = new TempFolder();
        string script = Path.Combine(Repository.Root(), "tests", "fixtures", "torchscript", "cnn_bn.pt");
        string[] args = ["landscape", "--model", "torchscript:" + script, "--data", "fashion-mnist", "--points", "3", "--samples", "64"];
        var first = CliRunner.Run([.. args, "--out", tmp.File("a")]);
        Assert.True(first.Code == 0, first.Error);
        var rows = File.ReadAllLines(tmp.File("a/landscape.csv"));
        Assert.Equal(10, rows.Length);
        // The weights are put back after the grid: a second run draws the same landscape.
        Assert.Equal(0, CliRunner.Run([.. args, "--out", tmp.File("b")]).Code);
        Assert.Equal(rows, File.ReadAllLines(tmp.File("b/landscape.csv")));
        BadInputAssert.OneLine(CliRunner.Run(args), 2, "--model needs --out");
    }

    [Theory]
    [InlineData(2, "--model needs --data", "--model", "mlp:4-3")]
    [InlineData(2, "give --checkpoint or --model, not both", "--model", "mlp:4-3", "--checkpoint", "x", "--data", Mixture)]
    [InlineData(2, "--weights needs --model", "--checkpoint", "x", "--weights", "w.safetensors")]
    [InlineData(2, "torchscript: /no/such.pt does not exist", "--model", "torchscript:/no/such.pt", "--data", Mixture)]
    [InlineData(2, "--weights: /no/such.safetensors does not exist", "--model", "mlp:4-3", "--weights", "/no/such.safetensors", "--data", Mixture)]
    public void BadModelArgumentsAreOneLine(int code, string fragment, params string[] args) =>
        BadInputAssert.OneLine(CliRunner.Run(["measure", .. args]), code, fragment);
}
