using Basin.Models;
using Basin.Data;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Training;

public class TrainingRunTests
{
    private static readonly TrainConfig Small = new()
    {
        Model = "mlp:10-32-3", Data = "mixture:d=10,k=3,n=300", Seed = 5, Epochs = 4, BatchSize = 32,
        LearningRate = 0.05, Optimizer = new OptimizerSettings(OptimizerKind.Sgd, 0.9, Nesterov: true, WeightDecay: 1e-4),
        Schedule = "cosine",
    };

    private static DataSplit Data() => DataCatalog.Load(Small.Data);

    private static void AssertSameWeights(TrainingRun a, TrainingRun b, bool same = true)
    {
        var sa = a.Model.Module.state_dict();
        var sb = b.Model.Module.state_dict();
        bool equal = sa.Keys.All(k => sa[k].eq(sb[k]).all().item<bool>());
        Assert.True(equal == same, same ? "weights differ between runs that should be identical" : "weights are identical for different seeds");
    }

    [Fact]
    public void LossDecreasesOnSyntheticData()
    {
        using var data = Data();
        using var run = TrainingRun.Start(Small with { Epochs = 6 }, data.Train);
        var (initialLoss, _) = Evaluation.Evaluate(run.Model, data.Train);
        run.Train(data.Train, data.Test);
        Assert.Equal(6, run.Log.Count);
        Assert.True(run.Log[^1].TrainLoss < 0.5 * initialLoss, $"train loss {run.Log[^1].TrainLoss:F4} is not below half the initial {initialLoss:F4}");
        Assert.True(run.Log[^1].TestError < 0.2, $"test error {run.Log[^1].TestError:P1} on a separable mixture");
    }

    [Fact]
    public void SameSeedGivesIdenticalWeights()
    {
        using var data = Data();
        using var a = TrainingRun.Start(Small with { Augment = "none" }, data.Train);
        using var b = TrainingRun.Start(Small, data.Train);
        using var c = TrainingRun.Start(Small with { Seed = 6 }, data.Train);
        a.Train(data.Train, data.Test);
        b.Train(data.Train, data.Test);
        c.Train(data.Train, data.Test);
        AssertSameWeights(a, b);
        AssertSameWeights(a, c, same: false);
        Assert.Equal(a.Log.Select(l => l.TrainLoss), b.Log.Select(l => l.TrainLoss));
    }

    [Fact]
    public void ConfigRoundTripsThroughJsonWithEverySettingChanged()
    {
        var config = new TrainConfig
        {
            Model = "lenet5", Data = "mnist", Seed = 9, Epochs = 7, BatchSize = 64, LearningRate = 0.003,
            Optimizer = new OptimizerSettings(OptimizerKind.AdamW, 0.5, false, 0.02, 0.8, 0.99, 1e-6),
            Schedule = "step:3,5:0.5", ClipNorm = 2.5, LabelSmoothing = 0.1, Augment = "crop4+flip", RandomLabels = 0.25,
            TrainSubset = 500, Confusion = 100, EvalBatchSize = 250,
        };
        var back = TrainConfig.FromJson(config.ToJson());
        Assert.Equal(config, back);
        Assert.Equal(config.Optimizer, back.Optimizer);
        Assert.NotEqual(config, back with { Optimizer = back.Optimizer with { Beta2 = 0.999 } });
    }

    [Fact]
    public void ResumedRunEqualsUninterruptedRun()
    {
        using var data = Data();
        using var tmp = new TempFolder();
        using var straight = TrainingRun.Start(Small, data.Train);
        straight.Train(data.Train, data.Test);

        using (var first = TrainingRun.Start(Small, data.Train))
        {
            first.Train(data.Train, data.Test, untilEpoch: 2);
            Checkpoint.Save(first, tmp.Path, data.Train.SampleShape, data.Train.NumClasses);
        }
        using var loaded = Checkpoint.Load(tmp.Path);
        Assert.Equal(2, loaded.Run.EpochsDone);
        Assert.Equal(Small, loaded.Run.Config);
        loaded.Run.Train(data.Train, data.Test);
        AssertSameWeights(straight, loaded.Run);
        Assert.Equal(straight.Log.Select(l => l.TestLoss), loaded.Run.Log.Select(l => l.TestLoss));
    }

    [Fact]
    public void CheckpointKeepsInitialWeightsAndOptimizerState()
    {
        using var data = Data();
        using var tmp = new TempFolder();
        using var run = TrainingRun.Start(Small with { Epochs = 1 }, data.Train);
        var initial = TrainingRun.Snapshot(run.Model);
        run.Train(data.Train, data.Test);
        Checkpoint.Save(run, tmp.Path, data.Train.SampleShape, data.Train.NumClasses);
        Assert.False(Directory.GetFiles(tmp.Path).Any(f => f.EndsWith(".tmp", StringComparison.Ordinal)), "a temporary file was left behind");
        using var loaded = Checkpoint.Load(Path.Combine(tmp.Path, Checkpoint.FileName));
        foreach (var (name, t) in initial) Assert.True(loaded.Run.InitialWeights[name].eq(t).all().item<bool>(), $"initial weight {name} changed");
        Assert.Equal(run.Optimizer.Steps, loaded.Run.Optimizer.Steps);
        var (ours, _) = run.Optimizer.GetState();
        var (theirs, _) = loaded.Run.Optimizer.GetState();
        Assert.Equal(ours.Keys.Order(), theirs.Keys.Order());
        foreach (var k in ours.Keys) Assert.True(ours[k].eq(theirs[k]).all().item<bool>(), $"optimizer state {k} changed");
    }

    [Fact]
    public void ExponentialLossTrainsTheDeepLinearModel()
    {
        // One datum X = 1 with label 0 (y = −1): the loss exp(X w1 w2 w3) is driven toward 0.
        using var x = tensor(new float[] { 1f }, [1, 1]);
        using var y = tensor(new long[] { 0 });
        using var train = new Dataset("one", x.clone(), y.clone(), 2);
        using var test = new Dataset("one", x.clone(), y.clone(), 2);
        using var run = TrainingRun.Start(new TrainConfig { Model = "deeplinear:3", Epochs = 50, BatchSize = 1, LearningRate = 0.2, Optimizer = new(OptimizerKind.Sgd, 0) }, train);
        var (before, _) = Evaluation.Evaluate(run.Model, train);
        run.Train(train, test);
        Assert.True(run.Log[^1].TrainLoss < 0.25 * before, $"exponential loss {run.Log[^1].TrainLoss} vs initial {before}");
    }

    [Fact]
    public void DivergenceIsReportedNotSilentlyTrained()
    {
        using var data = Data();
        using var run = TrainingRun.Start(Small with { LearningRate = 1e30, Optimizer = new(OptimizerKind.Sgd, 0) }, data.Train);
        var e = Assert.Throws<TrainingDivergedException>(() => run.Train(data.Train, data.Test));
        Assert.Contains("lower --lr", e.Message);
    }
}
