using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// Any PyTorch model saved as TorchScript (<c>torch.jit.script(model).save(path)</c> or <c>torch.jit.trace</c>) as a
/// Basin <see cref="Model"/>: the model spec <c>torchscript:PATH</c>. Its parameters, train/eval mode and forward
/// are the script's own, so every operator, estimator and metric runs on it through autograd; per-sample gradients
/// fall back to the loop (a script's layers are opaque to the batched method) — except for a script recognised as
/// torchvision's ResNet, which runs as native layers with its weights once they are checked to compute its outputs
/// (<see cref="ScriptedResNet"/>; <c>BASIN_SCRIPT_NATIVE=off</c> keeps the script). The loss is softmax cross-entropy.
/// A script whose forward returns a tuple or list is read at one position, <c>torchscript:PATH#output=INDEX</c>
/// (<c>--output INDEX</c>); a dict output is not readable through TorchSharp, and the message says how to export a
/// wrapper that returns the logits.
/// </summary>
public static class TorchScriptModels
{
    /// <summary>The prefix of the model spec.</summary>
    public const string Prefix = "torchscript:";

    /// <summary>What selects one output of a tuple or list, after the path.</summary>
    public const string OutputMarker = "#output=";

    /// <summary>Loads the script at <paramref name="path"/> for samples of <paramref name="sampleShape"/> and <paramref name="classes"/> classes.</summary>
    /// <exception cref="FormatException">
    /// No such file, not an intact TorchScript archive (every entry's CRC-32 is checked), no trainable parameters, or outputs
    /// that are not one tensor of logits fitting the data; one line that says which.
    /// </exception>
    public static Model Load(string path, long[] sampleShape, int classes)
    {
        int? output = null;
        int marker = path.LastIndexOf(OutputMarker, StringComparison.Ordinal);
        if (marker >= 0)
        {
            string text = path[(marker + OutputMarker.Length)..];
            output = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) && index < 1000
                ? index : throw new FormatException($"torchscript: --output must be the position (0, 1, …) of the logits in the tuple or list the model returns, got '{text}'");
            path = path[..marker];
        }
        if (!File.Exists(path)) throw new FormatException($"torchscript: {path} does not exist");
        TorchScriptArchive.Verify(path);
        jit.ScriptModule script;
        try
        {
            script = jit.load(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new FormatException($"torchscript: {path} is not a TorchScript archive PyTorch saved ({e.Message.Split('\n')[0]})", e);
        }
        var module = new ScriptedModule(script, output);
        var model = new Model(module, Prefix + path + (output is { } o ? OutputMarker + o : ""), LossKind.CrossEntropy, $"the TorchScript module in {Path.GetFileName(path)}")
        {
            InputShape = sampleShape.ToArray(),
            Outputs = classes,
        };
        try
        {
            if (!module.parameters().Any())
                throw new FormatException($"torchscript: {path} has no trainable parameters (saved as buffers, or frozen by torch.jit.freeze?): there is nothing to take curvature with respect to");
            module.eval();
            long[] shape;
            using (no_grad())
            using (var scope = NewDisposeScope())
            {
                var probe = module.forward(zeros([1, .. sampleShape]));
                shape = probe.shape;
            }
            if (shape.Length != 2 || shape[1] != classes)
                throw new FormatException($"torchscript: {path} maps one sample of {string.Join("×", sampleShape)} to [{string.Join(", ", shape)}], not to the {classes} logits the data's classes need");
            if (!NativeTwins(Environment.GetEnvironmentVariable("BASIN_SCRIPT_NATIVE")) || ScriptedResNet.TryRebuild(script, sampleShape, module.forward) is not { } twin) return model;
            var native = new Model(twin, model.Spec, LossKind.CrossEntropy, $"the TorchScript module in {Path.GetFileName(path)}, recognised as torchvision's ResNet and run as native layers with its weights (outputs checked equal)")
            {
                InputShape = model.InputShape,
                Outputs = classes,
            };
            model.Dispose();
            return native;
        }
        catch (Exception e) when (e is InvalidCastException or ArgumentOutOfRangeException or NotImplementedException or InvalidOperationException)
        {
            model.Dispose();
            string detail = e is InvalidCastException ? e.Message : "returns something TorchSharp cannot read (a dict?)";
            throw new FormatException($"torchscript: {path} {detail}" + (detail.Contains("--output", StringComparison.Ordinal) ? "" : ": Basin needs the [batch, classes] logits — "
                + "a tuple or list is read at --output INDEX; for a dict, export a wrapper that returns the logits (tools/export_for_basin.py: export(..., output=\"KEY\"))"), e);
        }
        catch (Exception e) when (e is not FormatException)
        {
            model.Dispose();
            throw new FormatException($"torchscript: {path} cannot run on samples of {string.Join("×", sampleShape)} ({Evaluation.ScriptMessage(e.Message)})", e);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads <c>BASIN_SCRIPT_NATIVE</c>: unset or <c>on</c> runs a script recognised as a known architecture as native layers
    /// (<see cref="ScriptedResNet"/>: batched per-sample gradients, GEMM convolutions); <c>off</c> keeps the script.
    /// </summary>
    internal static bool NativeTwins(string? setting) => setting switch
    {
        null or "" or "on" => true,
        "off" => false,
        _ => throw new FormatException($"BASIN_SCRIPT_NATIVE must be 'on' or 'off', got '{setting}'"),
    };

    /// <summary>A TorchScript module as a TorchSharp module: the script is its only child (its parameters are <c>script.*</c>).</summary>
    private sealed class ScriptedModule : nn.Module<Tensor, Tensor>
    {
        private readonly jit.ScriptModule script;
        private readonly int? output;

        public ScriptedModule(jit.ScriptModule script, int? output) : base("torchscript")
        {
            this.script = script;
            this.output = output;
            register_module("script", script);
        }

        /// <summary>The script's output: one tensor, or with <c>--output</c> one element of the tuple (a ValueTuple here) or list (Tensor[]).</summary>
        public override Tensor forward(Tensor input)
        {
            object result = script.call(input);
            switch (result, output)
            {
                case (Tensor t, null): return t;
                case (Tensor t, _): t.Dispose(); throw new InvalidCastException("returns one tensor: --output is for a tuple or list of outputs");
                case (Tensor[] list, int i) when i < list.Length: return Keep(list, i);
                case (System.Runtime.CompilerServices.ITuple tuple, int i) when i < tuple.Length && tuple[i] is Tensor:
                    return Keep(Enumerable.Range(0, tuple.Length).Select(k => tuple[k] as Tensor).ToArray(), i);
                case (Tensor[] or System.Runtime.CompilerServices.ITuple, null):
                    Release(result);
                    throw new InvalidCastException($"returns a {(result is Tensor[] ? "list" : "tuple")} of {(result is Tensor[] l ? l.Length : ((System.Runtime.CompilerServices.ITuple)result).Length)} outputs: name the logits' position with --output INDEX");
                default:
                    Release(result);
                    throw new InvalidCastException($"returns {(result is Tensor[] or System.Runtime.CompilerServices.ITuple ? $"no tensor at --output {output}" : $"a {result?.GetType().Name ?? "None"}")}");
            }
        }

        private static Tensor Keep(Tensor?[] outputs, int index)
        {
            for (int k = 0; k < outputs.Length; k++) if (k != index) outputs[k]?.Dispose();
            return outputs[index]!;
        }

        private static void Release(object? result)
        {
            if (result is Tensor[] list) foreach (var t in list) t.Dispose();
            else if (result is System.Runtime.CompilerServices.ITuple tuple) for (int k = 0; k < tuple.Length; k++) (tuple[k] as Tensor)?.Dispose();
        }

        /// <remarks>
        /// TorchSharp's module disposal walks <c>named_modules()</c> and disposes each as it goes; a script's children
        /// are enumerated through the script's native handle, which that walk has already released. The script owns
        /// its whole tree, so disposing it is all there is to do.
        /// </remarks>
        protected override void Dispose(bool disposing)
        {
            if (disposing) script.Dispose();
        }
    }
}
