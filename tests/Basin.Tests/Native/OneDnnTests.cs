using Basin.Native;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Native;

public class OneDnnTests
{
    [Fact]
    public void Float32ConvolutionGradientsMatchFloat64AfterTheRuntimeLoaded()
    {
        // On a CPU where oneDNN's backward-data is wrong (13–80% on the AMD EPYC VM of 2026-12-01), the self-check at load
        // time turned it off; where it is right it stays on. Either way a CNN's float32 gradients must be right.
        Assert.True(OneDnn.InputGradientError() < 1e-4, $"conv input gradient rel err {OneDnn.InputGradientError():G3} ({TorchRuntime.Status.Convolutions})");
        using var scope = NewDisposeScope();
        using var model = Basin.Models.ModelZoo.Create("lenet5", [1, 28, 28], 10, seed: 1);
        using var generator = new Generator(2);
        var x = randn([8, 1, 28, 28], generator: generator);
        var y = randint(0, 10, [8], ScalarType.Int64, generator: generator);
        var parameters = model.Module.parameters().ToArray();
        var g32 = autograd.grad([Basin.Models.Losses.Mean(model.Loss, model.Module.forward(x), y)], parameters);
        model.Module.to(ScalarType.Float64);
        var p64 = model.Module.parameters().ToArray();
        var g64 = autograd.grad([Basin.Models.Losses.Mean(model.Loss, model.Module.forward(x.to(ScalarType.Float64)), y)], p64);
        for (int i = 0; i < g32.Count; i++)
        {
            double err = ((g32[i].to(ScalarType.Float64) - g64[i]).norm() / g64[i].norm()).item<double>();
            Assert.True(err < 1e-4, $"LeNet-5 gradient of parameter {i} ({string.Join("×", g64[i].shape)}), float32 vs float64: rel err {err:G3}");
        }
    }

    [Fact]
    public void TheSwitchIsReachableAndTheCheckSaysWhatItDid()
    {
        bool? before = OneDnn.Enabled;
        Assert.NotNull(before); // libtorch_cpu's export was found
        Assert.Contains("oneDNN", TorchRuntime.Status.Convolutions);
        try
        {
            OneDnn.Enabled = false;
            Assert.False(OneDnn.Enabled);
            Assert.True(OneDnn.InputGradientError() < 1e-4, "libtorch's own kernels give the float64 gradient");
        }
        finally
        {
            OneDnn.Enabled = before;
        }
        Assert.Equal(before, OneDnn.Enabled);
    }
}
