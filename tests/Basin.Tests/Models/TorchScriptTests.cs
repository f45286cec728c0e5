using System.Text.Json;
using Basin.Estimators;
using Basin.Models;
using Basin.Operators;
using Basin.Tests.Operators;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Models;

/// <summary>
/// TorchScript models made by PyTorch (tools/make_fixtures.py) against values PyTorch computed for them on its own:
/// the first test of the curvature engine against another implementation.
/// </summary>
public class TorchScriptTests
{
    /// <summary>A file of tests/fixtures/torchscript.</summary>
    internal static string Fixture(string name) => Path.Combine(Repository.Root(), "tests", "fixtures", "torchscript", name);

    /// <summary>The fixed batch of tools/make_fixtures.py: x[n, 0, i, j] = sin(0.37 n + 0.011 (28 i + j)), y[n] = 3n mod 10.</summary>
    private static (Tensor X, Tensor Y) Batch(int n)
    {
        var index = arange(n, dtype: ScalarType.Float64).view(n, 1, 1, 1);
        var pixel = arange(784, dtype: ScalarType.Float64).view(1, 1, 28, 28);
        return (sin(index * 0.37 + pixel * 0.011), arange(n, dtype: ScalarType.Int64).mul(3).remainder(10));
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn_bn")]
    [InlineData("custom_forward")]
    public void CurvatureMatchesWhatPyTorchComputed(string name)
    {
        using var scope = NewDisposeScope();
        var reference = JsonDocument.Parse(File.ReadAllText(Fixture("references.json"))).RootElement.GetProperty("models").GetProperty(name);
        double Ref(string key) => reference.GetProperty(key).GetDouble();
        using var model = ModelZoo.Create(TorchScriptModels.Prefix + Fixture(name + ".pt"), [1, 28, 28], 10, seed: 0);
        model.Module.to(ScalarType.Float64);
        var (x, y) = Batch(reference.GetProperty("samples").GetInt32());
        using var hessian = new HessianOperator(model, CurvatureData.FromBatch(x, y));
        Assert.Equal(reference.GetProperty("parameters").GetInt64(), hessian.Dimension);
        void Close(string what, double ours, double theirs, double tolerance = 1e-9) =>
            Assert.True(Math.Abs(ours - theirs) <= tolerance * Math.Max(1, Math.Abs(theirs)), $"{name}: {what} {ours:R} in Basin, {theirs:R} in PyTorch");
        Close("mean cross-entropy", hessian.Loss(), Ref("loss"));
        Close("gradient norm", hessian.Gradient().norm().item<double>(), Ref("gradient_norm"));
        var v = cos(arange(hessian.Dimension, dtype: ScalarType.Float64) * 0.1);
        var hv = hessian.Apply(v);
        Close("‖Hv‖", hv.norm().item<double>(), Ref("hvp_norm"));
        Close("v·Hv", v.dot(hv).item<double>(), Ref("v_dot_hvp"));
        var dense = DenseReference.Matrix(hessian);
        Close("Tr H", dense.trace().item<double>(), Ref("hessian_trace"));
        var top = Lanczos.TopEigenvalues(hessian, k: 1, steps: Math.Min(80, (int)hessian.Dimension), seed: 1);
        Close("λ₁ (Lanczos)", top.Values[0], Ref("hessian_top_eigenvalue"), 1e-7);
    }

    [Fact]
    public void BadScriptsAreOneClearError()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("garbage.pt"), [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Contains("is not a TorchScript archive", Assert.Throws<FormatException>(() => ModelZoo.Create(TorchScriptModels.Prefix + tmp.File("garbage.pt"), [1, 28, 28], 10, 0)).Message);
        Assert.Contains("does not exist", Assert.Throws<FormatException>(() => ModelZoo.Create(TorchScriptModels.Prefix + tmp.File("none.pt"), [1, 28, 28], 10, 0)).Message);
        Assert.Contains("not to the 3 logits", Assert.Throws<FormatException>(() => ModelZoo.Create(TorchScriptModels.Prefix + Fixture("mlp.pt"), [1, 28, 28], 3, 0)).Message);
        Assert.Contains("cannot run on samples of 4", Assert.Throws<FormatException>(() => ModelZoo.Create(TorchScriptModels.Prefix + Fixture("mlp.pt"), [4], 10, 0)).Message);
    }
}
