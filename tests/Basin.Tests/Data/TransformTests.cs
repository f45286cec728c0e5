using Basin.Data;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Data;

public class TransformTests
{
    [Fact]
    public void ThreeGaussiansIsSeededAndBinarisedAtTheMedian()
    {
        using var a = Synthetic.ThreeGaussians(100, seed: 3);
        using var b = Synthetic.ThreeGaussians(100, seed: 3);
        using var c = Synthetic.ThreeGaussians(100, seed: 4);
        Assert.Equal(100, a.Count);
        Assert.Equal(2, a.NumClasses);
        Assert.True(a.Features.eq(b.Features).all().item<bool>());
        Assert.False(a.Features.eq(c.Features).all().item<bool>());
        int ones = a.LabelArray().Count(l => l == 1);
        // components are equally likely; the median index is 1, so about a third are above it
        Assert.InRange(ones, 15, 50);
    }

    [Fact]
    public void GaussianMixtureIsLearnableAndSeeded()
    {
        using var a = Synthetic.GaussianMixture(8, 3, 300, seed: 1, sampleSeed: 1);
        using var b = Synthetic.GaussianMixture(8, 3, 300, seed: 1, sampleSeed: 1);
        Assert.True(a.Features.eq(b.Features).all().item<bool>());
        Assert.Equal(new long[] { 8 }, a.SampleShape);
        Assert.Equal(3, a.LabelArray().Distinct().Count());
    }

    [Fact]
    public void RandomLabelsChangeExactlyTheFraction()
    {
        using var data = Synthetic.GaussianMixture(2, 10, 1000, seed: 0);
        using var noisy = data.WithRandomLabels(0.3, seed: 5);
        int changed = data.LabelArray().Zip(noisy.LabelArray()).Count(p => p.First != p.Second);
        Assert.Equal(300, changed);
        using var again = data.WithRandomLabels(0.3, seed: 5);
        Assert.Equal(noisy.LabelArray(), again.LabelArray());
    }

    [Fact]
    public void ConfusionSetAppendsRandomlyLabelledExtraSamples()
    {
        using var pool = Synthetic.GaussianMixture(2, 4, 500, seed: 0);
        using var set = pool.WithConfusionSet(200, 100, seed: 1);
        Assert.Equal(300, set.Count);
        var perm = Shuffle.Permutation(500, 1);
        var poolLabels = pool.LabelArray();
        var labels = set.LabelArray();
        for (int i = 0; i < 200; i++) Assert.Equal(poolLabels[perm[i]], labels[i]);
        Assert.Throws<ArgumentException>(() => pool.WithConfusionSet(450, 100, seed: 1));
    }

    [Fact]
    public void ValidationSplitIsDisjointAndComplete()
    {
        using var data = Synthetic.GaussianMixture(3, 2, 101, seed: 0);
        using var split = data.SplitValidation(0.2, seed: 9);
        Assert.Equal(20, split.Test.Count);
        Assert.Equal(81, split.Train.Count);
        using var joined = cat([split.Train.Features, split.Test.Features], 0);
        using var sortedJoined = joined.sum(1).sort().Values;
        using var sortedAll = data.Features.sum(1).sort().Values;
        Assert.True(sortedJoined.allclose(sortedAll));
    }

    [Fact]
    public void StandardizerGivesZeroMeanUnitStdPerChannel()
    {
        using var tmp = new TempFolder();
        TestFiles.WriteIdxFolder(tmp.Path, 30, 5);
        using var split = IdxDataset.Load(tmp.Path, "t");
        var st = Standardizer.Fit(split.Train);
        using var z = st.Apply(split.Train);
        Assert.Equal(0.0, z.Features.mean().item<float>(), 4);
        Assert.Equal(1.0, z.Features.std(unbiased: false).item<float>(), 4);
    }

    [Fact]
    public void FlipAndCropAreSeededAndShapePreserving()
    {
        using var x = arange(2 * 1 * 4 * 4, ScalarType.Float32).reshape(2, 1, 4, 4);
        var flip = new Augmentation(0, true);
        using var f = flip.Apply(x, new Random(1));
        for (int i = 0; i < 2; i++)
        {
            bool same = f[i].eq(x[i]).all().item<bool>(), flipped = f[i].eq(x[i].flip(2)).all().item<bool>();
            Assert.True(same || flipped, $"sample {i} is neither the image nor its mirror");
        }
        var crop = Augmentation.Parse("crop1+flip");
        using var c1 = crop.Apply(x, new Random(7));
        using var c2 = crop.Apply(x, new Random(7));
        Assert.Equal(x.shape, c1.shape);
        Assert.True(c1.eq(c2).all().item<bool>());
        // every output pixel is an input pixel or the zero padding
        var inputs = x.data<float>().ToHashSet();
        Assert.All(c1.data<float>().ToArray(), v => Assert.True(v == 0 || inputs.Contains(v)));
        Assert.Throws<FormatException>(() => Augmentation.Parse("rotate"));
    }
}
