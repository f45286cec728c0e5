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

    /// <summary>Runs Debian's Python on <paramref name="args"/>; its standard output.</summary>
    private static string RunPython(params string[] args)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: run scripts/setup.sh --test (it installs python3-torch)");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.Combine(Repository.Root(), "tools") };
        start.Environment["PYTHONPATH"] = Path.Combine(Repository.Root(), "tools");
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python failed (python3-torch installed? scripts/setup.sh --test): {error.Result}");
        return output;
    }

    private static JsonElement Export(TempFolder tmp)
    {
        Assert.Contains("basin measure --model torchscript:", RunPython(Path.Combine(Repository.Root(), "tools", "export_for_basin.py"), "--demo", tmp.Path));
        return JsonDocument.Parse(File.ReadAllText(tmp.File("reference.json"))).RootElement;
    }

    [Fact]
    public void AModelReturningATupleListOrDictIsReadAtTheNamedOutputOrRefusedInOneLine()
    {
        using var tmp = new TempFolder();
        // One Linear(4, 3) saved four ways: alone, first of a tuple, second of a list, under "logits" in a dict; and the
        // dict model exported through export(..., output="logits").
        File.WriteAllText(tmp.File("make.py"), $$"""
            import sys, torch, torch.nn as nn
            from typing import Dict, List, Tuple
            from export_for_basin import export
            torch.manual_seed(0)
            linear = nn.Linear(4, 3)
            class T(nn.Module):
                def __init__(self): super().__init__(); self.l = linear
                def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]: return self.l(x), x.sum(1)
            class L(nn.Module):
                def __init__(self): super().__init__(); self.l = linear
                def forward(self, x) -> List[torch.Tensor]: return [x.sum(1), self.l(x)]
            class D(nn.Module):
                def __init__(self): super().__init__(); self.l = linear
                def forward(self, x) -> Dict[str, torch.Tensor]: return {"aux": x.sum(1), "logits": self.l(x)}
            out = sys.argv[1]
            torch.jit.script(linear).save(out + "/plain.pt")
            torch.jit.script(T()).save(out + "/tuple.pt")
            torch.jit.script(L()).save(out + "/list.pt")
            torch.jit.script(D()).save(out + "/dict.pt")
            data = torch.utils.data.TensorDataset(torch.randn(8, 4), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
            export(D(), torch.utils.data.DataLoader(data, batch_size=4), torch.utils.data.DataLoader(data, batch_size=4), out + "/wrapped", samples=8, output="logits")
            """);
        RunPython(tmp.File("make.py"), tmp.Path);
        string[] Measure(string script, params string[] extra) =>
            ["measure", "--model", "torchscript:" + tmp.File(script), "--data", "mixture:d=4,k=3,n=60", "--samples", "0", "--metrics", "hessian.trace,baseline.train_loss", "--json", .. extra];
        double Trace(string script, params string[] extra)
        {
            var run = BasinProcess.Run(Measure(script, extra));
            Assert.True(run.Code == 0, run.Error);
            return JsonDocument.Parse(run.Out).RootElement.GetProperty("metrics")[0].GetProperty("value").GetDouble();
        }
        double plain = Trace("plain.pt");
        Assert.Equal(plain, Trace("tuple.pt", "--output", "0"));
        Assert.Equal(plain, Trace("list.pt", "--output", "1"));
        Assert.Equal(plain, Trace("wrapped/model.pt"));
        BadInputAssert.OneLine(BasinProcess.Run(Measure("tuple.pt")), 2, "returns a tuple of 2 outputs: name the logits' position with --output INDEX");
        BadInputAssert.OneLine(BasinProcess.Run(Measure("list.pt", "--output", "0")), 2, "maps one sample of 4 to [1]");
        BadInputAssert.OneLine(BasinProcess.Run(Measure("dict.pt")), 2, "export(..., output=\"KEY\")");
        BadInputAssert.OneLine(BasinProcess.Run(Measure("plain.pt", "--output", "1")), 2, "returns one tensor: --output is for a tuple or list");
        BadInputAssert.OneLine(BasinProcess.Run(Measure("list.pt", "--output", "x")), 2, "--output must be the position");
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
