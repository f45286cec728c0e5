using Basin.Models;
using Basin.Operators;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Models;

/// <summary>
/// A script recognised as torchvision's ResNet runs as native layers (issue 27): on PyTorch-made scripts with torchvision's
/// names and forward (tools/make_resnet_fixtures.py), the native model computes the script's outputs and gradients, its
/// per-sample gradients come by the batched method and equal the loop's; a script with those names but another forward
/// stays a script.
/// </summary>
public class ScriptedResNetTests
{
    private static string Fixture(string name) => TorchScriptTests.Fixture(name);

    private static (Tensor X, Tensor Y) Batch(int n)
    {
        using var generator = new Generator(3);
        return (randn([n, 1, 28, 28], generator: generator), randint(0, 10, [n], generator: generator));
    }

    [Theory]
    [InlineData("tv_resnet.pt")]
    [InlineData("tv_resnet_small.pt")]
    public void ARecognisedResNetComputesTheScriptsOutputsAndGradientsAsNativeLayers(string file)
    {
        using var scope = NewDisposeScope();
        using var model = TorchScriptModels.Load(Fixture(file), [1, 28, 28], 10);
        Assert.Contains("recognised as torchvision's ResNet", model.PyTorchEquivalent);
        using var script = jit.load(Fixture(file));
        script.eval();
        model.Module.eval();
        var (x, y) = Batch(12);
        var expected = (Tensor)script.call(x);
        var actual = model.Module.call(x);
        Assert.True((expected - actual).abs().max().item<float>() <= 1e-5f * expected.abs().max().item<float>(), "logits differ from the script's");
        // The gradient of the mean cross-entropy, parameter by parameter in the same order and under the same names.
        var scriptParameters = script.named_parameters().ToArray();
        var nativeParameters = model.Module.named_parameters().ToArray();
        Assert.Equal(scriptParameters.Select(p => p.name), nativeParameters.Select(p => p.name));
        var g1 = autograd.grad([nn.functional.cross_entropy((Tensor)script.call(x), y)], scriptParameters.Select(p => (Tensor)p.parameter).ToArray());
        var g2 = autograd.grad([nn.functional.cross_entropy(model.Module.call(x), y)], nativeParameters.Select(p => (Tensor)p.parameter).ToArray());
        for (int i = 0; i < g1.Count; i++)
            Assert.True((g1[i] - g2[i]).abs().max().item<float>() <= 1e-5f * Math.Max(g1[i].abs().max().item<float>(), 1e-6f), $"gradient of {scriptParameters[i].name} differs");
    }

    [Fact]
    public void ItsPerSampleGradientsComeByTheBatchedMethodAndEqualTheLoops()
    {
        using var scope = NewDisposeScope();
        using var model = TorchScriptModels.Load(Fixture("tv_resnet.pt"), [1, 28, 28], 10);
        model.Module.eval();
        var parameters = model.Module.named_parameters().ToArray();
        var (x, y) = Batch(6);
        var (batched, method) = PerSampleGradients.Compute(model, parameters, x, y);
        var (loop, loopMethod) = PerSampleGradients.Compute(model, parameters, x, y, forceLoop: true);
        Assert.Equal(PerSampleMethod.Batched, method);
        Assert.Equal(PerSampleMethod.Loop, loopMethod);
        double scale = loop.abs().max().item<float>();
        Assert.True((batched - loop).abs().max().item<float>() <= 1e-4 * scale, "batched per-sample gradients differ from the loop's");
    }

    [Fact]
    public void TorchvisionsNamesWithAnotherForwardStayAScript()
    {
        using var model = TorchScriptModels.Load(Fixture("tv_resnet_tweaked.pt"), [1, 28, 28], 10);
        Assert.DoesNotContain("recognised", model.PyTorchEquivalent);
        Assert.All(model.Module.named_parameters(), p => Assert.StartsWith("script.", p.name));
        Assert.False(TorchScriptModels.NativeTwins("off"));
        Assert.Throws<FormatException>(() => TorchScriptModels.NativeTwins("yes"));
    }
}
