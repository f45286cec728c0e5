using Basin.Tests.Cli;
using Basin.Tests.Data;
using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>
/// More of the hostile inputs, one case a row: each must end with exactly one <c>basin: error:</c> line, the
/// right exit code (2 the command line, 1 data, checkpoint or a failed run) and no file written.
/// </summary>
public class MoreBadInputTests
{
    private const string Mixture = "mixture:d=4,k=3,n=60";

    [Theory]
    [InlineData(2, "--probes must be between 2", "--probes", "1")]
    [InlineData(2, "--slq-steps must be between 2", "--slq-steps", "1")]
    [InlineData(2, "--fisher-norms must be unbiased or subsets", "--fisher-norms", "biased")]
    [InlineData(2, "--laplace-probes must be between 2", "--laplace-probes", "0")]
    [InlineData(2, "no metric named", "--metrics", ",")]
    [InlineData(2, "--samples expects a whole number", "--samples", "many")]
    [InlineData(2, "--threads must be between 1", "--threads", "0")]
    [InlineData(2, "--device must be auto, cpu or cuda", "--device", "gpu")]
    [InlineData(2, "--libtorch '/no/such/lib' is not a folder", "--libtorch", "/no/such/lib")]
    [InlineData(1, "no such data set or folder", "--data", "/no/such/data")]
    public void MeasureRefuses(int code, string fragment, params string[] extra)
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, CliRunner.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "1", "--out", tmp.Path).Code);
        BadInputAssert.OneLine(CliRunner.Run(["measure", "--checkpoint", tmp.Path, .. extra]), code, fragment);
    }

    [Theory]
    [InlineData(2, "unknown study axis 'dropout'", "dropout")]
    [InlineData(2, "--preset must be quick, standard or paper, got 'huge'", "weight-decay", "--preset", "huge")]
    [InlineData(2, "--seeds must be between 1 and 100", "weight-decay", "--seeds", "0")]
    [InlineData(2, "name a study axis", "--preset", "quick")]
    [InlineData(2, "--spec: /no/such/spec.json does not exist", "--spec", "/no/such/spec.json")]
    [InlineData(2, "unknown criterion 'test-loss<=1'", "weight-decay", "--until", "test-loss<=1")]
    [InlineData(2, "unknown metric 'sharpness'", "weight-decay", "--metrics", "sharpness")]
    public void StudyRefuses(int code, string fragment, params string[] args)
    {
        using var tmp = new TempFolder();
        string folder = tmp.File("study");
        BadInputAssert.OneLine(CliRunner.Run(["study", .. args, "--data", Mixture, "--model", "mlp:4-3", "--out", folder]), code, fragment);
        Assert.False(Directory.Exists(folder), "a refused study left its folder");
    }

    [Theory]
    [InlineData(2, "--label-noise must be uniform or other", "--random-labels", "0.5", "--label-noise", "pairs")]
    [InlineData(2, "--random-labels must be between 0 and 1", "--random-labels", "1.5")]
    [InlineData(2, "unknown criterion", "--until", "train-loss<0.1")]
    [InlineData(2, "--batch-size must be between 1", "--batch-size", "0")]
    [InlineData(2, "--momentum must be between 0 and 0.9999", "--momentum", "1")]
    [InlineData(2, "--wd must be between 0 and 10", "--wd", "-0.1")]
    [InlineData(2, "--label-smoothing must be between 0 and 0.999", "--label-smoothing", "1")]
    [InlineData(2, "schedule", "--schedule", "step:x")]
    public void TrainRefuses(int code, string fragment, params string[] extra)
    {
        using var tmp = new TempFolder();
        string folder = tmp.File("run");
        BadInputAssert.OneLine(CliRunner.Run(["train", "--data", Mixture, "--model", "mlp:4-3", .. extra, "--out", folder]), code, fragment);
        Assert.False(Directory.Exists(folder), "a refused run left its folder");
    }

    [Theory]
    [InlineData(2, "--checkpoint DIR, --model or --toy is required")]
    [InlineData(2, "--points must be between 2 and 201", "--toy", "--points", "1")]
    [InlineData(2, "--radius must be between", "--toy", "--radius", "0")]
    public void LandscapeRefuses(int code, string fragment, params string[] extra) =>
        BadInputAssert.OneLine(CliRunner.Run(["landscape", .. extra]), code, fragment);

    [Fact]
    public void ATestSetOfAnotherImageShapeIsNamed()
    {
        using var tmp = new TempFolder();
        TestFiles.WriteIdxFolder(tmp.Path, 20, 5, h: 28, w: 28);
        File.WriteAllBytes(tmp.File("t10k-images-idx3-ubyte"), TestFiles.Idx([5, 32, 32], new byte[5 * 32 * 32]));
        BadInputAssert.OneLine(CliRunner.Run("train", "--data", tmp.Path, "--model", "mlp:784-3", "--epochs", "1", "--out", tmp.File("run")), 1, "train images are 1×28×28 but test images are 1×32×32");
        Assert.False(Directory.Exists(tmp.File("run")));
    }

    [Fact]
    public void ACheckpointThatIsNotOneIsNamed()
    {
        using var tmp = new TempFolder();
        Basin.IO.Safetensors.Save(tmp.File("weights.safetensors"), new Dictionary<string, TorchSharp.torch.Tensor> { ["w"] = TorchSharp.torch.zeros(2) });
        BadInputAssert.OneLine(CliRunner.Run("measure", "--checkpoint", tmp.File("weights.safetensors")), 1, "not a Basin checkpoint (a plain weights file? Checkpoint.ImportWeights reads one into a zoo model)");
        BadInputAssert.OneLine(CliRunner.Run("certify", "--checkpoint", tmp.File("weights.safetensors")), 1, "not a Basin checkpoint");
        BadInputAssert.OneLine(CliRunner.Run("spectrum", "--checkpoint", tmp.File("missing")), 2, "does not exist");
    }

    [Fact]
    public void AFileThatIsNotACheckpointAndAPriorSplitThatLeavesNothingAreNamed()
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, CliRunner.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "1", "--out", tmp.Path).Code);
        BadInputAssert.OneLine(CliRunner.Run("measure", "--checkpoint", tmp.File("log.csv")), 1, "log.csv: not a valid safetensors file");
        BadInputAssert.OneLine(CliRunner.Run("certify", "--checkpoint", tmp.Path, "--prior-split", "0.99"), 2, "--prior-split 0.99 leaves fewer than 2 of the 60 training samples");
    }
}
