using System.Text.Json;
using Basin.Benchmark;
using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.Benchmark;

public class BenchmarkDesignTests
{
    [Theory]
    [InlineData("quick", 16, 3)]
    [InlineData("standard", 256, 6)]
    public void PresetsAreFullFactorialsWithOneAxisPairs(string preset, int models, int axes)
    {
        var design = BenchmarkDesign.FromPreset(preset);
        var spec = design.Build();
        Assert.Equal(models, spec.Models.Count);
        Assert.Equal(axes, design.Axes.Count);
        Assert.Equal(spec.Models.Count, spec.Models.Select(m => m.Name).Distinct().Count());
        // Every model has a partner differing in exactly one axis, for every axis (full factorial).
        foreach (var m in spec.Models)
            foreach (var axis in design.Axes.Keys)
                Assert.Contains(spec.Models, o => o.Coordinates[axis] != m.Coordinates[axis] && o.Coordinates.Where(c => c.Key != axis).All(c => m.Coordinates[c.Key] == c.Value));
        // Each data set draws its subsets from its pool, so the rest of its training split is unseen by the population.
        Assert.All(spec.Models, m => Assert.Equal(design.Pools[m.Config.Data], m.Config.TrainPool));
        Assert.All(spec.Models, m => Assert.Equal(design.Criterion, m.Config.Until));
    }

    [Fact]
    public void AxesSetWhatTheySay()
    {
        var spec = new BenchmarkDesign
        {
            Data = ["mnist"], Axes = new() { ["depth"] = [1, 3], ["width"] = [32, 64] },
            Fixed = new() { ["weight-decay"] = 1e-4, ["learning-rate"] = 0.03, ["batch-size"] = 64, ["train-size"] = 700, ["label-noise"] = 0.3 },
        }.Build();
        var deep = spec.Models.Single(m => m.Coordinates["depth"] == "3" && m.Coordinates["width"] == "32").Config;
        Assert.Equal("mlp:784-32-32-32-10", deep.Model);
        Assert.Equal((1e-4, 0.03, 64, 700, 0.3), (deep.Optimizer.WeightDecay, deep.LearningRate, deep.BatchSize, deep.TrainSubset, deep.UniformLabels));
        Assert.Equal("mlp:784-64-10", spec.Models.Single(m => m.Coordinates["depth"] == "1" && m.Coordinates["width"] == "64").Config.Model);
    }

    [Theory]
    [InlineData("""{"axes": {"colour": [1, 2]}}""", "unknown benchmark axis 'colour'")]
    [InlineData("""{"axes": {"width": [64]}}""", "axis width needs at least two levels")]
    [InlineData("""{"axes": {"width": [64, 128]}, "data": ["cifar"]}""", "data set 'cifar'")]
    [InlineData("""{"axes": {"label-noise": [0, 1.5]}}""", "label-noise levels must be in [0, 1]")]
    [InlineData("""{"axes": {"width": [64, 128]}, "fixed": {"train-size": 20000}}""", "training pool must hold the subset")]
    public void BadDesignsGetOneLine(string json, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => BenchmarkDesign.FromJson(json).Build());
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void TheCommandRefusesABadSpecWithOneLine()
    {
        using var tmp = new TempFolder();
        string file = Path.Combine(tmp.Path, "design.json");
        File.WriteAllText(file, """{"axes": {"width": [64, 128]}, "seeds": 2, "colour": 1}""");
        var (code, _, error) = CliRunner.Run("benchmark", "--spec", file, "--out", Path.Combine(tmp.Path, "b"));
        Assert.NotEqual(0, code);
        Assert.StartsWith("basin: error:", error);
        Assert.Contains("colour", error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "b")), "nothing written");
        Assert.Throws<JsonException>(() => BenchmarkDesign.FromJson("[1, 2]"));
        // --out naming a file: one line, before any training.
        var (fileCode, _, fileError) = CliRunner.Run("benchmark", "--preset", "quick", "--out", file);
        Assert.NotEqual(0, fileCode);
        Assert.StartsWith($"basin: error: --out {file} is a file", fileError);
        Assert.Single(fileError.TrimEnd().Split('\n'));
    }
}
