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
        var run = CliRunner.Run("spectrum", "--model", "torchscript:" + script, "--data", "fashion-mnist", "--samples", "64", "--top", "2", "--steps", "20",
            "--slq-steps", "10", "--slq-starts", "1", "--probes", "4", "--out", tmp.File("spectrum"), "--json");
        Assert.True(run.Code == 0, run.Error);
        Assert.Equal(3190, JsonDocument.Parse(run.Out).RootElement.GetProperty("parameters").GetInt64());
        Assert.True(File.Exists(tmp.File("spectrum/spectrum.csv")));
        BadInputAssert.OneLine(CliRunner.Run("spectrum", "--model", "torchscript:" + script, "--data", "fashion-mnist"), 2, "--model needs --out");
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
