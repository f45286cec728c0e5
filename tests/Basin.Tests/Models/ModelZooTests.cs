using Basin.Models;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Models;

public class ModelZooTests
{
    private static readonly long[] Gray28 = [1, 28, 28];
    private static readonly long[] Rgb32 = [3, 32, 32];

    [Theory]
    // Each count is the architecture's published or hand-derived count:
    [InlineData("softmax", 1, 28, 7_850)]                 // 784·10 + 10
    [InlineData("mlp:784-256-256-10", 1, 28, 269_322)]    // 784·256+256 + 256·256+256 + 256·10+10
    [InlineData("lenet5", 1, 28, 61_706)]                 // LeCun et al. 1998 (with a 10-way linear output)
    [InlineData("lenet5", 3, 32, 62_006)]                 // 300 more weights in the first conv
    [InlineData("cnn6", 3, 32, 815_434)]                  // seed 001 App. E: Σ (9·in·out + out) + 192·10 + 10
    [InlineData("resnet20", 3, 32, 269_722)]              // He et al. 2016: "0.27M"; the exact count of option-A ResNet-20
    [InlineData("wrn:28-10", 3, 32, 36_479_194)]          // Zagoruyko & Komodakis 2016: "36.5M"; reference implementation's exact count
    [InlineData("wrn:16-4", 3, 32, 2_748_890)]            // "2.7M"
    [InlineData("vgg16bn", 3, 32, 14_728_266)]            // conv 14 714 688 + BN 8 448 + linear 5 130
    public void ParameterCountsMatchTheArchitectures(string spec, long channels, long size, long expected)
    {
        using var model = ModelZoo.Create(spec, [channels, size, size], 10, seed: 0);
        Assert.Equal(expected, model.ParameterCount);
    }

    [Fact]
    public void ToyModelsHaveTheirPapersParameterCounts()
    {
        using var linear = ModelZoo.Create("deeplinear:3", [1], 2, seed: 0);
        Assert.Equal(3, linear.ParameterCount);
        Assert.Equal(LossKind.Exponential, linear.Loss);
        using var shared = ModelZoo.Create("shared-sigmoid", [2], 2, seed: 0);
        Assert.Equal(2, shared.ParameterCount);
    }

    [Theory]
    [InlineData("mlp:784-32-7:tanh", 1, 28)]
    [InlineData("lenet5", 1, 28)]
    [InlineData("resnet:8", 3, 32)]
    [InlineData("wrn:10-1", 3, 32)]
    public void ForwardGivesOneLogitPerClass(string spec, long channels, long size)
    {
        using var model = ModelZoo.Create(spec, [channels, size, size], 7, seed: 1);
        model.Module.eval();
        using var x = randn(2, channels, size, size);
        using var y = model.Module.forward(x);
        Assert.Equal(new long[] { 2, 7 }, y.shape);
    }

    [Fact]
    public void SameSeedGivesIdenticalWeightsAndAnotherSeedDoesNot()
    {
        using var a = ModelZoo.Create("lenet5", Gray28, 10, seed: 42);
        using var b = ModelZoo.Create("lenet5", Gray28, 10, seed: 42);
        using var c = ModelZoo.Create("lenet5", Gray28, 10, seed: 43);
        var pa = a.Module.parameters().ToArray();
        var pb = b.Module.parameters().ToArray();
        var pc = c.Module.parameters().ToArray();
        for (int i = 0; i < pa.Length; i++) Assert.True(pa[i].eq(pb[i]).all().item<bool>(), $"parameter {i} differs for the same seed");
        Assert.Contains(Enumerable.Range(0, pa.Length), i => !pa[i].eq(pc[i]).all().item<bool>());
    }

    [Fact]
    public void ParameterNamesFollowThePyTorchModules()
    {
        using var mlp = ModelZoo.Create("mlp:784-256-256-10", Gray28, 10, seed: 0);
        Assert.Equal(["1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"], mlp.Module.named_parameters().Select(p => p.name));
        Assert.Contains("nn.Linear(784, 256)", mlp.PyTorchEquivalent);
        using var resnet = ModelZoo.Create("resnet20", Rgb32, 10, seed: 0);
        var names = resnet.Module.state_dict().Keys.ToHashSet();
        Assert.Contains("conv1.weight", names);
        Assert.Contains("layer2.0.bn1.running_mean", names);
        Assert.Contains("layer3.2.conv2.weight", names);
        Assert.Contains("fc.bias", names);
    }

    [Theory]
    [InlineData("mlp:100-10", "first width must be the input size 784")]
    [InlineData("mlp:784-x-10", "not a list of positive widths")]
    [InlineData("resnet:21", "6n + 2")]
    [InlineData("transformer", "unknown model")]
    [InlineData("softmax:3", "takes no options")]
    public void BadSpecsSayWhatWouldBeRight(string spec, string fragment)
    {
        var e = Assert.Throws<FormatException>(() => ModelZoo.Create(spec, Gray28, 10, seed: 0));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void ImageModelsRefuseFlatData()
    {
        var e = Assert.Throws<FormatException>(() => ModelZoo.Create("resnet20", [784], 10, seed: 0));
        Assert.Contains("takes images", e.Message);
    }
}
