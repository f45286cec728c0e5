using Basin.IO;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.BadInput;

/// <summary>Checkpoints a user can hand <c>certify</c> (and <c>train --resume</c>) that were read silently or crashed.</summary>
public class CheckpointInputTests
{
    private const string Mixture = "mixture:d=6,k=3,n=400";

    [Theory]
    [InlineData("int")]
    [InlineData("nan")]
    [InlineData("shape")]
    public void ACorruptedInitialWeightsTensorIsRefused(string damage)
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:6-8-3:relu", "--epochs", "1", "--out", tmp.Path).Code);
        string file = tmp.File(Checkpoint.FileName);
        using (var content = Safetensors.Load(file))
        {
            var key = content.Tensors.Keys.First(k => k.StartsWith("initial.", StringComparison.Ordinal) && k.EndsWith("weight", StringComparison.Ordinal));
            var t = content.Tensors[key];
            content.Tensors[key] = damage switch
            {
                "int" => t.mul(1000).to(ScalarType.Int64),
                "nan" => t.clone().index_fill_(0, tensor(new long[] { 0 }), double.NaN),
                _ => t.reshape(-1),
            };
            Safetensors.Save(file, content.Tensors, content.Metadata);
        }
        var before = File.ReadAllBytes(file);
        string fragment = damage switch
        {
            "int" => "holds Int64 values where initial weights are floating-point",
            "nan" => "holds NaN or infinite values",
            _ => "has shape [",
        };
        BadInputAssert.OneLine(BasinProcess.Run("certify", "--checkpoint", tmp.Path, "--prior-split", "0"), 1, fragment);
        // A resumed run would carry them into its next checkpoint: refused the same way, the file untouched.
        BadInputAssert.OneLine(BasinProcess.Run("train", "--out", tmp.Path, "--resume"), 1, fragment);
        Assert.Equal(before, File.ReadAllBytes(file));
    }

    [Fact]
    public void ANetworkThatIsNotAClassifierIsRefused()
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, BasinProcess.Run("train", "--data", "mixture:d=1,k=2,n=100", "--model", "deeplinear:3", "--epochs", "1", "--lr", "0.01", "--out", tmp.Path).Code);
        BadInputAssert.OneLine(BasinProcess.Run("certify", "--checkpoint", tmp.Path), 2, "is not a classifier with one output per class");
    }

}
