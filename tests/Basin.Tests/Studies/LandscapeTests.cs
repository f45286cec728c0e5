using Basin.Data;
using Basin.Models;
using Basin.Studies;
using Basin.Studies.Plotting;
using Basin.Tests.Cli;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Studies;

public class LandscapeTests
{
    [Fact]
    public void LandscapeAroundAModelIsCentredOnItsLossAndRestoresTheWeights()
    {
        using var data = Synthetic.GaussianMixture(4, 3, 80, seed: 2);
        using var model = ModelZoo.Create("mlp:4-6-3", [4], 3, seed: 1);
        var before = model.Module.parameters().Select(p => p.detach().clone()).ToArray();
        var landscape = LossLandscape.Around(model, data, points: 5, radius: 0.5, seed: 3);
        Assert.Equal(5, landscape.X.Length);
        Assert.Equal(Evaluation.Evaluate(model, data).Loss, landscape.Loss[2][2], 6);
        Assert.True(landscape.Loss.SelectMany(r => r).Distinct().Count() > 5, "the loss does not vary over the plane");
        var after = model.Module.parameters().ToArray();
        for (int i = 0; i < before.Length; i++) Assert.True(after[i].eq(before[i]).all().item<bool>(), "weights not restored");
    }

    [Fact]
    public void ToyLandscapeIsOverTheTwoParameters()
    {
        using var split = DataCatalog.Load("gaussians3");
        using var model = ModelZoo.Create("shared-sigmoid", [2], 2, seed: 0);
        var landscape = LossLandscape.OverParameters(model, split.Train, points: 9, lo: -2, hi: 2);
        var w = model.Module.parameters().Select(p => p.item<float>()).ToArray();
        Assert.Equal(w[0], landscape.Center[0], 6);
        Assert.Equal(-2, landscape.X[0]);
        Assert.Equal(2, landscape.Y[^1]);
        using var toModel = ModelZoo.Create("mlp:2-3-2", [2], 2, seed: 0);
        Assert.Throws<ArgumentException>(() => LossLandscape.OverParameters(toModel, split.Train));
    }

    [Fact]
    public void HeatmapIsWrittenAsPngAndSvg()
    {
        using var tmp = new TempFolder();
        var values = new double[3, 4];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) values[i, j] = 1 + i * j;
        new HeatmapPlot("t", "x", "y", [0, 1, 2], [0, 1, 2, 3], values, logScale: true) { Marker = (1, 1) }.Save(tmp.File("h"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(tmp.File("h.png"))[..4]);
        Assert.Contains("<svg", File.ReadAllText(tmp.File("h.svg")));
        Assert.Throws<ArgumentException>(() => new HeatmapPlot("t", "x", "y", [0, 1], [0, 1, 2], values).Save(tmp.File("bad")));
    }

    [Fact]
    public void LandscapeCommandWritesCsvAndPlot()
    {
        using var tmp = new TempFolder();
        var train = CliRunner.Run("train", "--data", "mixture:d=4,k=3,n=100", "--model", "mlp:4-6-3", "--epochs", "2", "--out", tmp.Path);
        Assert.Equal(0, train.Code);
        var (code, output, error) = CliRunner.Run("landscape", "--checkpoint", tmp.Path, "--points", "5");
        Assert.True(code == 0, error);
        Assert.Contains("loss from", output);
        Assert.Equal(26, File.ReadAllLines(Path.Combine(tmp.Path, "landscape", "landscape.csv")).Length);
        Assert.True(new FileInfo(Path.Combine(tmp.Path, "landscape", "landscape.png")).Length > 1000);
        Assert.Equal(2, CliRunner.Run("landscape").Code);
    }
}
