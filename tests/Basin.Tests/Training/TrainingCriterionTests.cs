using Basin.Data;
using Basin.Training;
using Xunit;

namespace Basin.Tests.Training;

public class TrainingCriterionTests
{
    private static readonly TrainConfig Easy = new()
    {
        Model = "mlp:4-16-3", Data = "mixture:d=4,k=3,n=300", Epochs = 40, BatchSize = 32, LearningRate = 0.05, Seed = 2,
    };

    [Theory]
    [InlineData("train-loss<=0.05", CriterionQuantity.TrainLoss, 0.05)]
    [InlineData("train-error <= 0", CriterionQuantity.TrainError, 0.0)]
    public void ParsesTheTwoForms(string text, CriterionQuantity quantity, double threshold) =>
        Assert.Equal(new TrainingCriterion(quantity, threshold), TrainingCriterion.Parse(text));

    [Theory]
    [InlineData("test-loss<=0.1")]
    [InlineData("train-loss<0.1")]
    [InlineData("train-error<=1.5")]
    [InlineData("train-loss<=-1")]
    [InlineData("train-loss<=abc")]
    public void RefusesAnythingElse(string text)
    {
        Assert.Contains("unknown criterion", Assert.Throws<FormatException>(() => TrainingCriterion.Parse(text)).Message);
        Assert.Throws<ArgumentException>(() => (Easy with { Until = text }).Validate());
    }

    [Fact]
    public void StopsAtTheFirstEpochThatMeetsTheCriterionAndStaysStoppedOnResume()
    {
        using var data = DataCatalog.Load(Easy.Data);
        using var run = TrainingRun.Start(Easy with { Until = "train-error<=0.02" }, data.Train);
        run.Train(data.Train, data.Test);
        Assert.True(run.ReachedCriterion, $"not reached in {run.EpochsDone} epochs: train error {run.Log[^1].TrainError}");
        Assert.True(run.EpochsDone < Easy.Epochs, "trained to the cap although the criterion was met");
        Assert.True(run.Log[^1].TrainError <= 0.02);
        Assert.All(run.Log.Take(run.EpochsDone - 1), e => Assert.True(e.TrainError > 0.02, $"epoch {e.Epoch} already met it"));

        using var tmp = new TempFolder();
        Checkpoint.Save(run, tmp.Path, data.Train.SampleShape, data.Train.NumClasses);
        using var loaded = Checkpoint.Load(tmp.Path);
        Assert.Equal("train-error<=0.02", loaded.Run.Config.Until);
        loaded.Run.Train(data.Train, data.Test);
        Assert.Equal(run.EpochsDone, loaded.Run.EpochsDone);
    }

    [Fact]
    public void AnUnreachableCriterionTrainsToTheCapAndSaysSo()
    {
        using var data = DataCatalog.Load(Easy.Data);
        using var run = TrainingRun.Start(Easy with { Epochs = 3, Until = "train-loss<=0" }, data.Train);
        run.Train(data.Train, data.Test);
        Assert.Equal(3, run.EpochsDone);
        Assert.False(run.ReachedCriterion);
        Assert.DoesNotContain("until", new TrainConfig().ToJson()); // configs without a criterion serialise as before
    }
}
