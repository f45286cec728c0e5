using System.Globalization;
using System.Text.Json.Serialization;
using Basin.IO;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>The first-order optimisers, with PyTorch's update rules.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    /// <summary>SGD with optional (Nesterov) momentum and L2 weight decay added to the gradient (<c>torch.optim.SGD</c>).</summary>
    [JsonStringEnumMemberName("sgd")]
    Sgd,

    /// <summary>Adam with L2 weight decay added to the gradient (<c>torch.optim.Adam</c>).</summary>
    [JsonStringEnumMemberName("adam")]
    Adam,

    /// <summary>Adam with decoupled weight decay (<c>torch.optim.AdamW</c>).</summary>
    [JsonStringEnumMemberName("adamw")]
    AdamW,
}

/// <summary>The command-line and report names of <see cref="OptimizerKind"/>.</summary>
public static class OptimizerKinds
{
    /// <summary>The optimiser's name, as in JSON and on the command line.</summary>
    public static string Name(this OptimizerKind kind) => EnumNames.Name(kind);

    /// <summary>The optimiser named <paramref name="name"/>.</summary>
    /// <exception cref="FormatException">Unknown name; the message lists the known ones.</exception>
    public static OptimizerKind Parse(string name) => EnumNames.Parse<OptimizerKind>(name, "optimizer");
}

/// <summary>The optimiser and its hyper-parameters (the learning rate comes from the schedule).</summary>
/// <param name="Kind">SGD, Adam or AdamW (<c>name</c> in JSON).</param>
/// <param name="Momentum">SGD momentum μ (0 = plain SGD).</param>
/// <param name="Nesterov">Nesterov momentum for SGD.</param>
/// <param name="WeightDecay">L2 coefficient γ: adds γw to the gradient (sgd, adam); decoupled decay for adamw.</param>
/// <param name="Beta1">Adam β₁.</param>
/// <param name="Beta2">Adam β₂.</param>
/// <param name="Epsilon">Adam ε.</param>
public sealed record OptimizerSettings(
    [property: JsonPropertyName("name")] OptimizerKind Kind = OptimizerKind.Sgd, double Momentum = 0.9, bool Nesterov = false, double WeightDecay = 0,
    double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8)
{
    /// <summary>Throws <see cref="ArgumentException"/> with one clear line if a setting is out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"unknown optimizer {(int)Kind}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"momentum must be in [0, 1), got {Momentum}");
        if (Nesterov && Momentum == 0) throw new ArgumentException("Nesterov momentum needs a momentum > 0");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"weight decay must be ≥ 0, got {WeightDecay}");
        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1) || !(Epsilon > 0)) throw new ArgumentException("Adam needs 0 ≤ β₁, β₂ < 1 and ε > 0");
    }
}

/// <summary>
/// First-order optimisers with PyTorch's update rules, whose whole state is a set of named tensors
/// (so a checkpoint can hold it and training resumes exactly).
/// </summary>
public sealed class Optimizer : IDisposable
{
    private readonly (string Name, Parameter Value)[] parameters;
    private readonly Dictionary<string, Tensor> state = new(StringComparer.Ordinal);

    /// <summary>An optimiser over <paramref name="parameters"/> (names as in the model's <c>named_parameters</c>).</summary>
    public Optimizer(OptimizerSettings settings, IEnumerable<(string Name, Parameter Value)> parameters)
    {
        settings.Validate();
        Settings = settings;
        this.parameters = parameters.ToArray();
    }

    /// <summary>The settings.</summary>
    public OptimizerSettings Settings { get; }

