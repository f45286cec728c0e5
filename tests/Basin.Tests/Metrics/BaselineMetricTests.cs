using Basin.Data;
using Basin.Metrics;
using Basin.Models;
using Basin.Tests.Operators;
using Basin.Training;
using Xunit;
using static Basin.Tests.Metrics.MetricTestModels;
using static TorchSharp.torch;

namespace Basin.Tests.Metrics;

public class BaselineMetricTests
{
    private static double[,] Matrix(Tensor t)
    {
        var v = t.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray();
        int rows = (int)t.shape[0], cols = (int)t.shape[1];
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i, j] = v[i * cols + j];
        return m;
    }

    private static double[] Vector(Tensor t) => t.detach().cpu().to(ScalarType.Float64).data<double>().ToArray();

    /// <summary>The model relabelled with its own predictions, so that every margin is positive.</summary>
    private static Dataset Fitted(Model model, Dataset data)
    {
        using var noGrad = no_grad();
        return new Dataset("fitted", data.Features, model.Module.forward(data.Features).argmax(1), data.NumClasses);
    }

    [Fact]
    public void PathNormEnumeratesEveryPath()
    {
        using var scope = NewDisposeScope();
        using var model = DenseReference.Float64("mlp:3-4-2:relu", [3], 2, seed: 7);
        var (x, y) = DenseReference.Batch(10, [3], 2, seed: 8);
        using var data = new Dataset("tiny", x, y, 2);
        var p = model.Module.parameters().ToArray();
        double[,] w1 = Matrix(p[0]), w2 = Matrix(p[2]);
        double[] b1 = Vector(p[1]), b2 = Vector(p[3]);
        // Σ over input→hidden→output paths of Π w², plus the paths that start at a hidden bias, plus the output biases.
        double sum = 0;
        for (int k = 0; k < 2; k++)
        {
            sum += b2[k] * b2[k];
            for (int j = 0; j < 4; j++)
            {
                sum += b1[j] * b1[j] * w2[k, j] * w2[k, j];
                for (int i = 0; i < 3; i++) sum += w1[j, i] * w1[j, i] * w2[k, j] * w2[k, j];
            }
        }
        AssertClose(Run(model, data, new MeasureSettings(), "norm.path"), sum, 1e-12);
        var (tanh, tanhData) = TanhMlp();
        using (tanh) using (tanhData)
            Assert.StartsWith("not applicable", Run(tanh, tanhData, new MeasureSettings(), "norm.path").Display);
    }

    [Fact]
    public void NormProductsAndMarginFollowTheirFormulas()
    {
        using var scope = NewDisposeScope();
        var (model, raw) = TanhMlp();
        using (model)
        using (raw)
        using (var data = Fitted(model, raw))
        {
            using var context = new MetricContext(model, data, new MeasureSettings());
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("baseline.margin,norm.frobenius_product,norm.spectral_product,norm.frobenius_product_over_margin,norm.spectral_product_over_margin")).ToDictionary(m => m.Id);
            var weights = model.Module.parameters().Where(q => q.dim() == 2).Select(Matrix).ToList();
            double logFrobenius = 0, logSpectral = 0;
            foreach (var w in weights)
            {
                double f = 0;
                foreach (var v in w) f += v * v;
                logFrobenius += Math.Log(f);
                logSpectral += Math.Log(LargestEigenvalueOfGram(w));
            }
            // γ_i from the logits, the 10th percentile by linear interpolation between order statistics (30 samples:
            // position 0.1·29 = 2.9 between the 3rd and 4th smallest).
            double[,] logits;
            using (no_grad()) logits = Matrix(model.Module.forward(data.Features));
            var labels = data.LabelArray();
            var margins = Enumerable.Range(0, labels.Length).Select(i =>
                logits[i, labels[i]] - Enumerable.Range(0, 3).Where(j => j != labels[i]).Max(j => logits[i, j])).Order().ToArray();
            double gamma = margins[2] + 0.9 * (margins[3] - margins[2]);
            Assert.True(gamma > 0, "relabelled data have positive margins");
            AssertClose(r["baseline.margin"], 1 / gamma, 1e-10);
            AssertClose(r["norm.frobenius_product"], logFrobenius, 1e-12);
            AssertClose(r["norm.spectral_product"], logSpectral, 1e-9);
            AssertClose(r["norm.frobenius_product_over_margin"], logFrobenius - 2 * Math.Log(gamma), 1e-10);
            AssertClose(r["norm.spectral_product_over_margin"], logSpectral - 2 * Math.Log(gamma), 1e-9);
            // On the random labels, more than a tenth of the samples are misclassified: the margin measures do not apply.
            using var rawContext = new MetricContext(model, raw, new MeasureSettings());
            Assert.StartsWith("not applicable", MetricRegistry.Measure(rawContext, MetricRegistry.Select("baseline.margin"))[0].Display);
        }
    }

    /// <summary>λ_max(WᵀW) = ‖W‖₂² by power iteration on plain arrays (1 000 steps on a 5×4 matrix: converged far below 1e-9).</summary>
    private static double LargestEigenvalueOfGram(double[,] w)
    {
        int rows = w.GetLength(0), cols = w.GetLength(1);
        var v = Enumerable.Repeat(1.0, cols).ToArray();
        double lambda = 0;
        for (int step = 0; step < 1000; step++)
        {
            var wv = new double[rows];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) wv[i] += w[i, j] * v[j];
            var next = new double[cols];
            for (int j = 0; j < cols; j++) for (int i = 0; i < rows; i++) next[j] += w[i, j] * wv[i];
            double norm = Math.Sqrt(next.Sum(z => z * z));
            lambda = norm / Math.Sqrt(v.Sum(z => z * z));
            v = next.Select(z => z / norm).ToArray();
        }
        return lambda;
    }

    [Fact]
    public void TrainLossAndErrorAreTheDirectOnes()
    {
        var (model, data) = TanhMlp();
        using (model)
        using (data)
        {
            using var context = new MetricContext(model, data, new MeasureSettings());
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("baseline.train_loss,baseline.train_error,baseline.param_count")).ToDictionary(m => m.Id);
            AssertClose(r["baseline.train_loss"], CrossEntropy(model, data), 1e-12);
            double[,] logits;
            using (no_grad()) logits = Matrix(model.Module.forward(data.Features));
            var labels = data.LabelArray();
            int wrong = Enumerable.Range(0, labels.Length).Count(i => Enumerable.Range(0, 3).MaxBy(j => logits[i, j]) != labels[i]);
            Assert.Equal((double)wrong / labels.Length, r["baseline.train_error"].Value, 12);
            Assert.Equal(4 * 5 + 5 + 5 * 3 + 3, r["baseline.param_count"].Value);
        }
    }

    private static readonly TrainConfig Tiny = new() { Model = "mlp:4-6-3", Data = "mixture:d=4,k=3,n=40", Epochs = 5, BatchSize = 4, LearningRate = 0.05, TrainSubset = 10, Until = "train-error<=1" };

    [Fact]
    public void DistanceFromInitAndStepsComeFromTheRun()
    {
        using var data = DataCatalog.Load(Tiny.Data);
        using var train = TrainingRun.PrepareTrainingSet(Tiny, data.Train);
        using var run = TrainingRun.Start(Tiny, train);
        // Untrained: w = w₀. Then every weight of the first layer moved by 0.5: ‖w − w₀‖ = 0.5·√24.
        var first = run.Model.Module.parameters().First();
        using (no_grad()) first.add_(0.5);
        using (var context = new MetricContext(run.Model, train, new MeasureSettings(), run.Record()))
            Assert.Equal(0.5 * Math.Sqrt(24), MetricRegistry.Measure(context, MetricRegistry.Select("norm.frobenius_distance"))[0].Value, 5);
        using (no_grad()) first.sub_(0.5);
        // Any training error ≤ 1 meets the criterion after the first epoch: 1 epoch × ⌈10/4⌉ = 3 steps.
        run.Train(train, data.Test);
        Assert.Equal(1, run.EpochsDone);
        using (var context = new MetricContext(run.Model, train, new MeasureSettings(), run.Record()))
        {
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("baseline.steps_to_criterion,oracle.test_error_noisy_1pp,oracle.test_error_noisy_5pp")).ToDictionary(m => m.Id);
            Assert.Equal(3.0, r["baseline.steps_to_criterion"].Value);
            Assert.Equal(run.FinalLog.TestError, r["oracle.test_error_noisy_1pp"].Terms["test_error"]);
        }
        // Without a run, neither applies.
        using (var context = new MetricContext(run.Model, train, new MeasureSettings()))
            Assert.All(MetricRegistry.Measure(context, MetricRegistry.Select("norm.frobenius_distance,baseline.steps_to_criterion,oracle.test_error_noisy_1pp")),
                m => Assert.StartsWith("not applicable", m.Display));
    }

    [Fact]
    public void OracleNoiseHasTheStatedSpread()
    {
        using var data = DataCatalog.Load(Tiny.Data);
        using var train = TrainingRun.PrepareTrainingSet(Tiny, data.Train);
        using var run = TrainingRun.Start(Tiny, train);
        run.Train(train, data.Test);
        // 200 measure seeds: the noise of the 5 pp row has standard deviation 0.05 (its sample sd is within 15% with
        // probability > 0.99) and mean 0; the 1 pp row's is five times smaller.
        var noise5 = new List<double>();
        var noise1 = new List<double>();
        for (int seed = 0; seed < 200; seed++)
        {
            using var context = new MetricContext(run.Model, train, new MeasureSettings { Seed = seed }, run.Record());
            var r = MetricRegistry.Measure(context, MetricRegistry.Select("oracle.test_error_noisy_1pp,oracle.test_error_noisy_5pp"));
            noise1.Add(r[0].Value - run.FinalLog.TestError);
            noise5.Add(r[1].Value - run.FinalLog.TestError);
        }
        double Sd(List<double> v) => Math.Sqrt(v.Sum(z => z * z) / v.Count);
        Assert.True(Math.Abs(Sd(noise5) - 0.05) < 0.0075, $"sd of the 5 pp noise {Sd(noise5)}");
        Assert.True(Math.Abs(Sd(noise1) - 0.01) < 0.0015, $"sd of the 1 pp noise {Sd(noise1)}");
        Assert.True(Math.Abs(noise5.Average()) < 3 * 0.05 / Math.Sqrt(200), $"mean noise {noise5.Average()}");
    }
}
