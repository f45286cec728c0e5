using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>The plain passes over the operator's data that metrics read beside its products: the loss, its gradient, and mini-batch gradients.</summary>
public abstract partial class CurvatureOperator
{
    /// <summary>The mean loss over the data (no weight decay), in float64.</summary>
    public double Loss()
    {
        using var scope = NewDisposeScope();
        using var mode = new ModeScope(Model.Module, Options.TrainModeBatchNorm);
        using var noGrad = no_grad();
        double sum = 0;
        foreach (var batch in Data.Batches(Device, DType))
            sum += Losses.PerSample(Model.Loss, Model.Module.forward(batch.Inputs), batch.Labels).sum().to(ScalarType.Float64).item<double>();
        return sum / Data.Count;
    }

    /// <summary>The mean gradient of the loss over the data, flat [P].</summary>
    public Tensor Gradient() => LossAndGradient().Gradient;

    /// <summary>
    /// The mean loss (as <see cref="Loss"/>, in float64) and its gradient (as <see cref="Gradient"/>) from the same passes: the gradient's
    /// forward pass gives the loss, so an ascent that reads both at each point (Keskar's) pays one pass, not two.
    /// </summary>
    public (double Loss, Tensor Gradient) LossAndGradient()
    {
        using var scope = NewDisposeScope();
        using var mode = new ModeScope(Model.Module, Options.TrainModeBatchNorm);
        Tensor? sum = null;
        double total = 0;
        foreach (var batch in Data.Batches(Device, DType))
        {
            var losses = Losses.PerSample(Model.Loss, Model.Module.forward(batch.Inputs), batch.Labels).sum();
            total += losses.detach().to(ScalarType.Float64).item<double>();
            var g = ParameterSelection.Flatten(Grad(losses / Data.Count, Parameters));
            sum = sum is null ? g : sum.add(g);
        }
        return (total / Data.Count, sum!.MoveToOuterDisposeScope());
    }

    /// <summary>The mean gradient of each mini-batch of <paramref name="batchSize"/> samples, flat [P], in data order; the caller disposes each.</summary>
    /// <remarks>No dispose scope is held open across a yield, so tensors the caller makes between items stay the caller's.</remarks>
    public IEnumerable<Tensor> MiniBatchGradients(int batchSize)
    {
        var data = Data.WithBatchSize(batchSize);
        for (long start = 0; start < data.Count; start += batchSize)
            yield return MiniBatchGradient(data, start / batchSize);
    }

    private Tensor MiniBatchGradient(CurvatureData data, long index)
    {
        using var scope = NewDisposeScope();
        using var mode = new ModeScope(Model.Module, Options.TrainModeBatchNorm);
        var batch = data.BatchAt(index, Device, DType);
        var loss = Losses.PerSample(Model.Loss, Model.Module.forward(batch.Inputs), batch.Labels).mean();
        return ParameterSelection.Flatten(Grad(loss, Parameters)).MoveToOuterDisposeScope();
    }
}
