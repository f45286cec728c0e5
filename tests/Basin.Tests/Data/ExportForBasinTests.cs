using System.Diagnostics;
using System.Text.Json;
using Basin.Data;
using Basin.Models;
using Basin.Operators;
using Basin.Tests.BadInput;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Basin.Tests.Data;

/// <summary>
/// A PyTorch user's path end to end: tools/export_for_basin.py, run with Debian's PyTorch (scripts/setup.sh --test installs
/// python3-torch), exports a CNN with batch norm trained on Normalize'd images and the samples as they reach it; Basin reads
/// the pair and computes what PyTorch computed for it in float64.
/// </summary>
public class ExportForBasinTests
{
    private const string Python = "/usr/bin/python3";

    private static JsonElement Export(TempFolder tmp)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: run scripts/setup.sh --test (it installs python3-torch)");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(Repository.Root(), "tools", "export_for_basin.py"), "--demo", tmp.Path }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd(), error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"export_for_basin.py failed (python3-torch installed? scripts/setup.sh --test): {error}");
        Assert.Contains("basin measure --model torchscript:", output);
        return JsonDocument.Parse(File.ReadAllText(tmp.File("reference.json"))).RootElement;
    }

    [Fact]
    public void TheExportedModelAndSamplesGiveWhatPyTorchComputed()
    {
        using var tmp = new TempFolder();
        var reference = Export(tmp);
        double Ref(string key) => reference.GetProperty(key).GetDouble();
        using var scope = NewDisposeScope();
        // Library, float64 on both sides: loss, gradient, one Hessian-vector product, the dense Hessian's trace.
        using var split = DataCatalog.Load("tensors:" + tmp.File("data.safetensors"));
        Assert.Equal(reference.GetProperty("samples").GetInt32(), (int)split.Train.Count);
        using var model = ModelZoo.Create(TorchScriptModels.Prefix + tmp.File("model.pt"), split.Train.SampleShape, split.Train.NumClasses, seed: 0);
        model.Module.to(ScalarType.Float64);
        using var hessian = new HessianOperator(model, CurvatureData.FromBatch(split.Train.Features.to(ScalarType.Float64), split.Train.Labels));
        Assert.Equal(reference.GetProperty("parameters").GetInt64(), hessian.Dimension);
        void Close(string what, double ours, double theirs, double tolerance) =>
            Assert.True(Math.Abs(ours - theirs) <= tolerance * Math.Max(1, Math.Abs(theirs)), $"{what}: {ours:R} in Basin, {theirs:R} in PyTorch");
        Close("mean cross-entropy", hessian.Loss(), Ref("loss"), 1e-9);
        Close("gradient norm", hessian.Gradient().norm().item<double>(), Ref("gradient_norm"), 1e-9);
        var v = cos(arange(hessian.Dimension, dtype: ScalarType.Float64) * 0.1);
        var hv = hessian.Apply(v);
        Close("v·Hv", v.dot(hv).item<double>(), Ref("vhv"), 1e-9);
        Close("‖Hv‖", hv.norm().item<double>(), Ref("hv_norm"), 1e-9);
        Close("Tr H", Operators.DenseReference.Matrix(hessian).trace().item<double>(), Ref("hessian_trace"), 1e-9);

        // The command line, float32 as a user runs it: the loss and λ₁ to float precision, Tr H within 4 standard errors
        // (capped at 5% of PyTorch's value, so an inflated error bar cannot pass).
        var run = BasinProcess.Run("measure", "--model", "torchscript:" + tmp.File("model.pt"), "--data", "tensors:" + tmp.File("data.safetensors"),
            "--samples", "0", "--metrics", "baseline.train_loss,hessian.top_eigenvalue,hessian.trace", "--probes", "1000", "--json");
        Assert.True(run.Code == 0, run.Error);
        var metrics = JsonDocument.Parse(run.Out).RootElement.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Close("CLI loss", metrics["baseline.train_loss"].GetProperty("value").GetDouble(), Ref("loss"), 1e-6);
        Close("CLI λ₁", metrics["hessian.top_eigenvalue"].GetProperty("value").GetDouble(), Ref("top_eigenvalue"), 1e-5);
        double trace = metrics["hessian.trace"].GetProperty("value").GetDouble(), se = metrics["hessian.trace"].GetProperty("standard_error").GetDouble();
        Assert.True(Math.Abs(trace - Ref("hessian_trace")) <= Math.Min(4 * se, 0.05 * Ref("hessian_trace")), $"CLI Tr H {trace} ± {se}, PyTorch {Ref("hessian_trace")}");
    }
}
