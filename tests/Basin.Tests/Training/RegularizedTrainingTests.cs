using Basin.Data;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Training;

/// <summary>Training with a step method or iterate averaging: exact resume, the average's value, and the settings' errors.</summary>
public class RegularizedTrainingTests
{
    private static readonly TrainConfig Small = new()
    {
        Model = "mlp:10-16-3", Data = "mixture:d=10,k=3,n=200", Seed = 4, Epochs = 4, BatchSize = 32, LearningRate = 0.05,
        Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.9, WeightDecay: 1e-4),
    };

    private static Dictionary<string, Tensor> Weights(TrainingRun run) =>
        run.Model.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    [Theory]
    [InlineData("none", 0)]
    [InlineData("trace", 0)]
    [InlineData("trace:curvature=hessian,eta=0.01", 0)]
    [InlineData("fisher:m=4", 0)]
    [InlineData("perturbed:eta=10", 0)]
    [InlineData("sam", 0)]
    [InlineData("asam", 0)]
    [InlineData("none", 2)]
    [InlineData("perturbed", 3)]
    public void ResumeAfterAnInterruptionGivesIdenticalWeights(string regularizer, int swaStart)
    {
        var config = Small with { Regularizer = regularizer == "none" ? null : regularizer, SwaStart = swaStart };
        using var data = DataCatalog.Load(config.Data);
        using var tmp = new TempFolder();
        using var straight = TrainingRun.Start(config, data.Train);
        straight.Train(data.Train, data.Test);
        using (var first = TrainingRun.Start(config, data.Train))
        {
            first.Train(data.Train, data.Test, untilEpoch: 3);
            Checkpoint.Save(first, tmp.Path, data.Train.SampleShape, data.Train.NumClasses);
        }
        using var loaded = Checkpoint.Load(tmp.Path);
        Assert.Equal(config, loaded.Run.Config);
        loaded.Run.Train(data.Train, data.Test);
        var a = Weights(straight);
        var b = Weights(loaded.Run);
        Assert.All(a, p => Assert.True(p.Value.eq(b[p.Key]).all().item<bool>(), $"{regularizer}, swa {swaStart}: '{p.Key}' differs after resuming"));
        Assert.Equal(straight.FinalLog, loaded.Run.FinalLog with { Seconds = straight.FinalLog.Seconds });
        Assert.Equal(swaStart > 0, loaded.Run.AveragedLog is not null);
    }

    [Theory]
    [InlineData("trace:eta=0", "trace:eta=0.01")]
    [InlineData("fisher:alpha=0", "fisher:alpha=0.01")]
    [InlineData("perturbed:gamma=0", "perturbed:gamma=0.5")]
    [InlineData("sam:rho=0", "sam:rho=0.05")]
    [InlineData("asam:rho=0", "asam:rho=0.5")]
    public void AStepMethodAtStrengthZeroIsPlainTrainingAndItsStrengthMovesIt(string off, string on)
    {
        // Each method's strength is the key it is tuned by: at 0 the method adds nothing (penalty × 0, ascent of length 0,
        // perturbation of width 0) and one epoch lands on plain SGD's weights to rounding; above 0 it leaves them. A method
        // that ignored its key, or perturbed the step regardless, fails one side. (The update rules themselves are checked
        // against hand-computed and finite-difference values in StepMethodTests.)
        using var data = DataCatalog.Load(Small.Data);
        using var plain = TrainingRun.Start(Small with { Epochs = 1 }, data.Train);
        plain.Train(data.Train, data.Test);
        var reference = Weights(plain);
        double Distance(string regularizer)
        {
            using var run = TrainingRun.Start(Small with { Epochs = 1, Regularizer = regularizer }, data.Train);
            run.Train(data.Train, data.Test);
            var w = Weights(run);
            return Math.Sqrt(w.Sum(p => (p.Value - reference[p.Key]).pow(2).sum().item<float>())) / Math.Sqrt(reference.Values.Sum(t => t.pow(2).sum().item<float>()));
        }
        Assert.True(Distance(off) < 1e-5, $"{off} is not plain training");
        Assert.True(Distance(on) > 1e-3, $"{on} stays on plain training's weights");
    }

    [Fact]
    public void AveragedWeightsAreTheMeanOfTheEpochIterates()
    {
        using var data = DataCatalog.Load(Small.Data);
        var iterates = new List<Dictionary<string, Tensor>>();
        using var plain = TrainingRun.Start(Small, data.Train);
        plain.Train(data.Train, data.Test, afterEpoch: r => iterates.Add(Weights(r)));
        using var averaged = TrainingRun.Start(Small with { SwaStart = 2 }, data.Train);
        averaged.Train(data.Train, data.Test);
        Assert.Equal(plain.Log.Select(l => l.TrainLoss), averaged.Log.Select(l => l.TrainLoss));
        Assert.Equal(3, averaged.Average!.Count);
        foreach (var (name, value) in Weights(averaged))
        {
            var mean = stack(iterates.Skip(1).Select(w => w[name]).ToArray()).to(ScalarType.Float64).mean([0]);
            double err = (value.to(ScalarType.Float64) - mean).abs().max().item<double>();
            Assert.True(err < 1e-6, $"'{name}': averaged weights differ from the mean of epochs 2–4 by {err:G3}");
        }
        Assert.NotNull(averaged.AveragedLog);
        Assert.NotEqual(plain.Log[^1].TestLoss, averaged.FinalLog.TestLoss);
    }

    [Theory]
    [InlineData("sharp", "unknown regularizer 'sharp'")]
    [InlineData("sam:radius=1", "regularizer sam has no key 'radius'; keys: rho")]
    [InlineData("sam:rho=-1", "regularizer sam: rho must be in [0, 100], got -1")]
    [InlineData("fisher:m=0", "regularizer fisher: m must be in [1, 1024], got 0")]
    [InlineData("trace:eta=abc", "regularizer trace: eta must be a number, got 'abc'")]
    [InlineData("trace:curvature=fisher", "regularizer trace: curvature must be one of ggn, hessian, got 'fisher'")]
    [InlineData("none:eta=1", "regularizer none has no key 'eta' (it takes none)")]
    [InlineData("asam:rho", "regularizer asam: 'rho' needs a value (rho=…)")]
    public void BadRegularizerTextIsOneClearLine(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => (Small with { Regularizer = text }).Validate());
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void SettingsDescribeEveryKeyWithItsValue()
    {
        Assert.Equal("asam:rho=0.5,eta=0.02", RegularizerSettings.Parse("asam:eta=0.02").Describe());
        Assert.Equal("trace:eta=0.0003,curvature=hessian", RegularizerSettings.Parse("trace:curvature=hessian").Describe());
        Assert.Equal(0.999, RegularizerSettings.Parse("perturbed").Number("beta1"));
    }
}
