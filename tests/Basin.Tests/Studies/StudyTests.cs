using Basin.Studies.Axes;
using Basin.Data;
using Basin.Metrics;
using Basin.Operators;
using Basin.Studies;
using Basin.Tests.Cli;
using Basin.Tests.Operators;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Studies;

public class StudyTests
{
    /// <summary>A three-model weight-decay study on a synthetic mixture: seconds, not minutes.</summary>
    private static StudySpec Tiny() => new()
    {
        Name = "tiny",
        Preset = "test",
        Metrics = "hessian.trace,hessian.top_eigenvalue,hessian.spectral_density,sharpness.expected,pacbayes.laplace.approx,fisher.logdet_subsampled",
        Measure = new MeasureSettings { TraceProbes = 4, LanczosSteps = 8, SlqSteps = 8, SlqStarts = 1, FisherSubsets = 3, FisherSubsetSize = 10, ExpectedSharpnessDraws = 4 },
        MeasureSamples = 100,
        Models = [.. new[] { 0.0, 1e-3, 1e-2 }.Select(wd => new StudyModel($"wd={wd}",
            new TrainConfig { Model = "mlp:5-12-3", Data = "mixture:d=5,k=3,n=150", Epochs = 3, BatchSize = 16, LearningRate = 0.05, Optimizer = new(OptimizerKind.Sgd, 0.9, WeightDecay: wd) },
            new Dictionary<string, string> { ["weight-decay"] = wd.ToString(System.Globalization.CultureInfo.InvariantCulture) }))],
    };

    [Fact]
    public void EndToEndStudyWritesReportTablesAndPlots()
    {
        using var tmp = new TempFolder();
        var results = StudyRunner.Run(Tiny(), tmp.Path);
        Assert.Equal(3, results.Count);
        var rankings = StudyReport.Write(Tiny(), results, tmp.Path);
        Assert.Equal(6, rankings.Count);
        string report = File.ReadAllText(tmp.File("report.md"));
        Assert.Contains("## Trust table", report);
        Assert.Contains($"Measured with basin {ModelResult.CodeVersion}, models finished ", report);
        Assert.Matches(@"models finished \d{4}-\d{2}-\d{2}; training seeds 0; metric seed", report);
        Assert.Contains("| hessian.trace |", report);
        // The density's value is its right edge, λ₁: the trust table says so and the reading counts 5 independent metrics.
        Assert.Matches(@"\nhessian\.spectral_density .* hessian\.top_eigenvalue\n", report);
        Assert.DoesNotMatch(@"\nhessian\.trace .* hessian\.", report);
        Assert.Contains("of 5 metrics independent (the 1 derived row not counted)", report);
        Assert.Equal(1 + 3 * 6, File.ReadAllLines(tmp.File("results.csv")).Length);
        foreach (var plot in new[] { "scatter-hessian.trace", "training-curves", "spectra" })
            foreach (var ext in new[] { ".png", ".svg" })
                Assert.True(new FileInfo(Path.Combine(tmp.Path, "plots", plot + ext)).Length > 500, $"{plot}{ext} missing or empty");
        string scatter = File.ReadAllText(Path.Combine(tmp.Path, "plots", "scatter-hessian.trace.svg"));
        Assert.Contains("τ = ", scatter); // the ranking in the title
        Assert.Matches(@"font-size=""11""[^>]*>\s*0\.01\s*<", scatter); // a point labelled by its axis value (weight decay 0.01)
        Assert.All(results, r => Assert.Equal(3, r.Log.Count));
        Assert.All(results, r => Assert.NotEmpty(r.Density));
    }

    [Fact]
    public void KilledStudyResumesWithNoModelTrainedTwiceAndNoneLost()
    {
        using var straight = new TempFolder();
        using var killed = new TempFolder();
        var reference = StudyRunner.Run(Tiny(), straight.Path);

        // Kill the study while the second model trains: the first is finished, the second has a checkpoint.
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => StudyRunner.Run(Tiny(), killed.Path, p =>
        {
            if (p.Model == 1 && p.Stage == StudyStage.Training && p.Detail.StartsWith("epoch 2", StringComparison.Ordinal)) cancel.Cancel();
        }, cancel.Token));
        string firstResult = Path.Combine(killed.Path, "models", "wd=0", "result.json");
        Assert.True(File.Exists(firstResult), "the finished model's result was lost");
        var firstBytes = File.ReadAllBytes(firstResult);
        using (var partial = Checkpoint.Load(Path.Combine(killed.Path, "models", "wd=0.001", Checkpoint.FileName)))
            Assert.InRange(partial.Run.EpochsDone, 1, 2);

