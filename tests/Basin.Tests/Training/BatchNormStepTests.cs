using Basin.Models;
using Basin.Tests.Operators;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Training;

/// <summary>
/// The extra passes of SAM, ASAM and R_α leave batch norm's running statistics as the step's own pass at w leaves them
/// (the reference implementations freeze them there); R_α is taken on the hard labels.
/// </summary>
public class BatchNormStepTests
{
    private static Model BatchNormMlp()
    {
        using var generator = new Generator(5);
        var module = nn.Sequential(("0", nn.Linear(4, 6)), ("1", nn.BatchNorm1d(6)), ("2", nn.ReLU()), ("3", nn.Linear(6, 3)));
        using (no_grad())
            foreach (var p in module.parameters()) p.copy_(randn(p.shape, generator: generator) * 0.5);
        return new Model(module, "bn-mlp", LossKind.CrossEntropy, "") { InputShape = [4], Outputs = 3 };
    }

    private static Dictionary<string, Tensor> Statistics(Model model) =>
        model.Module.named_buffers().ToDictionary(b => b.name, b => b.buffer.detach().clone());

    [Theory]
    [InlineData("sam:rho=0.3")]
    [InlineData("asam:rho=0.7,eta=0.05")]
    [InlineData("fisher:alpha=0.1,beta=1,m=4,clip=0")]
    public void ExtraPassesLeaveTheRunningStatisticsAsThePlainStepDoes(string regularizer)
    {
        var (x, y) = DenseReference.Batch(16, [4], 3, seed: 2);
        x = x.to(ScalarType.Float32);
        Dictionary<string, Tensor> After(string method)
        {
            using var model = BatchNormMlp();
            model.Module.train();
            using var step = new TrainingStep(model, model.Module.parameters().ToArray(), x, y, 0, 1, 11);
            using var m = StepMethod.Create(RegularizerSettings.Parse(method));
            m.Gradient(step);
            return Statistics(model);
        }
        var plain = After("none");
        var regularized = After(regularizer);
        Assert.Equal(plain.Keys.Order(), regularized.Keys.Order());
        Assert.Equal(1, plain["1.num_batches_tracked"].item<long>());
        foreach (var (name, value) in plain)
            Assert.True(value.eq(regularized[name]).all().item<bool>(), $"{regularizer}: {name} differs from the plain step's");
    }

    [Fact]
    public void RAlphaIsTakenOnTheHardLabelsWhateverTheSmoothing()
    {
        // Float64 MLP; the expected gradient built here by autograd from the definitions: the data term on the run's
        // smoothed loss, R_α's terms on the hard one.
        var model = DenseReference.Float64("mlp:4-5-3", [4], 3, 3);
        var (x, y) = DenseReference.Batch(16, [4], 3, 4);
        var ps = model.Module.parameters().ToArray();
        const double alpha = 0.2, beta = 0.7, smoothing = 0.1;
        using var method = StepMethod.Create(RegularizerSettings.Parse($"fisher:alpha={alpha},beta={beta},m=4,clip=0"));
        using var step = new TrainingStep(model, ps, x, y, smoothing, 1, 11);
        var (_, g) = method.Gradient(step);
        Tensor[] Grad(Tensor loss) => autograd.grad([loss], ps).Select(t => t.detach()).ToArray();
        var expected = Grad(Losses.Mean(model.Loss, model.Module.forward(x), y, smoothing));
        var xs = x.tensor_split(4);
        var ys = y.tensor_split(4);
        for (int i = 0; i < 4; i++)
        {
            var gi = Grad(Losses.Mean(model.Loss, model.Module.forward(xs[i]), ys[i], 0));
            using (no_grad()) for (int j = 0; j < ps.Length; j++) ps[j].sub_(gi[j] * alpha);
            var shifted = Grad(Losses.Mean(model.Loss, model.Module.forward(xs[i]), ys[i], 0));
            using (no_grad()) for (int j = 0; j < ps.Length; j++) ps[j].add_(gi[j] * alpha);
            for (int j = 0; j < ps.Length; j++) expected[j] = expected[j] + (gi[j] - shifted[j]) * (beta / 4);
        }
        for (int j = 0; j < ps.Length; j++)
            Assert.True(DenseReference.RelativeError(g[j].reshape(-1), expected[j].reshape(-1)) < 1e-10, $"parameter {j}: R_α gradient vs its definition on hard labels");
        model.Dispose();
    }
}
