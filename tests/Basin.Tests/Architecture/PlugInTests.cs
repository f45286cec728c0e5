using System.Text;
using Basin.Data;
using Basin.Metrics;
using Basin.Models;
using Basin.Studies;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Architecture;

/// <summary>
/// Registering mutates process-wide registries that other tests read while they run in parallel: the tests that register run
/// after every parallel test, one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RegistryCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "registries";
}

/// <summary>
/// A new step method, metric and study axis is one class each plus one <c>Register</c> call, from outside the library
/// (issue 29): each is then found by name wherever Basin's own are — parsing, training, measuring, building a study, running
/// it and writing its report — and does what it declares, checked against values computed here.
/// </summary>
[Collection(RegistryCollection.Name)]
public class PlugInTests
{
    private const string Data = "mixture:d=4,k=3,n=60";

    /// <summary>signSGD (Bernstein et al. 2018): the optimiser is handed the sign of the mini-batch gradient.</summary>
    private sealed class SignStep(RegularizerSettings settings) : StepMethod(settings)
    {
        public static StepMethodInfo Info { get; } = new("test-sign", "signSGD (Bernstein et al. 2018)", [], s => new SignStep(s)) { Lowers = _ => [WeightL1.MetricId] };

        public override (double Loss, Tensor[] Gradient) Gradient(TrainingStep step)
        {
            var loss = step.Loss();
            return (loss.to(ScalarType.Float64).item<double>(), Grad(loss, step.Parameters).Select(g => g.sign()).ToArray());
        }
    }

    /// <summary>Σ |w|, the ℓ1 norm of the weights.</summary>
    private sealed class WeightL1() : Metric(MetricId, "ℓ1 norm of the weights", "a test", CostClass.Cheap)
    {
        public const string MetricId = "test.weight_l1";

        public override MetricResult Compute(MetricContext context) =>
            Result(context, context.Parameters.Sum(p => p.Value.detach().to(ScalarType.Float64).abs().sum().item<double>()), 0, [("error", "deterministic")]);
    }

    /// <summary>The learning rate of signSGD, with a report section of its own.</summary>
    private sealed class SignRateAxis : IStudyAxis
    {
        public string Name => "test-sign-rate";

        public string Description => "signSGD's learning rate";

        public string Metrics => WeightL1.MetricId;

        public IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig basis) =>
            new[] { 0.01, 0.02 }.Select(lr => (StudySpec.Format(lr), basis with { TrainSubset = 0, Epochs = 2, LearningRate = lr, Regularizer = SignStep.Info.Name }));

        public IReadOnlyList<IModelExtra> Extras => [];

        public IReadOnlyList<IReportSection> Sections => StudyReport.Standard(early: [new Marker()]);
    }

    private sealed class Marker : IReportSection
    {
        public void Write(StringBuilder md, ReportInput input) => md.AppendLine($"## Sign section: {input.Results.Count} models").AppendLine();
    }

    private static readonly Lazy<bool> Registered = new(() =>
    {
        StepMethodRegistry.Register(SignStep.Info);
        MetricRegistry.Register(new WeightL1());
        StudyAxes.Register(new SignRateAxis());
        return true;
    });

    [Fact]
    public void ARegisteredStepMethodTrainsByItsOwnRule()
    {
        _ = Registered.Value;
        using var scope = NewDisposeScope();
        using var split = DataCatalog.Load(Data);
        double lr = 0.01;
        // One full-batch step of plain SGD (no momentum, decay or clipping) on signSGD's direction: w₁ = w₀ − lr · sign(∇L(w₀)).
        var config = new TrainConfig { Model = "mlp:4-5-3", Data = Data, Epochs = 1, BatchSize = 60, LearningRate = lr, Schedule = "constant", Regularizer = "test-sign", Optimizer = new(OptimizerKind.Sgd, 0) };
        using var train = TrainingRun.PrepareTrainingSet(config, split.Train);
        using var run = TrainingRun.Start(config, train);
        Assert.IsType<SignStep>(run.Method);
        var parameters = run.Model.Module.named_parameters().ToArray();
        var before = parameters.Select(p => p.parameter.detach().clone()).ToArray();
        var loss = Losses.Mean(run.Model.Loss, run.Model.Module.forward(train.Features), train.Labels);
        var gradients = autograd.grad([loss], parameters.Select(p => (Tensor)p.parameter).ToArray()).Select(g => g.detach()).ToArray();
        run.Train(train, split.Test);
        for (int i = 0; i < parameters.Length; i++)
        {
            var moved = (parameters[i].parameter.detach() - before[i]).to(ScalarType.Float64);
            var expected = gradients[i].sign().neg().to(ScalarType.Float64) * lr;
            var clear = gradients[i].abs() > 1e-6; // where the gradient's sign cannot flip with the summation order
            double error = (moved - expected).abs().masked_select(clear).max().item<double>();
            Assert.True(error < 1e-6, $"{parameters[i].name}: w₁ − w₀ differs from −lr·sign(g) by {error:G3}");
        }
        Assert.Equal([WeightL1.MetricId], RegularizerSettings.Parse("test-sign").Method.Lowers(RegularizerSettings.Parse("test-sign")));
    }

    [Fact]
    public void ARegisteredMetricIsMeasuredByName()
    {
        _ = Registered.Value;
        using var scope = NewDisposeScope();
        using var split = DataCatalog.Load(Data);
        var model = ModelZoo.Create("mlp:4-5-3", split.Train.SampleShape, split.Train.NumClasses, seed: 4);
        using var context = new MetricContext(model, split.Train, new MeasureSettings());
        var result = MetricRegistry.Measure(context, MetricRegistry.Select(WeightL1.MetricId))[0];
        double byHand = 0;
        foreach (var (_, p) in model.Module.named_parameters())
            foreach (var x in p.detach().to(ScalarType.Float64).flatten().data<double>()) byHand += Math.Abs(x);
        Assert.Equal(byHand, result.Value, 1e-9);
        Assert.Contains(MetricRegistry.Select("all"), m => m.Id == WeightL1.MetricId);
        model.Dispose();
    }

    [Fact]
    public void ARegisteredAxisIsBuiltRunAndReportedLikeBasinsOwn()
    {
        _ = Registered.Value;
        Assert.Contains("test-sign-rate", StudyAxes.Names.Keys);
        var spec = StudyAxes.Build("test-sign-rate", "quick", Data, "mlp:4-5-3", seeds: 1);
        Assert.Equal(["test-sign-rate=0.01", "test-sign-rate=0.02"], spec.Models.Select(m => m.Name));
        Assert.All(spec.Models, m => Assert.Equal("test-sign", m.Config.Regularizer));
        Assert.Equal(WeightL1.MetricId, spec.Metrics);
        string folder = Path.Combine(Path.GetTempPath(), $"basin-plugin-{Guid.NewGuid():N}");
        try
        {
            var results = StudyRunner.Run(spec, folder);
            Assert.All(results, r => Assert.True(r.Value(WeightL1.MetricId) > 0, $"{r.Name}: {WeightL1.MetricId} = {r.Value(WeightL1.MetricId)}"));
            Assert.All(results, r => Assert.Null(r.Landscape)); // the axis asked for no extras
            StudyReport.Write(spec, results, folder);
            string report = File.ReadAllText(Path.Combine(folder, "report.md"));
            Assert.Contains("Axis: signSGD's learning rate.", report);
            Assert.Contains("## Sign section: 2 models", report);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
