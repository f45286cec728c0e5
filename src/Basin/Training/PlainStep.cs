using static TorchSharp.torch;

namespace Basin.Training;

/// <summary>Plain training (<c>none</c>): the gradient of the mini-batch loss.</summary>
internal sealed class PlainStep(RegularizerSettings settings) : StepMethod(settings)
{
    /// <summary>Its declaration.</summary>
    public static StepMethodInfo Info { get; } = new("none", "plain training", [], s => new PlainStep(s));

    public override (double Loss, Tensor[] Gradient) Gradient(TrainingStep step)
    {
        var loss = step.Loss();
        return (loss.to(ScalarType.Float64).item<double>(), Grad(loss, step.Parameters));
    }
}
