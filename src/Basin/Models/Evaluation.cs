using Basin.Data;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>A model against a data set: whether the data fits it, and its mean loss and error rate.</summary>
public static class Evaluation
{
    /// <summary>Throws a clear error if <paramref name="data"/> does not fit <paramref name="model"/> (libtorch would abort the process).</summary>
    /// <exception cref="ArgumentException">The sample shape or the number of classes does not fit.</exception>
    public static void CheckFits(Model model, Dataset data)
    {
        if (!data.SampleShape.SequenceEqual(model.InputShape))
            throw new ArgumentException($"{data.Name} has samples of {Dataset.Shape(data.SampleShape)} but model {model.Spec} takes {Dataset.Shape(model.InputShape)}");
        if (model.Loss != LossKind.Exponential && data.NumClasses > model.Outputs)
            throw new ArgumentException($"{data.Name} has {data.NumClasses} classes but model {model.Spec} has {model.Outputs} outputs");
    }

    /// <summary>
    /// Runs <paramref name="model"/> on the first few samples of <paramref name="data"/> before any work: a model Basin did not
    /// build (a script) may raise on real data, return another shape, or return NaN; each is one clear line here instead of
    /// an internal error or a table of NaN later.
    /// </summary>
    /// <exception cref="ArgumentException">The forward raised (its own error text), or its outputs are misshapen or not finite.</exception>
    public static void CheckOutputs(Model model, Dataset data, int samples = 8)
    {
        CheckFits(model, data);
        int n = Math.Min(samples, data.Count);
        if (n == 0) return;
        using var mode = new ModeScope(model.Module, train: false);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor output;
        try
        {
            output = model.Module.forward(data.Features.narrow(0, 0, n).to(model.Module.parameters().First().device));
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidCastException or InvalidOperationException)
        {
            throw new ArgumentException($"model {model.Spec} fails on the first {n} samples of {data.Name}: {ScriptMessage(e.Message)}", e);
        }
        long outputs = model.Loss == LossKind.Exponential ? 1 : model.Outputs;
        if (output.shape.Length != 2 || output.shape[0] != n || output.shape[1] != outputs)
            throw new ArgumentException($"model {model.Spec} maps {n} samples of {data.Name} to [{string.Join(", ", output.shape)}], not to [{n}, {outputs}]");
        if (!isfinite(output).all().item<bool>())
            throw new ArgumentException($"model {model.Spec} returns NaN or infinite outputs on the first {n} samples of {data.Name}: every metric of it would be NaN");
    }

    /// <summary>
    /// The line of a libtorch or TorchScript error that says what failed: the interpreter's message opens with "The following
    /// operation failed in the TorchScript interpreter." and ends with the error itself (e.g. "RuntimeError: shape '[1, 784]'
    /// is invalid for input of size 6272"), which is the one kept; a one-line message is kept whole.
    /// </summary>
    public static string ScriptMessage(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length <= 1) return lines.FirstOrDefault() ?? "";
        var error = lines.LastOrDefault(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^[A-Za-z_.]*(Error|Exception)\b.*:"));
        return error is null ? lines[0] : $"{error} ({lines[0].TrimEnd('.')})";
    }

    /// <summary>Mean loss and error rate of <paramref name="model"/> on <paramref name="data"/>, in eval mode, losses summed in float64.</summary>
    /// <exception cref="ArgumentException">The data set is empty or does not fit the model.</exception>
    public static (double Loss, double Error) Evaluate(Model model, Dataset data, int batchSize = 1000)
    {
        if (data.Count == 0) throw new ArgumentException($"{data.Name} is empty: nothing to evaluate");
        CheckFits(model, data);
        using var mode = new ModeScope(model.Module, train: false);
        using var noGrad = no_grad();
        double lossSum = 0;
        long errors = 0;
        var device = model.Module.parameters().First().device;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var x = data.Features.narrow(0, start, n).to(device);
            var y = data.Labels.narrow(0, start, n).to(device);
            var output = model.Module.forward(x);
            lossSum += Losses.Mean(model.Loss, output, y).to(ScalarType.Float64).item<double>() * n;
            errors += Losses.Errors(model.Loss, output, y);
        }
        return (lossSum / data.Count, (double)errors / data.Count);
    }
}
