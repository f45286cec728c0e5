using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>The parameters an operator acts on: all trainable ones, or those of one layer (name prefix).</summary>
public static class ParameterSelection
{
    /// <summary>
    /// The trainable parameters of <paramref name="module"/> whose name equals <paramref name="layer"/> or
    /// starts with <c>layer.</c>; all of them when <paramref name="layer"/> is null.
    /// </summary>
    /// <exception cref="ArgumentException">No parameter matches; the message lists the layers there are.</exception>
    public static (string Name, Parameter Value)[] Select(nn.Module module, string? layer)
    {
        var all = module.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToArray();
        if (layer is null) return all;
        var chosen = all.Where(p => p.name == layer || p.name.StartsWith(layer + ".", StringComparison.Ordinal)).ToArray();
        if (chosen.Length == 0)
        {
            var layers = all.Select(p => p.name[..Math.Max(0, p.name.LastIndexOf('.'))]).Where(n => n.Length > 0).Distinct();
            throw new ArgumentException($"no parameters in layer '{layer}'; layers: {string.Join(", ", layers)}");
        }
        return chosen;
    }

    /// <summary>Concatenates tensors flattened, in order, into a new tensor (never a view of an input).</summary>
    public static Tensor Flatten(IEnumerable<Tensor> tensors)
    {
        var parts = tensors.Select(t => t.reshape(-1)).ToArray();
        // torch.cat of a single tensor may hand back that tensor; a flat copy of the weights must not alias them.
        return parts.Length == 1 ? parts[0].clone() : cat(parts);
    }

    /// <summary>Views of <paramref name="flat"/> shaped like <paramref name="like"/>.</summary>
    public static Tensor[] Split(Tensor flat, IReadOnlyList<Tensor> like)
    {
        var parts = new Tensor[like.Count];
        long offset = 0;
        for (int i = 0; i < like.Count; i++)
        {
            long n = like[i].numel();
            parts[i] = flat.narrow(0, offset, n).view(like[i].shape);
            offset += n;
        }
        return parts;
    }

    /// <summary>The rows of <paramref name="block"/> [k, P] split by parameter: one [k, …] tensor per parameter, shaped as <paramref name="like"/> after k.</summary>
    public static Tensor[] SplitRows(Tensor block, IReadOnlyList<Tensor> like)
    {
        var parts = new Tensor[like.Count];
        long offset = 0, k = block.shape[0];
        for (int i = 0; i < like.Count; i++)
        {
            long n = like[i].numel();
            parts[i] = block.narrow(1, offset, n).reshape([k, .. like[i].shape]);
            offset += n;
        }
        return parts;
    }
}
