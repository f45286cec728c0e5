using Basin.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Training;

public class OptimizerTests
{
    /// <summary>Runs five steps of ours and of TorchSharp's own optimiser on the same quadratic-plus-cubic loss.</summary>
    [Theory]
    [InlineData("sgd", 0.9, false, 0.01)]
    [InlineData("sgd", 0.9, true, 0.01)]
    [InlineData("sgd", 0.0, false, 0.0)]
    [InlineData("adam", 0.0, false, 0.01)]
    [InlineData("adamw", 0.0, false, 0.1)]
    public void MatchesTorchSharpOptimizerStepForStep(string name, double momentum, bool nesterov, double wd)
    {
        const double lr = 0.05;
        var ours = new Parameter(tensor(new double[] { 1.0, -2.0, 0.5 }));
        var theirs = new Parameter(tensor(new double[] { 1.0, -2.0, 0.5 }));
        using var opt = new Optimizer(new OptimizerSettings(OptimizerKinds.Parse(name), momentum, nesterov, wd), [("w", ours)]);
        using var reference = name switch
        {
            "sgd" => (OptimizerHelper)torch.optim.SGD([theirs], lr, momentum, 0, wd, nesterov),
            "adam" => torch.optim.Adam([theirs], lr, weight_decay: wd),
            _ => torch.optim.AdamW([theirs], lr, weight_decay: wd),
        };
        for (int step = 0; step < 5; step++)
        {
            foreach (var p in new[] { ours, theirs })
            {
                p.grad?.zero_();
                var loss = (p * p).sum() + (p * p * p).sum() * 0.1;
                loss.backward();
            }
            opt.Step(lr);
            reference.step();
            Assert.True(ours.allclose(theirs, rtol: 1e-10, atol: 1e-12),
                $"{name} step {step + 1}: ours {string.Join(", ", ours.data<double>().ToArray())} vs TorchSharp {string.Join(", ", theirs.data<double>().ToArray())}");
        }
        Assert.Equal(5, opt.Steps);
    }

    [Theory]
    [InlineData("nadam", "unknown optimizer 'nadam': use sgd, adam, adamw")]
    [InlineData("SGD", "unknown optimizer 'SGD'")]
    public void RejectsUnknownNames(string name, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<FormatException>(() => OptimizerKinds.Parse(name)).Message);

    [Fact]
    public void NamesRoundTripThroughJsonAsTheyAreWritten()
    {
        foreach (var kind in Enum.GetValues<OptimizerKind>())
        {
            var config = new TrainConfig { Optimizer = new OptimizerSettings(kind) };
            Assert.Contains($"\"name\":\"{kind.Name()}\"", config.ToJson());
            Assert.Equal(kind, TrainConfig.FromJson(config.ToJson()).Optimizer.Kind);
            Assert.Equal(kind, OptimizerKinds.Parse(kind.Name()));
        }
    }

    [Fact]
    public void RejectsOutOfRangeSettings()
    {
        Assert.Throws<ArgumentException>(() => new OptimizerSettings(OptimizerKind.Sgd, Momentum: 1.0).Validate());
        Assert.Throws<ArgumentException>(() => new OptimizerSettings(OptimizerKind.Sgd, Momentum: 0, Nesterov: true).Validate());
        Assert.Throws<ArgumentException>(() => new OptimizerSettings(OptimizerKind.Sgd, WeightDecay: -1).Validate());
    }
}

public class ScheduleTests
{
    [Fact]
    public void LinearScheduleFollowsSeed002Equation14()
    {
        var s = Schedule.Parse("linear");
        Assert.Equal(1.0, s.Factor(0, 100));
        Assert.Equal(1.0, s.Factor(50, 100));
        // halfway through the decay (70%): 1 − 0.99 · 0.5
        Assert.Equal(0.505, s.Factor(70, 100), 12);
        Assert.Equal(0.01, s.Factor(90, 100), 12);
        Assert.Equal(0.01, s.Factor(99, 100), 12);
    }

    [Fact]
    public void StepAndCosineSchedules()
    {
        var step = Schedule.Parse("step:100,150");
        Assert.Equal(1.0, step.Factor(99.9, 200));
        Assert.Equal(0.1, step.Factor(100, 200), 12);
        Assert.Equal(0.01, step.Factor(160, 200), 12);
        var cosine = Schedule.Parse("cosine");
        Assert.Equal(1.0, cosine.Factor(0, 10), 12);
        Assert.Equal(0.5, cosine.Factor(5, 10), 12);
        Assert.Equal(0.0, cosine.Factor(10, 10), 12);
        Assert.Throws<FormatException>(() => Schedule.Parse("exponential"));
        Assert.Throws<FormatException>(() => Schedule.Parse("step:a,b"));
    }
}
