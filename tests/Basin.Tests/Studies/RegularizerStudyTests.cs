using Basin.Studies.Axes;
using System.Text;
using Basin.Data;
using Basin.Metrics;
using Basin.Studies;
using Basin.Tests.Operators;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Studies;

/// <summary>The regularizers study's regime: its validation split, the rule that chooses each method's strength, its axes.</summary>
public class RegularizerStudyTests
{
    /// <summary>Mean cross-entropy and error of <paramref name="model"/> on rows [from, from + count), by a float64 log-sum-exp written here.</summary>
    private static (double Loss, double Error) ByHand(Basin.Models.Model model, Tensor x, Tensor y, int from, int count)
    {
        using var noGrad = no_grad();
        var logits = model.Module.forward(x).to(ScalarType.Float64).data<double>().ToArray();
        var labels = y.data<long>().ToArray();
        int k = logits.Length / (int)x.shape[0];
        double loss = 0, wrong = 0;
        for (int i = from; i < from + count; i++)
        {
            var row = logits.Skip(i * k).Take(k).ToArray();
            double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            loss += lse - row[labels[i]];
            if (Array.IndexOf(row, max) != labels[i]) wrong++;
        }
        return (loss / count, wrong / count);
    }

    [Fact]
    public void TheValidationSplitIsTheImagesRightPastThePoolAndIsNotCountedAsTestData()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:3-5-3:relu", [3], 3, seed: 4);
        var (x, y) = DenseReference.Batch(20, [3], 3, seed: 5);
        using var train = new Dataset("tiny", x, y, 3);
        using var test = new Dataset("tiny-test", x.narrow(0, 0, 4), y.narrow(0, 0, 4), 3);
        var config = new TrainConfig { TrainSubset = 4, TrainPool = 8, Validation = 5 };
        using var context = new MetricContext(model, train, new MeasureSettings());
        var empty = new ModelResult("m", [], config, [], 0, 0, 0, 0.25, [], [], [], null, 0, 0, 4);
        var result = new HeldOutExtra().Apply(empty, new MeasuredModel(new StudyModel("m", config, []), context, train, new DataSplit(train, test)));
        var (validationLoss, validationError) = ByHand(model, x, y, 8, 5);
        var (unseenLoss, unseenError) = ByHand(model, x, y, 13, 7);
        Assert.Equal(5, result.Validation!.Samples);
        Assert.Equal(validationLoss, result.Validation.Loss, 6);
        Assert.Equal(validationError, result.Validation.Error, 12);
        Assert.Equal(7, result.Unseen!.Samples);
        Assert.Equal(unseenLoss, result.Unseen.Loss, 6);
        Assert.Equal(unseenError, result.Unseen.Error, 12);
        // Held-out error pools the test split (4 images at 25%) with the unseen images only, never the validation split.
        Assert.Equal((0.25 * 4 + unseenError * 7) / 11, result.HeldOutError.Error, 12);
        Assert.Equal(11, result.HeldOutError.Samples);
    }

    [Fact]
    public void AValidationSplitNeedsAPool()
    {
        Assert.Contains("validation split", Assert.Throws<ArgumentException>(() => new TrainConfig { Validation = 10 }.Validate()).Message);
        new TrainConfig { TrainSubset = 10, TrainPool = 100, Validation = 10 }.Validate();
    }

    private static ModelResult Tuned(string? setting, int seed, double validationError, bool metCriterion) => new(
        $"{setting}_{seed}", [], new TrainConfig { Seed = seed, Regularizer = setting, Until = "train-loss<=0.05" },
        [new EpochLog(1, 0.05, metCriterion ? 0.04 : 0.2, 0, 0, 0, 0)], metCriterion ? 0.04 : 0.2, 0, 0.5, 0.15,
        [], [], [], null, 0, 0, 10_000, Validation: new HeldOutEvaluation(5000, 0.5, validationError));

    [Fact]
    public void TheChosenStrengthHasTheLowestMeanValidationErrorAmongThoseThatMetTheCriterion()
    {
        // sam:rho=0.2 has the lowest validation error (10%) but one model stopped short of the criterion: not eligible.
        // Of the rest, sam:rho=0.1 (mean 12.5%) beats sam:rho=0.05 (14%). trace was tried once: no choice to make.
        var results = new List<ModelResult>
        {
            Tuned(null, 100, 0.16, true),
            Tuned("sam:rho=0.05", 100, 0.15, true), Tuned("sam:rho=0.05", 101, 0.13, true),
            Tuned("sam:rho=0.1", 100, 0.12, true), Tuned("sam:rho=0.1", 101, 0.13, true),
            Tuned("sam:rho=0.2", 100, 0.10, true), Tuned("sam:rho=0.2", 101, 0.10, false),
            Tuned("trace:eta=0.001", 100, 0.01, true),
        };
        var settings = TuningSection.Settings(results);
        Assert.Equal(["sam:rho=0.05", "sam:rho=0.1", "sam:rho=0.2"], settings.Select(s => s.Text));
        Assert.Equal(12.5, settings[1].Mean, 12);
        Assert.Equal(0.5, settings[1].StandardError, 12);
        var chosen = TuningSection.Chosen(settings);
        Assert.Equal("sam:rho=0.1", Assert.Single(chosen).Value.Text);
        var md = new StringBuilder();
        new TuningSection().Write(md, new ReportInput(new StudySpec(), results, []));
        Assert.Contains("| sam | `sam:rho=0.1` | 2 | yes | 12.50 ± 0.50 | ✓ |", md.ToString());
        Assert.Contains("| sam | `sam:rho=0.2` | 2 | no | 10.00 ± 0.00 |  |", md.ToString());
        Assert.Contains("Plain training: 16.00%.", md.ToString());
    }

    [Fact]
    public void TheRegularizerAxesShareOneOverfittingRegimeAndTheTuningSeedsAreNotTheStudys()
    {
        var study = StudyAxes.Build("regularizers", "standard", "fashion-mnist", "mlp:784-256-256-10", StudyAxes.DefaultSeeds("regularizers", "standard"));
        var tuning = StudyAxes.Build("regularizers-tuning", "standard", "fashion-mnist", "mlp:784-256-256-10", StudyAxes.DefaultSeeds("regularizers-tuning", "standard"));
        Assert.Equal(6 * 8, study.Models.Count);
        Assert.Equal(16 * 2, tuning.Models.Count);
        Assert.Equal(Enumerable.Range(0, 8), study.Models.Select(m => m.Config.Seed).Distinct().Order());
        Assert.Equal([100, 101], tuning.Models.Select(m => m.Config.Seed).Distinct().Order());
        // One regime for both: the same config but for seed and step method.
        var basis = study.Models[0].Config;
        Assert.All(study.Models.Concat(tuning.Models), m => Assert.Equal(basis, m.Config with { Seed = 0, Regularizer = null }));
        Assert.Equal((5000, 50_000, 5000, "train-loss<=0.05", "constant"), (basis.TrainSubset, basis.TrainPool, basis.Validation, basis.Until, basis.Schedule));
        // Each tuned strength is one of its grid's, and every grid holds 3 settings of its own method.
        foreach (var (method, setting) in RegularizersAxis.TunedStrengths)
        {
            Assert.Contains(setting, RegularizersTuningAxis.TuningGrid[method]);
            Assert.Equal(3, RegularizersTuningAxis.TuningGrid[method].Length);
            Assert.All(RegularizersTuningAxis.TuningGrid[method], s => Assert.Equal(method, RegularizerSettings.Parse(s).Name));
        }
        Assert.Equal(RegularizersAxis.TunedStrengths.Values.Order(), study.Models.Where(m => m.Config.Regularizer is not null).Select(m => m.Config.Regularizer!).Distinct().Order());
    }
}