    /// <summary>The number of steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>Takes one step with learning rate <paramref name="lr"/> from the parameters' current gradients.</summary>
    public void Step(double lr)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Steps++;
        foreach (var (name, p) in parameters)
        {
            if (p.grad is not { } grad) continue;
            switch (Settings.Kind)
            {
                case OptimizerKind.Sgd: Sgd(name, p, grad, lr); break;
                default: Adam(name, p, grad, lr, decoupled: Settings.Kind == OptimizerKind.AdamW); break;
            }
        }
    }

    private void Sgd(string name, Parameter p, Tensor grad, double lr)
    {
        var d = Settings.WeightDecay > 0 ? grad.add(p, alpha: Settings.WeightDecay) : grad;
        if (Settings.Momentum > 0)
        {
            // PyTorch: the buffer starts as the first step's direction, then b ← μb + d.
            string key = $"momentum_buffer.{name}";
            if (state.TryGetValue(key, out var buffer)) buffer.mul_(Settings.Momentum).add_(d);
            else state[key] = buffer = d.detach().clone().DetachFromDisposeScope();
            d = Settings.Nesterov ? d.add(buffer, alpha: Settings.Momentum) : buffer;
        }
        p.add_(d, alpha: -lr);
    }

    private void Adam(string name, Parameter p, Tensor grad, double lr, bool decoupled)
    {
        var g = !decoupled && Settings.WeightDecay > 0 ? grad.add(p, alpha: Settings.WeightDecay) : grad;
        if (decoupled && Settings.WeightDecay > 0) p.mul_(1 - lr * Settings.WeightDecay);
        var m = Zeros($"exp_avg.{name}", p);
        var v = Zeros($"exp_avg_sq.{name}", p);
        m.mul_(Settings.Beta1).add_(g, alpha: 1 - Settings.Beta1);
        v.mul_(Settings.Beta2).addcmul_(g, g, value: 1 - Settings.Beta2);
        double c1 = 1 - Math.Pow(Settings.Beta1, Steps), c2 = 1 - Math.Pow(Settings.Beta2, Steps);
        var denominator = v.sqrt().div_(Math.Sqrt(c2)).add_(Settings.Epsilon);
        p.addcdiv_(m, denominator, value: -lr / c1);
    }

    private Tensor Zeros(string key, Tensor like)
    {
        if (!state.TryGetValue(key, out var buffer)) state[key] = buffer = zeros_like(like).DetachFromDisposeScope();
        return buffer;
    }

    /// <summary>The optimiser state as named tensors, and the step count as metadata.</summary>
    public (IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) GetState() =>
        (state, new Dictionary<string, string>
        {
            ["optimizer.steps"] = Steps.ToString(CultureInfo.InvariantCulture),
            // The list of buffers, so that a checkpoint that lost one is refused instead of resuming from zeros.
            ["optimizer.keys"] = string.Join(",", state.Keys.Order(StringComparer.Ordinal)),
        });

    /// <summary>Restores state saved by <see cref="GetState"/>; copies the tensors.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var t in state.Values) t.Dispose();
        state.Clear();
        var byName = parameters.ToDictionary(p => p.Name, p => p.Value);
        foreach (var (key, value) in tensors)
        {
            string paramName = key[(key.IndexOf('.', StringComparison.Ordinal) + 1)..];
            if (!byName.TryGetValue(paramName, out var p) || !p.shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"optimizer state '{key}' does not match any parameter of the model");
            if (!value.is_floating_point())
                throw new InvalidDataException($"optimizer state '{key}' holds {value.dtype} values where the optimiser keeps floating-point buffers");
            if (!isfinite(value).all().item<bool>())
                throw new InvalidDataException($"optimizer state '{key}' holds NaN or infinite values");
            state[key] = value.to(p.device).clone().DetachFromDisposeScope();
        }
        if (metadata.TryGetValue("optimizer.keys", out var keys) && keys.Length > 0
            && keys.Split(',').FirstOrDefault(k => !tensors.ContainsKey(k)) is { } lost)
            throw new InvalidDataException($"optimizer state '{lost}' is missing: resuming would restart it from zero and no longer continue the saved run");
        Steps = !metadata.TryGetValue("optimizer.steps", out var s) ? 0
            : long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long steps) ? steps
            : throw new InvalidDataException($"the optimiser's step count '{s}' is not a non-negative integer");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in state.Values) t.Dispose();
        state.Clear();
    }
}