        var trained = new List<string>();
        var resumed = StudyRunner.Run(Tiny(), killed.Path, p => { if (p.Stage == StudyStage.Training && !trained.Contains(p.Name)) trained.Add(p.Name); });
        Assert.DoesNotContain("wd=0", trained);
        Assert.Equal(firstBytes, File.ReadAllBytes(firstResult));
        Assert.Equal(3, resumed.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(reference[i].Log.Select(l => l.TrainLoss), resumed[i].Log.Select(l => l.TrainLoss));
            Assert.Equal(reference[i].Metrics.Select(m => m.Value), resumed[i].Metrics.Select(m => m.Value));
        }
    }

    [Fact]
    public void ReportOnlyRebuildsAnIdenticalReport()
    {
        using var tmp = new TempFolder();
        string spec = tmp.File("spec.json");
        File.WriteAllText(spec, Tiny().ToJson());
        string folder = tmp.File("study");
        var first = CliRunner.Run("study", "--spec", spec, "--out", folder);
        Assert.True(first.Code == 0, first.Error);
        Assert.Contains("τ vs error gap", first.Out);
        var files = new[] { "report.md", "results.csv", "results.json", Path.Combine("plots", "scatter-hessian.trace.svg") };
        var before = files.Select(f => File.ReadAllBytes(Path.Combine(folder, f))).ToList();
        foreach (var f in files) File.Delete(Path.Combine(folder, f));
        var again = CliRunner.Run("study", "--report-only", "--out", folder);
        Assert.True(again.Code == 0, again.Error);
        for (int i = 0; i < files.Length; i++) Assert.True(before[i].SequenceEqual(File.ReadAllBytes(Path.Combine(folder, files[i]))), $"{files[i]} differs after --report-only");
        Assert.Equal(first.Out, again.Out);
    }

    [Fact]
    public void AxesBuildTheirPopulationsAndBadInputsAreRefused()
    {
        var wd = StudyAxes.Build("weight-decay", "quick", "fashion-mnist", "mlp:784-256-256-10", 2);
        Assert.Equal(16, wd.Models.Count);
        Assert.Equal(["weight-decay", "seed"], wd.Models[3].Coordinates.Keys);
        Assert.All(wd.Models, m => Assert.Equal("train-error<=0.02", m.Config.Until));
        var rl = StudyAxes.Build("random-labels", "quick", "fashion-mnist", "softmax", 1);
        Assert.Equal(8, rl.Models.Count);
        Assert.All(rl.Models, m => Assert.Equal("train-error<=0.01", m.Config.Until));
        Assert.Equal(0.3, rl.Models[3].Config.UniformLabels);
        Assert.Equal(11, StudyAxes.Build("random-labels", "standard", "fashion-mnist", "softmax", 1).Models.Count);
        Assert.Contains("unknown study axis", Assert.Throws<ArgumentException>(() => StudyAxes.Build("dropout", "quick", "d", "m", 1)).Message);
        Assert.Contains("unknown preset", Assert.Throws<ArgumentException>(() => StudyAxes.Build("weight-decay", "huge", "d", "m", 1)).Message);
        var reg = StudyAxes.Build("regularizers", "standard", "fashion-mnist", "mlp:784-256-256-10", StudyAxes.DefaultSeeds("regularizers", "standard"));
        Assert.Equal(48, reg.Models.Count);
        Assert.Equal(["plain", "trace", "fisher", "perturbed", "sam", "asam"], reg.Models.Select(m => m.Coordinates["regularizers"]).Distinct());
        Assert.All(reg.Models, m => Assert.Equal(m.Coordinates["regularizers"] == "plain" ? null : RegularizersAxis.TunedStrengths[m.Coordinates["regularizers"]], m.Config.Regularizer));
        Assert.All(reg.Models, m => Assert.Equal(reg.Models[0].Config with { Seed = m.Config.Seed, Regularizer = m.Config.Regularizer }, m.Config));
        Assert.Equal("ggn.trace,hessian.trace,fisher.trace,fisher.logdet_subsampled,pacgen,sharpness.keskar,hessian.top_eigenvalue,baseline.train_loss,baseline.steps_to_criterion", reg.Metrics);
        var optimizers = StudyAxes.Build("optimizer", "quick", "fashion-mnist", "mlp:784-256-256-10", 1);
        Assert.Equal(7, optimizers.Models.Single(m => m.Coordinates["optimizer"] == "adam+averaging").Config.SwaStart);
        // Standard batch-size, learning-rate and augmentation points compare fitted models: one criterion, a cap, a
        // constant rate; the quick preset keeps its fixed budget.
        foreach (var axis in new[] { "batch-size", "learning-rate", "augmentation" })
        {
            var standard = StudyAxes.Build(axis, "standard", "fashion-mnist", "mlp:784-256-256-10", 2);
            Assert.All(standard.Models, m => Assert.True(m.Config.Until is not null && m.Config.Epochs == 400 && m.Config.TrainSubset == 5000 && m.Config.Schedule == "constant", m.Name));
            Assert.All(StudyAxes.Build(axis, "quick", "fashion-mnist", "mlp:784-256-256-10", 1).Models, m => Assert.Null(m.Config.Until));
        }
        Assert.Equal([32, 64, 128, 256, 512, 1024], StudyAxes.Build("batch-size", "standard", "fashion-mnist", "mlp:784-256-256-10", 1).Models.Select(m => m.Config.BatchSize));
        // Every axis at every preset builds a study that validates (model names become folders: adam+averaging, crop1+flip).
        foreach (var axis in StudyAxes.Names.Keys)
            foreach (var preset in new[] { "quick", "standard", "paper" })
            {
                var spec = StudyAxes.Build(axis, preset, "fashion-mnist", "mlp:784-256-256-10", StudyAxes.DefaultSeeds(axis, preset));
                spec.Validate();
                // SLQ's error is the spread over starts (with the truncation term): one start would leave hessian.logdet without a noise figure.
                Assert.True(spec.Measure.SlqStarts >= 2, $"{axis} {preset}: {spec.Measure.SlqStarts} SLQ start");
            }

        using var tmp = new TempFolder();
        var run = CliRunner.Run("study", "--out", tmp.Path, "--report-only");
        Assert.Equal(1, run.Code);
        Assert.Contains("not a study folder", run.Error);
        var noAxis = CliRunner.Run("study");
        Assert.Equal(2, noAxis.Code);
        Assert.Contains("name a study axis", noAxis.Error);
        var other = Tiny() with { Measure = new MeasureSettings { TraceProbes = 5 } };
        StudyRunner.Run(Tiny() with { Models = Tiny().Models }, tmp.File("a"), null, new CancellationToken(canceled: false)).Clear();
        Assert.Contains("holds a different study", Assert.Throws<InvalidOperationException>(() => StudyRunner.Run(other, tmp.File("a"))).Message);
    }
}

