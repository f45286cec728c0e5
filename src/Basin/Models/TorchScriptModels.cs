using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// Any PyTorch model saved as TorchScript (<c>torch.jit.script(model).save(path)</c> or <c>torch.jit.trace</c>) as a
/// Basin <see cref="Model"/>: the model spec <c>torchscript:PATH</c>. Its parameters, train/eval mode and forward
/// are the script's own, so every operator, estimator and metric runs on it through autograd; per-sample gradients
/// fall back to the loop (a script's layers are opaque to the batched method). The loss is softmax cross-entropy.
/// </summary>
public static class TorchScriptModels
{
    /// <summary>The prefix of the model spec.</summary>
    public const string Prefix = "torchscript:";

    /// <summary>Loads the script at <paramref name="path"/> for samples of <paramref name="sampleShape"/> and <paramref name="classes"/> classes.</summary>
    /// <exception cref="FormatException">
    /// No such file, not an intact TorchScript archive (every entry's CRC-32 is checked), no trainable parameters, or outputs
    /// that are not one tensor of logits fitting the data; one line that says which.
    /// </exception>
    public static Model Load(string path, long[] sampleShape, int classes)
    {
        if (!File.Exists(path)) throw new FormatException($"torchscript: {path} does not exist");
        TorchScriptArchive.Verify(path);
        jit.ScriptModule<Tensor, Tensor> script;
        try
        {
            script = jit.load<Tensor, Tensor>(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new FormatException($"torchscript: {path} is not a TorchScript archive PyTorch saved ({e.Message.Split('\n')[0]})", e);
        }
        var module = new ScriptedModule(script);
        var model = new Model(module, Prefix + path, LossKind.CrossEntropy, $"the TorchScript module in {Path.GetFileName(path)}")
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
            return model;
        }
        catch (InvalidCastException e)
        {
            model.Dispose();
            throw new FormatException($"torchscript: {path} returns something other than one tensor (a tuple, a list or a dict?): Basin needs forward(x) to return the [batch, classes] logits", e);
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

    /// <summary>A TorchScript module as a TorchSharp module: the script is its only child (its parameters are <c>script.*</c>).</summary>
    private sealed class ScriptedModule : nn.Module<Tensor, Tensor>
    {
        private readonly jit.ScriptModule<Tensor, Tensor> script;

        public ScriptedModule(jit.ScriptModule<Tensor, Tensor> script) : base("torchscript")
        {
            this.script = script;
            register_module("script", script);
        }

        public override Tensor forward(Tensor input) => script.forward(input);

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
