using Basin.Models;
using Basin.Operators;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>One mini-batch step as a step method sees it: the model, the batch, the epoch and a seeded generator.</summary>
public sealed class TrainingStep : IDisposable
{
    private readonly ulong seed;
    private Generator? generator;

    /// <summary>
    /// A step on the batch (<paramref name="inputs"/>, <paramref name="labels"/>) in 1-based <paramref name="epoch"/>, drawing random
    /// numbers from <paramref name="seed"/>; <paramref name="parameterNames"/>, when the caller has them, spares reading them each step.
    /// </summary>
    public TrainingStep(Model model, IReadOnlyList<Parameter> parameters, Tensor inputs, Tensor labels, double labelSmoothing, int epoch, ulong seed,
        IReadOnlyList<string>? parameterNames = null)
    {
        Model = model;
        Parameters = parameters;
        names = parameterNames;
        Inputs = inputs;
        Labels = labels;
        LabelSmoothing = labelSmoothing;
        Epoch = epoch;
        this.seed = seed;
    }

    /// <summary>The model (in train mode).</summary>
    public Model Model { get; }

    /// <summary>Its parameters, in <c>named_parameters</c> order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The batch's inputs, on the model's device.</summary>
    public Tensor Inputs { get; }

    /// <summary>The batch's labels.</summary>
    public Tensor Labels { get; }

    /// <summary>Label smoothing ε of the cross-entropy.</summary>
    public double LabelSmoothing { get; }

    /// <summary>The epoch under way, 1-based (seed 003's e).</summary>
    public int Epoch { get; }

    /// <summary>A CPU generator seeded from the run's seed and the step number: a resumed run draws the same numbers.</summary>
    public Generator Random => generator ??= new Generator(seed);

    /// <summary>The mean training loss of the model at its current weights on (<paramref name="x"/>, <paramref name="y"/>), or on the whole batch.</summary>
    public Tensor Loss(Tensor? x = null, Tensor? y = null) => Losses.Mean(Model.Loss, Model.Module.forward(x ?? Inputs), y ?? Labels, LabelSmoothing);

    /// <summary>The same loss on the hard labels, whatever the run's label smoothing (what seed 001's R_α is defined on).</summary>
    public Tensor HardLoss(Tensor? x = null, Tensor? y = null) => Losses.Mean(Model.Loss, Model.Module.forward(x ?? Inputs), y ?? Labels, 0);

    /// <summary>
    /// The parameters' names (<c>named_parameters</c>, in the order of <see cref="Parameters"/>): ASAM scales by name, as its
    /// authors' code does.
    /// </summary>
    public IReadOnlyList<string> ParameterNames => names ??= Model.Module.named_parameters().Select(p => p.name).ToArray();

    private IReadOnlyList<string>? names;

    /// <summary>
    /// Runs <paramref name="pass"/> — an extra forward of a step method (SAM's at w + ε, R_α's sub-batches) — with the
    /// model's batch-norm running statistics given back afterwards: train mode still normalises with the batch's own
    /// statistics, but only the step's own pass at w updates the running ones, as the reference implementations do.
    /// </summary>
    public T KeepingStatistics<T>(Func<T> pass)
    {
        // ModeScope keeps the module's mode and, in train mode (the only one in which a forward changes them), gives every
        // buffer back on dispose.
        using var keep = new ModeScope(Model.Module, train: Model.Module.training);
        return pass();
    }

    /// <summary>A random tensor shaped like each parameter, from <paramref name="draw"/> on the CPU generator, moved to the parameters' device.</summary>
    internal Tensor[] Draw(Func<long[], Generator, Tensor> draw) =>
        Parameters.Select(p => draw(p.shape, Random).to(p.dtype).to(p.device)).ToArray();

    /// <inheritdoc />
    public void Dispose() => generator?.Dispose();
}

/// <summary>
/// How one training step turns a mini-batch into the gradient the optimiser applies: plain training, a
/// penalised objective, or a gradient taken at perturbed weights. The trainer calls <see cref="Gradient"/>
/// once per step, then clips and hands the result to the optimiser (SGD, Adam, AdamW); a method with state
/// (Perturbed OPT's EMA) exposes it for checkpoints, so a resumed run continues exactly.
/// </summary>
public abstract class StepMethod : IDisposable
{
    /// <summary>A method with <paramref name="settings"/>.</summary>
    protected StepMethod(RegularizerSettings settings) => Settings = settings;

    /// <summary>The settings.</summary>
    public RegularizerSettings Settings { get; }

    /// <summary>
    /// The direction for the optimiser, one tensor per parameter, and the mini-batch loss it logs (at w, or at
    /// the perturbed point for methods that never evaluate w). Allocations belong to the caller's dispose scope.
    /// </summary>
    public abstract (double Loss, Tensor[] Gradient) Gradient(TrainingStep step);

    /// <summary>The method's state as named tensors (empty for stateless methods).</summary>
    public virtual IReadOnlyDictionary<string, Tensor> State => new Dictionary<string, Tensor>();

    /// <summary>Restores <see cref="State"/> for a model with <paramref name="parameters"/>; copies the tensors.</summary>
    /// <exception cref="InvalidDataException">A tensor is unknown to the method or does not fit the model.</exception>
    public virtual void LoadState(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyList<Tensor> parameters)
    {
        if (tensors.Count > 0) throw new InvalidDataException($"regularizer {Settings.Name} keeps no state, but the checkpoint holds '{tensors.Keys.First()}'");
    }

    /// <summary>The method that <paramref name="settings"/> name, built by its declaration in <see cref="StepMethodRegistry"/>.</summary>
    public static StepMethod Create(RegularizerSettings settings) => settings.Method.Create(settings);

    /// <summary>The gradient of a scalar in the parameters (zeros for a parameter it does not use): the operators' own.</summary>
    protected static Tensor[] Grad(Tensor loss, IReadOnlyList<Tensor> parameters, bool createGraph = false) =>
        CurvatureOperator.Grad(loss, parameters, createGraph);

    /// <summary><c>Σ_i a_i · b_i</c> over per-parameter tensors, a scalar in the graph: the operators' own.</summary>
    protected static Tensor Dot(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) => CurvatureOperator.Dot(a, b);

    /// <summary>The global Euclidean norm of per-parameter tensors, summed in float64.</summary>
    protected static double Norm(IEnumerable<Tensor> tensors) => Math.Sqrt(tensors.Sum(x => x.to(ScalarType.Float64).square().sum().item<double>()));

    /// <inheritdoc />
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees long-lived state.</summary>
    protected virtual void Release()
    {
    }
}
