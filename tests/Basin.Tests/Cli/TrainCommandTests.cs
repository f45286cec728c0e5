using System.Text.Json;
using Basin.IO;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Cli;

public class TrainCommandTests
{
    private const string Mixture = "mixture:d=6,k=3,n=200";

    [Fact]
    public void TrainWritesCheckpointWeightsAndLog()
    {
        using var tmp = new TempFolder();
        var (code, output, error) = CliRunner.Run("train", "--data", Mixture, "--model", "mlp:6-16-3", "--epochs", "3", "--out", tmp.Path, "--json");
        Assert.True(code == 0, error);
        using var summary = JsonDocument.Parse(output);
        Assert.Equal(3, summary.RootElement.GetProperty("epochs").GetInt32());
        Assert.True(summary.RootElement.GetProperty("test_accuracy").GetDouble() > 0.8, output);
        Assert.Equal(4, File.ReadAllLines(tmp.File("log.csv")).Length);
        using var weights = Safetensors.Load(tmp.File("model.safetensors"));
        Assert.Equal(["1.bias", "1.weight", "3.bias", "3.weight"], weights.Tensors.Keys.Order());
        Assert.Equal(3, error.Split('\n').Count(l => l.StartsWith("epoch", StringComparison.Ordinal)));
    }

    [Fact]
    public void ResumeFinishesAnInterruptedRunWithTheSameResult()
    {
        using var straight = new TempFolder();
        using var interrupted = new TempFolder();
        string[] args = ["train", "--data", Mixture, "--model", "mlp:6-16-3", "--epochs", "3", "--seed", "4", "--schedule", "cosine", "--json"];
        var full = CliRunner.Run([.. args, "--out", straight.Path]);
        Assert.Equal(0, full.Code);

        // Interrupt after one epoch: what a kill leaves is the checkpoint of the last finished epoch.
        using (var split = Basin.Data.DataCatalog.Load(Mixture))
        {
            var config = new TrainConfig { Model = "mlp:6-16-3", Data = Mixture, Epochs = 3, Seed = 4, Schedule = "cosine", Optimizer = new(OptimizerKind.Sgd, 0.9) };
            using var run = TrainingRun.Start(config, split.Train);
            run.Train(split.Train, split.Test, untilEpoch: 1);
            Checkpoint.Save(run, interrupted.Path, split.Train.SampleShape, split.Train.NumClasses);
        }
        var resumed = CliRunner.Run("train", "--out", interrupted.Path, "--resume", "--json");
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains("resuming after epoch 1", resumed.Error);
        Assert.Equal(File.ReadAllBytes(straight.File("model.safetensors")), File.ReadAllBytes(interrupted.File("model.safetensors")));
    }

    [Fact]
    public void InfoReportsVersionsDeviceDataAndCompat()
    {
        var (code, output, _) = CliRunner.Run("info", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("0.107.0", root.GetProperty("torchsharp").GetString());
        Assert.StartsWith("2.10", root.GetProperty("libtorch").GetString());
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        // "applied: …" exactly where the system libstdc++ lacks GLIBCXX_3.4.32, "not applied: …" where it has it.
        string compat = root.GetProperty("compat").GetString()!;
        Assert.StartsWith(Native.TorchRuntimeTests.SystemLibStdCxxHasTheVersion() ? "not applied: " : "applied: ", compat);
        Assert.True(root.TryGetProperty("data fashion-mnist", out _));
        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), root.GetProperty("threads").GetString());
        var one = CliRunner.Run("info", "--json", "--threads", "1");
        Assert.True(one.Code == 0, one.Error);
        using var single = JsonDocument.Parse(one.Out);
        Assert.Equal("1", single.RootElement.GetProperty("threads").GetString());
        Assert.Equal(0, CliRunner.Run("info").Code); // back to the default for the tests that follow in this process
    }
}
