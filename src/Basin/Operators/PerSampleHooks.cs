using Basin.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// The pass behind the batched per-sample method (BackPACK's): every layer that owns a selected parameter hooked, its input and
/// output gradient read from one forward and one backward pass per column of the per-sample losses (<see cref="LayerPerSample"/>).
/// </summary>
internal static class PerSampleHooks
{
    /// <summary>The module owning each parameter, or null if one is not a supported layer.</summary>
    public static (nn.Module Module, string Kind)[]? Owners(Model model, IReadOnlyList<(string Name, Parameter Value)> parameters)
    {
        var modules = model.Module.named_modules().ToDictionary(m => m.name, m => m.module);
        var owners = new (nn.Module, string)[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            string name = parameters[i].Name;
            int dot = name.LastIndexOf('.');
            if (dot < 0 || !modules.TryGetValue(name[..dot], out var module)) return null;
            string kind = name[(dot + 1)..];
            bool supported = module switch
            {
                Linear => true,
                Conv2d c => GemmConvolutions.Supports(c),
                BatchNorm2d => !module.training,
                _ => false,
            };
            if (!supported || kind is not ("weight" or "bias")) return null;
            owners[i] = (module, kind);
        }
        return owners;
    }

    /// <summary>
    /// The batched method: one forward pass with every owning layer hooked (its input recorded, a zero probe added to its output),
    /// then per column of the losses one backward pass to the probes, whose gradients are the layers' output gradients δ;
    /// <paramref name="consume"/> gets each column's per-parameter <see cref="LayerPerSample"/> (temporaries freed after each).
    /// False, having consumed nothing, when a layer runs twice in one forward pass (shared layers).
    /// </summary>
    public static bool TryRun(Model model, (nn.Module Module, string Kind)[] owners, Tensor inputs, Tensor labels,
        Func<Tensor, Tensor, Tensor> lossOf, bool columnsAllowed, Action<LayerPerSample[]> consume)
    {
        var records = new Dictionary<nn.Module, (Tensor Input, Tensor Probe)>(ReferenceEqualityComparer.Instance);
        bool reused = false;
        var removers = new List<Action>();
        foreach (var module in owners.Select(o => o.Module).Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module<Tensor, Tensor>>())
        {
            var remover = module.register_forward_hook((m, input, output) =>
            {
                if (records.ContainsKey(m)) reused = true;
                var probe = zeros_like(output).requires_grad_(true);
                records[m] = (input.detach(), probe);
                return output + probe;
            });
            removers.Add(remover.remove);
        }
        try
        {
            var losses = lossOf(model.Module.forward(inputs), labels);
            if (reused || records.Count != removers.Count) return false;
            var modules = records.Keys.ToArray();
            // Each column of the losses is one backward pass through the same forward graph (the GGN diagonal's factor columns).
            long columns = Columns(losses, columnsAllowed);
            for (long c = 0; c < columns; c++)
            {
                using var columnScope = NewDisposeScope();
                var loss = (losses.dim() == 1 ? losses : losses.select(1, c)).sum();
                var deltas = CurvatureOperatorAccess.Grad(loss, modules.Select(m => records[m].Probe).ToArray(), retainGraph: c < columns - 1);
                var delta = new Dictionary<nn.Module, Tensor>(ReferenceEqualityComparer.Instance);
                for (int i = 0; i < modules.Length; i++) delta[modules[i]] = deltas[i];
                consume(owners.Select(o => new LayerPerSample(o.Module, o.Kind, records[o.Module].Input, delta[o.Module])).ToArray());
            }
            return true;
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }

    /// <summary>Runs <paramref name="reduce"/> on each parameter's layer with its offset and size, each layer's temporaries freed before the next (kept to the end they added up to a second B × P matrix).</summary>
    public static void EachParameter(IReadOnlyList<(string Name, Parameter Value)> parameters, LayerPerSample[] layers, Action<LayerPerSample, long, long> reduce)
    {
        long offset = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            long n = parameters[i].Value.numel();
            using (NewDisposeScope()) reduce(layers[i], offset, n);
            offset += n;
        }
    }

    /// <summary>The columns of per-sample losses [b], or [b, C] where <paramref name="columnsAllowed"/> (a squared sum, whose columns' squares are all summed).</summary>
    public static long Columns(Tensor losses, bool columnsAllowed) => losses.dim() switch
    {
        1 => 1,
        2 when columnsAllowed => losses.shape[1],
        _ => throw new ArgumentException($"per-sample losses must be [b]{(columnsAllowed ? " or [b, C]" : "")}, got [{string.Join(", ", losses.shape)}]"),
    };
}
