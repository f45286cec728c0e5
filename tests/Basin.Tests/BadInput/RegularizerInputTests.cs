using Basin.IO;
using Basin.Tests.Cli;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.BadInput;

/// <summary>Step methods and iterate averaging: bad names, keys and values, and damaged saved state.</summary>
public class RegularizerInputTests
{
    private const string Mixture = "mixture:d=4,k=3,n=60";

    [Theory]
    [InlineData("unknown regularizer 'sharp'; known: none, trace, fisher, perturbed, sam, asam", "--regularizer", "sharp")]
    [InlineData("regularizer sam has no key 'rh'; keys: rho", "--regularizer", "sam:rh=1")]
    [InlineData("regularizer fisher: beta must be in [0, 10000], got 1e9", "--regularizer", "fisher:beta=1e9")]
    [InlineData("regularizer trace: eta must be a number, got 'NaN'", "--regularizer", "trace:eta=NaN")]
    [InlineData("--swa-start must be an epoch between 1 and --epochs (2)", "--swa-start", "3")]
    public void BadSettingsAreOneLineAndTrainNothing(string fragment, params string[] args)
    {
        using var tmp = new TempFolder();
        BadInputAssert.OneLine(CliRunner.Run(["train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "2", "--out", tmp.File("run"), .. args]), 2, fragment);
        Assert.False(Directory.Exists(tmp.File("run")), "a refused run left its folder");
    }

    [Fact]
    public void ABadRegularizerInAStudySpecNamesTheModel()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), $$"""
            { "name": "s", "preset": "test", "metrics": "hessian.trace", "measure_samples": 20,
              "models": [
                { "name": "a", "config": { "model": "mlp:4-3", "data": "{{Mixture}}", "regularizer": "asam:rho=-2" }, "coordinates": { "r": "asam" } },
                { "name": "b", "config": { "model": "mlp:4-3", "data": "{{Mixture}}" }, "coordinates": { "r": "plain" } } ] }
            """);
        BadInputAssert.OneLine(CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("out")), 1, "regularizer asam: rho must be in [0, 100], got -2");
        Assert.False(Directory.Exists(tmp.File("out")));
    }

    [Theory]
    [InlineData("perturbed", "regularizer.h", "part of its state")]
    [InlineData("perturbed", "regularizer.g_previous=nan", "NaN or infinite")]
    [InlineData("perturbed", "regularizer.w_previous=short", "its state has 3 entries")]
    [InlineData("none --swa-start 1", "average.1.weight", "iterate average does not match")]
    public void DamagedSavedStateIsRefusedOnResume(string method, string damage, string fragment)
    {
        using var tmp = new TempFolder();
        var parts = method.Split(' ');
        Assert.Equal(0, CliRunner.Run(["train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "1", "--out", tmp.Path, "--regularizer", .. parts]).Code);
        string file = tmp.File(Checkpoint.FileName);
        using (var content = Safetensors.Load(file))
        {
            var tensors = new Dictionary<string, Tensor>(content.Tensors);
            var (key, how) = damage.Contains('=') ? (damage.Split('=')[0], damage.Split('=')[1]) : (damage, "drop");
            Assert.True(tensors.ContainsKey(key), $"the checkpoint holds no '{key}': {string.Join(", ", tensors.Keys)}");
            if (how == "drop") tensors.Remove(key);
            else if (how == "nan") tensors[key] = full_like(tensors[key], double.NaN);
            else tensors[key] = tensors[key].narrow(0, 0, 3);
            Safetensors.Save(file, tensors, content.Metadata);
        }
        BadInputAssert.OneLine(CliRunner.Run("train", "--out", tmp.Path, "--resume"), 1, fragment);
    }
}
