using Basin.Tests.Cli;
using Basin.IO;
using Basin.Training;
using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>Inputs that were accepted silently before: each now ends in one clear line, the right exit code and nothing written.</summary>
public class ValidationTests
{
    private const string Mixture = "mixture:d=4,k=3,n=60";

    private static string Spec(string modelName, string configKey) => $$"""
        { "name": "s", "preset": "test", "metrics": "hessian.trace", "measure_samples": 20,
          "models": [
            { "name": "{{modelName}}", "config": { "model": "mlp:4-3", "data": "{{Mixture}}", "{{configKey}}": 2 }, "coordinates": { "a": "1" } },
            { "name": "b", "config": { "model": "mlp:4-3", "data": "{{Mixture}}", "epochs": 2 }, "coordinates": { "a": "2" } } ] }
        """;

    [Fact]
    public void AMisspeltSpecKeyIsNamedWithTheNearestOne()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Spec("a", "epochz"));
        BadInputAssert.OneLine(BasinProcess.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("out")), 1, "unknown key 'epochz'; did you mean 'epochs'?");
        Assert.False(Directory.Exists(tmp.File("out")), "a refused study left its folder");
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".hidden")]
    public void ModelNamesCannotLeaveTheStudyFolder(string name)
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Spec(name, "epochs"));
        BadInputAssert.OneLine(BasinProcess.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("out")), 1, "not start with '.'");
        Assert.False(Directory.Exists(tmp.File("out")));
    }

    [Fact]
    public void ACheckpointWhoseSavedConfigIsInvalidIsRefusedOnResume()
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "2", "--out", tmp.Path).Code);
        string file = tmp.File(Checkpoint.FileName);
        using (var content = Safetensors.Load(file))
        {
            var meta = new Dictionary<string, string>(content.Metadata) { ["config"] = content.Metadata["config"].Replace("\"learning_rate\":0.05", "\"learning_rate\":-1") };
            Assert.Contains("-1", meta["config"]);
            Safetensors.Save(file, content.Tensors, meta);
        }
        var before = File.ReadAllBytes(file);
        BadInputAssert.OneLine(BasinProcess.Run("train", "--out", tmp.Path, "--resume"), 1, "saved training config is invalid (--lr must be a positive number");
        Assert.Equal(before, File.ReadAllBytes(file));
    }

    [Fact]
    public void SettingsAreNotShrunkSilently()
    {
        using var tmp = new TempFolder();
        BadInputAssert.OneLine(BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--subset", "1000", "--out", tmp.File("run")), 2, "--subset 1000 is more than the 60 training samples");
        Assert.False(Directory.Exists(tmp.File("run")));
        Assert.Equal(0, BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "1", "--out", tmp.Path).Code);
        BadInputAssert.OneLine(BasinProcess.Run("measure", "--checkpoint", tmp.Path, "--metrics", "fisher.trace", "--samples", "50"), 2, "subsets of N′ = 100 samples but only 50 are measured");
        Assert.Equal(0, BasinProcess.Run("measure", "--checkpoint", tmp.Path, "--metrics", "hessian.trace", "--samples", "50").Code);
    }

    private static string TrainedCheckpoint(TempFolder tmp)
    {
        Assert.Equal(0, BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "2", "--out", tmp.Path).Code);
        return tmp.File(Checkpoint.FileName);
    }

    [Theory]
    [InlineData("format", "basin-checkpoint-2", "a Basin checkpoint of format basin-checkpoint-2, which this Basin (basin-checkpoint-1) does not read")]
    [InlineData("optimizer.steps", "-5", "the optimiser's step count '-5' is not a non-negative integer")]
    [InlineData("optimizer.steps", "many", "the optimiser's step count 'many' is not a non-negative integer")]
    [InlineData("optimizer.steps", "0", "its optimiser step count is 0 after 2 epoch(s)")]
    public void CheckpointMetadataIsValidatedWithItsOwnWords(string key, string value, string fragment)
    {
        using var tmp = new TempFolder();
        string file = TrainedCheckpoint(tmp);
        using (var content = Safetensors.Load(file))
            Safetensors.Save(file, content.Tensors, new Dictionary<string, string>(content.Metadata) { [key] = value });
        BadInputAssert.OneLine(BasinProcess.Run("train", "--out", tmp.Path, "--resume"), 1, fragment);
    }

    [Theory]
    [InlineData("average.", "the checkpoint's iterate average holds integer values")]
    [InlineData("optimizer.", "holds Int64 values where the optimiser keeps floating-point buffers")]
    public void CheckpointStateOfAnIntegerDtypeIsRefused(string prefix, string fragment)
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "2", "--swa-start", "1", "--out", tmp.Path).Code);
        string file = tmp.File(Checkpoint.FileName);
        using (var content = Safetensors.Load(file))
        {
            var key = content.Tensors.Keys.First(k => k.StartsWith(prefix, StringComparison.Ordinal));
            content.Tensors[key] = content.Tensors[key].mul(1000).to(TorchSharp.torch.ScalarType.Int64);
            Safetensors.Save(file, content.Tensors, content.Metadata);
        }
        BadInputAssert.OneLine(BasinProcess.Run("measure", "--checkpoint", tmp.Path, "--metrics", "hessian.trace", "--samples", "20"), 1, fragment);
    }

    [Fact]
    public void AnOptimizerStateThatLostABufferOrHoldsNaNIsRefused()
    {
        using var tmp = new TempFolder();
        string file = TrainedCheckpoint(tmp);
        using (var content = Safetensors.Load(file))
        {
            var lost = content.Tensors.Keys.First(k => k.StartsWith("optimizer.momentum_buffer.", StringComparison.Ordinal));
            Safetensors.Save(file, content.Tensors.Where(p => p.Key != lost).ToDictionary(), content.Metadata);
        }
        BadInputAssert.OneLine(BasinProcess.Run("train", "--out", tmp.Path, "--resume"), 1, "is missing: resuming would restart it from zero");

        using var other = new TempFolder();
        string second = TrainedCheckpoint(other);
        using (var content = Safetensors.Load(second))
        {
            var key = content.Tensors.Keys.First(k => k.StartsWith("optimizer.", StringComparison.Ordinal));
            content.Tensors[key].view(-1)[0] = TorchSharp.torch.tensor(float.NaN);
            Safetensors.Save(second, content.Tensors, content.Metadata);
        }
        BadInputAssert.OneLine(BasinProcess.Run("train", "--out", other.Path, "--resume"), 1, "holds NaN or infinite values");
    }

    [Theory]
    [InlineData("{}", "damaged result")]
    [InlineData("{\"name\":\"a\"}", "damaged result")]
    public void DamagedSavedResultsAreNamedNotInvented(string json, string fragment)
    {
        using var tmp = new TempFolder();
        var spec = new Basin.Studies.StudySpec
        {
            Name = "s", Preset = "test", Metrics = "hessian.trace", MeasureSamples = 20,
            Models = [new("a", new TrainConfig { Model = "mlp:4-3", Data = Mixture, Epochs = 1 }, new() { ["x"] = "1" }), new("b", new TrainConfig { Model = "mlp:4-3", Data = Mixture, Epochs = 1, Seed = 1 }, new() { ["x"] = "2" })],
        };
        Basin.Studies.StudyRunner.Run(spec, tmp.Path);
        File.WriteAllText(Path.Combine(tmp.Path, "models", "a", "result.json"), json);
        BadInputAssert.OneLine(BasinProcess.Run("study", "--report-only", "--out", tmp.Path), 1, fragment);
    }

    [Theory]
    [InlineData("name", "\"b\"", "it is the result of model 'b', but its folder is model 'a''s")]
    [InlineData("test_error", "-5", "'test_error' is -5, not a number in [0, 1]")]
    [InlineData("train_error", "1.5", "'train_error' is 1.5, not a number in [0, 1]")]
    [InlineData("test_loss", "\"NaN\"", "'test_loss' is NaN, not a number in [0, ∞]")]
    [InlineData("test_loss", "\"Infinity\"", "'test_loss' is Infinity, not a number")]
    [InlineData("config.epochs", "7", "its training config is not the one study.json gives model 'a'")]
    public void SavedResultsThatContradictTheStudyAreRefused(string field, string value, string fragment)
    {
        using var tmp = new TempFolder();
        var spec = new Basin.Studies.StudySpec
        {
            Name = "s", Preset = "test", Metrics = "hessian.trace", MeasureSamples = 20,
            Models = [new("a", new TrainConfig { Model = "mlp:4-3", Data = Mixture, Epochs = 1 }, new() { ["x"] = "1" }), new("b", new TrainConfig { Model = "mlp:4-3", Data = Mixture, Epochs = 1, Seed = 1 }, new() { ["x"] = "2" })],
        };
        Basin.Studies.StudyRunner.Run(spec, tmp.Path);
        string path = Path.Combine(tmp.Path, "models", "a", "result.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var parts = field.Split('.');
        var target = parts.Length == 2 ? node[parts[0]]!.AsObject() : node;
        target[parts[^1]] = System.Text.Json.Nodes.JsonNode.Parse(value);
        File.WriteAllText(path, node.ToJsonString());
        var before = Directory.GetFiles(tmp.Path, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);
        BadInputAssert.OneLine(BasinProcess.Run("study", "--report-only", "--out", tmp.Path), 1, fragment);
        // Nothing rewritten: the report of the untouched results stays as it was.
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key)));
    }

    [Theory]
    [InlineData("hessian.trace")]
    [InlineData("hessian.trace,ggn.trace")]
    public void AMetricWithoutAFiniteValueIsNamedNotDropped(string metrics)
    {
        using var tmp = new TempFolder();
        var spec = new Basin.Studies.StudySpec
        {
            Name = "s", Preset = "test", Metrics = metrics, MeasureSamples = 20,
            Models = [new("a", new TrainConfig { Model = "mlp:4-3", Data = Mixture, Epochs = 1 }, new() { ["x"] = "1" }), new("b", new TrainConfig { Model = "mlp:4-3", Data = Mixture, Epochs = 1, Seed = 1 }, new() { ["x"] = "2" })],
        };
        Basin.Studies.StudyRunner.Run(spec, tmp.Path);
        string path = Path.Combine(tmp.Path, "models", "a", "result.json");
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        node["metrics"]![0]!["value"] = "NaN";
        File.WriteAllText(path, node.ToJsonString());
        var run = BasinProcess.Run("study", "--report-only", "--out", tmp.Path);
        Assert.True(run.Code == 0, run.Error);
        Assert.Contains("Not ranked: hessian.trace (no finite value on 1 of 2 models: a (NaN)).", File.ReadAllText(Path.Combine(tmp.Path, "report.md")));
    }

    [Fact]
    public void SyntheticSetsTooLargeToGenerateAreRefused() =>
        BadInputAssert.OneLine(BasinProcess.Run("train", "--data", "mixture:d=100000,k=3,n=100000", "--model", "mlp:100000-3"), 1, "more than Basin generates");

    [Fact]
    public void AStudyWithABadModelWritesNothingSoTheCorrectedCommandRuns()
    {
        using var tmp = new TempFolder();
        string folder = tmp.File("study");
        BadInputAssert.OneLine(BasinProcess.Run("study", "weight-decay", "--preset", "quick", "--data", Mixture, "--model", "mlp:5-3", "--out", folder), 2, "first width must be the input size 4");
        Assert.False(Directory.Exists(folder), "the refused study left its folder (and study.json) behind");
        BadInputAssert.OneLine(BasinProcess.Run("study", "weight-decay", "--preset", "quick", "--data", "/no/such/data", "--out", folder), 1, "no such data set or folder");
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void AnOutputThatCannotBeWrittenIsFoundBeforeTheWork()
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-3", "--epochs", "1", "--out", tmp.File("run")).Code);
        File.WriteAllText(tmp.File("afile"), "x");
        var spectrum = BasinProcess.Run("spectrum", "--checkpoint", tmp.File("run"), "--out", tmp.File("afile"));
        BadInputAssert.OneLine(spectrum, 1, "is a file, not a folder");
        Assert.DoesNotContain("cost:", spectrum.Error); // refused before timing a single product
        BadInputAssert.OneLine(BasinProcess.Run("landscape", "--checkpoint", tmp.File("run"), "--out", tmp.File("afile")), 1, "is a file, not a folder");
        Assert.Equal("x", File.ReadAllText(tmp.File("afile")));
    }

    [Fact]
    public void ABadModelInASpecFileIsTheFilesFault()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Spec("a", "epochs").Replace("mlp:4-3", "mlp:5-3"));
        BadInputAssert.OneLine(BasinProcess.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("out")), 1, "model 'a': ");
        Assert.False(Directory.Exists(tmp.File("out")));
    }
}
