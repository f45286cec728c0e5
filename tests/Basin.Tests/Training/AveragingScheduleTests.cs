using Basin.Data;
using Basin.Models;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Training;

/// <summary>SWA's averaging learning rate (<c>--swa-lr</c>) and its batch-norm recompute through the training transform.</summary>
public class AveragingScheduleTests
{
    private static TrainingRun Trained(TrainConfig config)
    {
        using var split = DataCatalog.Load(config.Data);
        var run = TrainingRun.Start(config, split.Train);
        run.Train(split.Train, split.Test);
        return run;
    }

    private static readonly TrainConfig Base = new() { Model = "mlp:4-8-3", Data = "mixture:d=4,k=3,n=120", Epochs = 4, BatchSize = 16, LearningRate = 0.05, SwaStart = 3 };

    [Fact]
    public void TheAveragedEpochsRunAtTheAveragingRate()
    {
        using var run = Trained(Base with { Schedule = "cosine", SwaLearningRate = 0.01 });
        var cosine = Schedule.Parse("cosine");
        Assert.Equal(0.05 * cosine.Factor(0, 4), run.Log[0].LearningRate, 15);
        Assert.Equal(0.05 * cosine.Factor(1, 4), run.Log[1].LearningRate, 15);
        Assert.Equal(0.01, run.Log[2].LearningRate);
        Assert.Equal(0.01, run.Log[3].LearningRate);
        // The same rate as the constant schedule's changes nothing: bitwise the run without --swa-lr.
        using var same = Trained(Base with { SwaLearningRate = 0.05 });
        using var without = Trained(Base);
        foreach (var ((name, a), (_, b)) in same.Model.Module.named_parameters().Zip(without.Model.Module.named_parameters()))
            Assert.True(a.eq(b).all().item<bool>(), $"{name} differs");
        // And another rate changes the averaged weights.
        using var slower = Trained(Base with { SwaLearningRate = 0.005 });
        Assert.False(slower.Model.Module.parameters().First().eq(without.Model.Module.parameters().First()).all().item<bool>());
    }

    [Fact]
    public void AnAveragingRateNeedsAveraging() =>
        Assert.Contains("--swa-lr needs --swa-start", Assert.Throws<ArgumentException>(() => (Base with { SwaStart = 0, SwaLearningRate = 0.1 }).Validate()).Message);

    [Fact]
    public void BatchNormIsRecomputedOnTheTransformedBatches()
    {
        var module = nn.Sequential(("0", nn.Linear(4, 6)), ("1", nn.BatchNorm1d(6)), ("2", nn.ReLU()), ("3", nn.Linear(6, 3)));
        using var model = new Model(module, "bn-mlp", LossKind.CrossEntropy, "") { InputShape = [4], Outputs = 3 };
        using var data = Synthetic.GaussianMixture(4, 3, 64, seed: 0, sampleSeed: 1);
        var average = new IterateAverage();
        average.Add(model);
        average.ApplyTo(model, data, 16, x => x * 2 + 1);
        // Four batches of 16: the running mean is the mean of the transformed data through the first layer.
        var linear = (nn.Module<Tensor, Tensor>)module.named_modules().First(m => m.name == "0").module;
        using var h = linear.forward(data.Features * 2 + 1).detach().to(ScalarType.Float64);
        var bn = (TorchSharp.Modules.BatchNorm1d)module.named_modules().First(m => m.name == "1").module;
        Assert.True(bn.running_mean!.to(ScalarType.Float64).allclose(h.mean([0]), rtol: 1e-5, atol: 1e-6), "the running mean is not that of the transformed inputs");
        average.Dispose();
    }
}
