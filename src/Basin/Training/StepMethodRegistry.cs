using System.Text.RegularExpressions;

namespace Basin.Training;

/// <summary>
/// Every step method by name: plain training, the seeds' regularisers (trace penalty, R_α, Perturbed OPT) and the peers a
/// practitioner would pick (SAM, ASAM), then those added with <see cref="Register"/>. Parsing, help, completion and studies
/// read this list; a new method is one file that declares its <see cref="StepMethodInfo"/> and one call to <see cref="Register"/>.
/// </summary>
public static partial class StepMethodRegistry
{
    private static readonly List<StepMethodInfo> methods =
        [PlainStep.Info, TracePenalty.Info, FisherTraceRegularizer.Info, PerturbedOptimization.Info, SharpnessAwareStep.Sam, SharpnessAwareStep.Asam];

    private static readonly Lock Gate = new();

    /// <summary>All methods, Basin's first (plain training leads), then registered ones in order.</summary>
    public static IReadOnlyList<StepMethodInfo> All
    {
        get
        {
            lock (Gate) return methods.ToList();
        }
    }

    /// <summary>Plain training: the gradient of the mini-batch loss.</summary>
    public static StepMethodInfo Plain => PlainStep.Info;

    /// <summary>The regularisers: every method but plain training.</summary>
    public static IReadOnlyList<StepMethodInfo> Regularizers => All.Where(m => m != Plain).ToList();

    /// <summary>The method called <paramref name="name"/>, or null.</summary>
    public static StepMethodInfo? Find(string name) => All.FirstOrDefault(m => m.Name == name);

    /// <summary>Adds a method of your own, so that <c>--regularizer</c>, study specs and checkpoints find it by name.</summary>
    /// <exception cref="ArgumentException">Its name is taken, is not lower-case letters, digits and dashes, or two keys share a name.</exception>
    public static void Register(StepMethodInfo method)
    {
        if (!NamePattern().IsMatch(method.Name)) throw new ArgumentException($"step method name '{method.Name}' must be lower-case letters, digits and dashes, like sam");
        if (method.Keys.GroupBy(k => k.Name).FirstOrDefault(g => g.Count() > 1) is { } twice) throw new ArgumentException($"step method {method.Name} declares key '{twice.Key}' twice");
        lock (Gate)
        {
            if (methods.Any(m => m.Name == method.Name)) throw new ArgumentException($"a step method named '{method.Name}' is registered already");
            methods.Add(method);
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial Regex NamePattern();
}
