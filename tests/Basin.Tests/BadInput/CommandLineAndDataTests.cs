using Basin.Tests.Cli;
using System.Diagnostics;
using Basin.IO;
using Basin.Tests.Data;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.BadInput;

/// <summary>Every bad input ends with one clear line on standard error and a non-zero exit, never a crash.</summary>
public class CommandLineAndDataTests
{
    private const string Mixture = "mixture:d=4,k=3,n=60";

    [Theory]
    [InlineData(2, "unknown command 'fly'", "fly")]
    [InlineData(2, "unknown option --learning-rate", "train", "--learning-rate", "0.1")]
    [InlineData(2, "--lr expects a number, got 'abc'", "train", "--lr", "abc")]
    [InlineData(2, "--lr must be between", "train", "--lr", "-1")]
    [InlineData(2, "--epochs must be between 1 and", "train", "--epochs", "0")]
    [InlineData(2, "--lr needs a value", "train", "--lr")]
    [InlineData(2, "--optimizer must be sgd, adam or adamw, got 'nadam'", "train", "--data", Mixture, "--optimizer", "nadam")]
    [InlineData(2, "unknown schedule 'warmup'", "train", "--data", Mixture, "--schedule", "warmup")]
    [InlineData(2, "unknown augmentation 'rotate'", "train", "--data", Mixture, "--augment", "rotate")]
    [InlineData(2, "--device must be auto, cpu or cuda", "train", "--data", Mixture, "--model", "mlp:4-3", "--device", "tpu")]
    [InlineData(2, "unknown model 'transformer'", "train", "--data", Mixture, "--model", "transformer")]
    [InlineData(2, "first width must be the input size 4", "train", "--data", Mixture, "--model", "mlp:784-10")]
    [InlineData(2, "takes images", "train", "--data", Mixture, "--model", "resnet20")]
    [InlineData(1, "no such data set or folder", "train", "--data", "/no/such/data")]
    [InlineData(1, "expected mixture:d=D,k=K,n=N", "train", "--data", "mixture:d=4,k=1,n=5")]
    [InlineData(2, "--resume needs --out", "train", "--resume")]
    [InlineData(2, "--lr is given twice", "train", "--lr", "0.1", "--lr", "0.2")]
    public void CommandLineMistakes(int code, string fragment, params string[] args) =>
        BadInputAssert.OneLine(CliRunner.Run(args), code, fragment);

    [Fact]
    public void TruncatedDataFileIsNamed()
    {
        using var tmp = new TempFolder();
        TestFiles.WriteIdxFolder(tmp.Path, 20, 5, h: 28, w: 28);
        var images = tmp.File("train-images-idx3-ubyte");
        File.WriteAllBytes(images, File.ReadAllBytes(images)[..5000]);
        BadInputAssert.OneLine(CliRunner.Run("train", "--data", tmp.Path, "--epochs", "1"), 1, "train-images-idx3-ubyte: truncated");
    }

    [Fact]
    public void EmptyDataSetIsRefused()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("train-images-idx3-ubyte"), TestFiles.Idx([0, 28, 28], []));
        File.WriteAllBytes(tmp.File("train-labels-idx1-ubyte"), TestFiles.Idx([0], []));
        BadInputAssert.OneLine(CliRunner.Run("train", "--data", tmp.Path), 1, "empty data set");
    }

    [Fact]
    public void ExistingCheckpointIsNotOverwrittenWithoutResume()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File(Checkpoint.FileName), "precious");
        BadInputAssert.OneLine(CliRunner.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--out", tmp.Path), 2, "already holds a checkpoint");
        Assert.Equal("precious", File.ReadAllText(tmp.File(Checkpoint.FileName)));
    }

    [Fact]
    public void ResumeFromMissingOrCorruptCheckpointIsRefused()
    {
        using var tmp = new TempFolder();
        BadInputAssert.OneLine(CliRunner.Run("train", "--out", tmp.Path, "--resume"), 2, "holds no checkpoint.safetensors");
        File.WriteAllBytes(tmp.File(Checkpoint.FileName), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        BadInputAssert.OneLine(CliRunner.Run("train", "--out", tmp.Path, "--resume"), 1, "not a valid safetensors file");
    }

    [Fact]
    public void CheckpointWithNaNWeightsIsRefused()
    {
        using var tmp = new TempFolder();
        var config = new TrainConfig { Model = "mlp:4-3", Data = Mixture, Epochs = 2 };
        using (var split = Basin.Data.DataCatalog.Load(Mixture))
        using (var run = TrainingRun.Start(config, split.Train))
        {
            run.Train(split.Train, split.Test, untilEpoch: 1);
            using (no_grad()) run.Model.Module.parameters().First()[0, 0] = tensor(float.NaN);
            Checkpoint.Save(run, tmp.Path, split.Train.SampleShape, split.Train.NumClasses);
        }
        BadInputAssert.OneLine(CliRunner.Run("train", "--out", tmp.Path, "--resume"), 1, "NaN");
    }

    [Fact]
    public void DivergedRunLeavesNoHalfWrittenFolder()
    {
        using var tmp = new TempFolder();
        string outDir = tmp.File("run");
        BadInputAssert.OneLine(CliRunner.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--lr", "1e6", "--wd", "1", "--momentum", "0", "--batch-size", "4", "--out", outDir), 1, "training diverged");
        Assert.False(Directory.Exists(outDir), "the run folder of a failed first epoch was left behind");
    }

    [Fact]
    public void TheProcessExitsNonZeroWithOneLine()
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Basin.Cli.dll"), "train", "--data", "/no/such/data"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", stdout);
        Assert.Equal("basin: error: /no/such/data: no such data set or folder; known names: fashion-mnist, mnist, gaussians3, mixture:d=D,k=K,n=N, tensors:PATH", stderr.Trim());
    }
}
