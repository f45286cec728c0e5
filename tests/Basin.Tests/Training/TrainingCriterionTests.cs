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

public class LabelNoiseTests
{
    [Fact]
    public void UniformNoiseDrawsFromAllClassesAndOtherNoiseNeverKeepsALabel()
    {
        const int n = 30_000, k = 5;
        using var clean = Synthetic.GaussianMixture(2, k, n, seed: 0, sampleSeed: 1);
        var original = clean.Labels.data<long>().ToArray();
        using var uniform = clean.WithUniformLabels(1.0, seed: 3);
        var redrawn = uniform.Labels.data<long>().ToArray();
        // Every class about n/K times (binomial sd √(n·(1/K)(1 − 1/K)) ≈ 69): within 5 sd.
        foreach (var count in Enumerable.Range(0, k).Select(c => redrawn.Count(l => l == c)))
            Assert.InRange(count, n / k - 350, n / k + 350);
        // About 1/K keep their label by chance (sd ≈ 69 over n).
        Assert.InRange(original.Zip(redrawn).Count(p => p.First == p.Second), n / k - 350, n / k + 350);

        using var other = clean.WithRandomLabels(1.0, seed: 3);
        Assert.DoesNotContain(original.Zip(other.Labels.data<long>().ToArray()), p => p.First == p.Second);

        using var partial = clean.WithUniformLabels(0.4, seed: 3);
        int changed = original.Zip(partial.Labels.data<long>().ToArray()).Count(p => p.First != p.Second);
        // 40% redrawn, of which (K − 1)/K change: 0.32·n ± 5 sd.
        Assert.InRange(changed, (int)(0.32 * n) - 400, (int)(0.32 * n) + 400);
    }

    [Fact]
    public void TheTrainCommandDefaultsToUniformNoise()
    {
        var uniform = new TrainConfig { UniformLabels = 0.5 };
        Assert.Contains("\"uniform_labels\":0.5", uniform.ToJson());
        Assert.DoesNotContain("uniform_labels", new TrainConfig { RandomLabels = 0.5 }.ToJson()); // configs from before keep their JSON
        Assert.Throws<ArgumentException>(() => new TrainConfig { UniformLabels = 0.5, RandomLabels = 0.5 }.Validate());
        using var tmp = new TempFolder();
        var (code, output, error) = Cli.CliRunner.Run("train", "--data", "mixture:d=3,k=3,n=60", "--model", "mlp:3-3", "--epochs", "1", "--random-labels", "0.5", "--out", tmp.Path, "--json");
        Assert.True(code == 0, error);
        using var loaded = Checkpoint.Load(tmp.Path);
        Assert.Equal(0.5, loaded.Run.Config.UniformLabels);
        Assert.Equal(0, loaded.Run.Config.RandomLabels);
        var wrong = Cli.CliRunner.Run("train", "--data", "mixture:d=3,k=3,n=60", "--label-noise", "some");
        Assert.Equal(2, wrong.Code);
    }
}