public class CriterionStudyTests
{
    [Fact]
    public void ModelsThatHitTheEpochCapAreFlagged()
    {
        using var tmp = new TempFolder();
        var spec = new StudySpec
        {
            Name = "criterion",
            Preset = "test",
            Metrics = "hessian.trace",
            Measure = new MeasureSettings { TraceProbes = 4 },
            MeasureSamples = 100,
            Models = [.. new[] { ("easy", "train-error<=0.5"), ("never", "train-loss<=0") }.Select(m => new StudyModel(m.Item1,
                new TrainConfig { Model = "mlp:5-8-3", Data = "mixture:d=5,k=3,n=150", Epochs = 3, BatchSize = 16, Until = m.Item2 },
                new Dictionary<string, string> { ["criterion"] = m.Item2 }))],
        };
        var results = StudyRunner.Run(spec, tmp.Path);
        StudyReport.Write(spec, results, tmp.Path);
        string report = File.ReadAllText(tmp.File("report.md"));
        Assert.Contains("| epochs (criterion) |", report);
        Assert.Contains("(train-loss<=0, CAP)", report);
        Assert.DoesNotContain("(train-error<=0.5, CAP)", report);
        Assert.Contains("stopped at the epoch cap", report);
        Assert.True(results[0].Log.Count < 3, "the easy criterion should stop before the cap");
    }
}

