using Basin.Metrics;
using Basin.Operators;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>
/// Perturbed optimisation of seed 003 §8 (Algorithm 1), around whichever optimiser the run uses: each step
/// takes the gradient at <c>w_t + u</c>, <c>u_i ∼ U(−σ_i, σ_i)</c>, and applies it at <c>w_t</c>, with
/// <code>
///   ρ_i = |h_t[i] − h_{t−1}[i]| / ‖w_t − w_{t−1}‖            (0 at the first step)
///   κ_i = γ / ln(1+e) · |w_t[i]| + ε
///   σ_i = min(1 / (ln(1+e) · sqrt(η (h_t[i] + ρ_i κ_i))), κ_i) · 1{|g_t[i]| &lt; β₂}
///   h_{t+1} = β₁ h_t + (1 − β₁) g_{t+1}²
/// </code>
/// e the epoch (1-based), g_t the previous step's gradient (none before the first step: no mask).
/// </summary>
/// <remarks>
/// State (flat, saved in checkpoints): h_t, h_{t−1}, w_{t−1}, g_t. One gradient per step, so the logged loss
/// is the one at the perturbed point.
/// </remarks>
internal sealed class PerturbedOptimization(RegularizerSettings settings) : StepMethod(settings)
{
    private static readonly string[] Names = ["h", "h_previous", "w_previous", "g_previous"];
    /// <summary>Its declaration: it lowers seed 003's Ψ.</summary>
    public static StepMethodInfo Info { get; } = new("perturbed", "perturbed optimisation around any optimiser (seed 003 §8, Algorithm 1)",
        [new("eta", 100, 0, 1e9), new("gamma", 0.1, 0, 1e3), new("beta1", 0.999, 0, 0.999999), new("beta2", 0.1, 0, 1e6), new("eps", 1e-5, 0, 1)], s => new PerturbedOptimization(s))
    {
        Lowers = _ => [PacGen.MetricId],
    };

    private readonly double eta = settings.Number("eta"), gamma = settings.Number("gamma"), beta1 = settings.Number("beta1"),
        beta2 = settings.Number("beta2"), eps = settings.Number("eps");
    private readonly Dictionary<string, Tensor> state = new(StringComparer.Ordinal);

    public override (double Loss, Tensor[] Gradient) Gradient(TrainingStep step)
    {
        using var noGrad = no_grad();
        var w = ParameterSelection.Flatten(step.Parameters.Select(p => p.detach()));
        var u = Perturbation(w, step.Epoch, step.Random);
        Tensor loss;
        Tensor[] g;
        using (var swap = new WeightSwap(step.Parameters))
        {
            swap.Set(w.add(u));
            using var enable = enable_grad();
            loss = step.Loss();
            g = Grad(loss, step.Parameters);
        }
        var flat = ParameterSelection.Flatten(g);
        var h = state.TryGetValue("h", out var old) ? old : zeros_like(w);
        Keep("h_previous", h.clone());
        Keep("h", h.mul(beta1).addcmul(flat, flat, value: 1 - beta1));
        Keep("w_previous", w);
        Keep("g_previous", flat);
        return (loss.to(ScalarType.Float64).item<double>(), g);
    }

    /// <summary>The draw <c>u_i ∼ U(−σ_i, σ_i)</c> at flat weights <paramref name="w"/>.</summary>
    internal Tensor Perturbation(Tensor w, int epoch, Generator random) =>
        rand([w.numel()], ScalarType.Float64, generator: random).mul(2).sub(1).to(w.dtype).to(w.device).mul(Sigma(w, epoch));

    /// <summary>σ at weights <paramref name="w"/> in epoch <paramref name="epoch"/> (1-based) from the current state.</summary>
    internal Tensor Sigma(Tensor w, int epoch)
    {
        var (kappa, curvature) = Terms(w, epoch);
        var sigma = minimum(curvature, kappa);
        return state.TryGetValue("g_previous", out var g) ? sigma.mul(g.abs().lt(beta2).to(sigma.dtype)) : sigma;
    }

    /// <summary>κ = γ|w|/ln(1+e) + ε and the curvature term 1/(ln(1+e)·√(η(h + ρκ))) at <paramref name="w"/>, from the current state.</summary>
    private (Tensor Kappa, Tensor Curvature) Terms(Tensor w, int epoch)
    {
        double le = Math.Log(1 + epoch);
        var kappa = w.abs().mul(gamma / le).add(eps);
        var h = state.TryGetValue("h", out var hs) ? hs : zeros_like(w);
        var rho = zeros_like(w);
        if (state.TryGetValue("w_previous", out var wPrevious))
        {
            double moved = w.sub(wPrevious).to(ScalarType.Float64).norm().item<double>();
            if (moved > 0) rho = h.sub(state["h_previous"]).abs().div(moved);
        }
        return (kappa, h.add(rho.mul(kappa)).mul(eta).sqrt().mul(le).reciprocal());
    }

    /// <summary>
    /// The fraction of weights at <paramref name="w"/> (epoch <paramref name="epoch"/>, 1-based) whose σ is set by the
    /// curvature term, 1/(ln(1+e)·√(η(h + ρκ))) &lt; κ, rather than clipped at κ: where it is 0, perturbed OPT is uniform
    /// noise of ±κ = ±γ|w|/ln(1+e) (before the gradient mask).
    /// </summary>
    internal double CurvatureSetFraction(Tensor w, int epoch)
    {
        using var scope = NewDisposeScope();
        var (kappa, curvature) = Terms(w, epoch);
        return curvature.lt(kappa).to(ScalarType.Float64).mean().item<double>();
    }

    private void Keep(string name, Tensor value)
    {
        if (state.Remove(name, out var old)) old.Dispose();
        state[name] = value.detach().DetachFromDisposeScope();
    }

    public override IReadOnlyDictionary<string, Tensor> State => state;

    public override void LoadState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyList<Tensor> parameters)
    {
        long size = parameters.Sum(p => p.numel());
        if (tensors.Keys.FirstOrDefault(k => !Names.Contains(k)) is { } unknown)
            throw new InvalidDataException($"regularizer perturbed: unknown state '{unknown}' in the checkpoint");
        if (tensors.Count is not (0 or 4)) throw new InvalidDataException("regularizer perturbed: the checkpoint holds part of its state (h, h_previous, w_previous, g_previous)");
        if (tensors.Values.FirstOrDefault(t => t.numel() != size) is { } wrong)
            throw new InvalidDataException($"regularizer perturbed: its state has {wrong.numel()} entries, the model {size}");
        if (tensors.Values.Any(t => !t.is_floating_point())) throw new InvalidDataException("regularizer perturbed: its state holds integer values where it keeps floating-point ones");
        if (tensors.Values.Any(t => !isfinite(t).all().item<bool>())) throw new InvalidDataException("regularizer perturbed: its state holds NaN or infinite values");
        Release();
        foreach (var (name, t) in tensors) state[name] = t.to(parameters[0].dtype).to(parameters[0].device).clone().DetachFromDisposeScope();
    }

    protected override void Release()
    {
        foreach (var t in state.Values) t.Dispose();
        state.Clear();
    }
}