public class SubsamplingStudyTests
{
    [Fact]
    public void SubsamplingStudyReportsBatchAndFullCurvature()
    {
        using var tmp = new TempFolder();
        var spec = new StudySpec
        {
            Name = "subsampling",
            Preset = "test",
            Metrics = "hessian.trace",
            Measure = new MeasureSettings { TraceProbes = 4 },
            MeasureSamples = 100,
            Models = [.. new[] { 0.0, 1e-3 }.Select(wd => new StudyModel($"wd={wd}",
                new TrainConfig { Model = "mlp:5-8-3", Data = "mixture:d=5,k=3,n=150", Epochs = 2, BatchSize = 16, Optimizer = new(OptimizerKind.Sgd, 0.9, WeightDecay: wd) },
                new Dictionary<string, string> { ["subsampling"] = wd.ToString(System.Globalization.CultureInfo.InvariantCulture) }))],
        };
        var results = StudyRunner.Run(spec, tmp.Path);
        Assert.All(results, r => Assert.Equal([32, 100], r.Subsampling.Select(s => s.BatchSize)));

        // Against dense Hessians of the same batches: Hutchinson with k Rademacher probes has variance
        // 2(‖A‖_F² − Σ A_ii²)/k for Tr A (and the same with A² for Tr A² = ‖A‖_F²), so each row must sit
        // within 5 of its exact standard errors of the dense value.
        var config = spec.Models[0].Config;
        using var split = DataCatalog.Load(config.Data);
        using var train = TrainingRun.PrepareTrainingSet(config, split.Train);
        using var measured = train.Sample(100, config.Seed);
        using var loaded = Checkpoint.Load(Path.Combine(tmp.Path, "models", spec.Models[0].Name, Checkpoint.FileName));
        foreach (var row in results[0].Subsampling)
        {
            int batches = Math.Min(100 / row.BatchSize, 16);
            double trace = 0, square = 0, traceVariance = 0, squareVariance = 0;
            for (int k = 0; k < batches; k++)
            {
                using var scope = NewDisposeScope();
                using var op = new HessianOperator(loaded.Run.Model, CurvatureData.FromBatch(measured.Features.narrow(0, k * row.BatchSize, row.BatchSize), measured.Labels.narrow(0, k * row.BatchSize, row.BatchSize)));
                var a = DenseReference.Matrix(op).to(ScalarType.Float64);
                var a2 = a.matmul(a);
                trace += a.trace().item<double>() / batches;
                square += a2.trace().item<double>() / batches;
                traceVariance += 2 * (a.square().sum() - a.diagonal().square().sum()).item<double>() / 4 / (batches * batches);
                squareVariance += 2 * (a2.square().sum() - a2.diagonal().square().sum()).item<double>() / 4 / (batches * batches);
            }
            Assert.True(Math.Abs(row.TraceMean - trace) <= 5 * Math.Sqrt(traceVariance) + 1e-4 * Math.Abs(trace), $"batch {row.BatchSize}: Tr H_B {row.TraceMean} vs dense {trace} (se {Math.Sqrt(traceVariance)})");
            Assert.True(Math.Abs(row.SquareMean - square) <= 5 * Math.Sqrt(squareVariance) + 1e-4 * square, $"batch {row.BatchSize}: Tr H_B² {row.SquareMean} vs dense {square} (se {Math.Sqrt(squareVariance)})");
        }
        StudyReport.Write(spec, results, tmp.Path);
        Assert.Contains("## Sub-sampled curvature", File.ReadAllText(tmp.File("report.md")));
    }
}
