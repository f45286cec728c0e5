using Basin.Data;
using Basin.Models;
using static TorchSharp.torch;

namespace Basin.Metrics;

/// <summary>
/// Output margins on the logits, <c>γ_i = f_w(x_i)[y_i] − max_{j≠y_i} f_w(x_i)[j]</c> (Jiang et al. 2020 §C; negative for a
/// misclassified sample), and the percentile Jiang's margin measures normalise by.
/// </summary>
public static class OutputMargins
{
    /// <summary>Every sample's margin, in the data's order, from an eval-mode forward pass (float64).</summary>
    /// <exception cref="ArgumentException">The model has one output (no margin between classes) or the data does not fit it.</exception>
    public static double[] Of(Model model, Dataset data, int batchSize = 4096)
    {
        Evaluation.CheckFits(model, data);
        if (model.Outputs < 2) throw new ArgumentException($"model {model.Spec} has one output: output margins need two or more classes");
        using var mode = new ModeScope(model.Module, train: false);
        using var noGrad = no_grad();
        var device = model.Module.parameters().First().device;
        var margins = new double[data.Count];
        for (int start = 0; start < data.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, data.Count - start);
            var logits = model.Module.forward(data.Features.narrow(0, start, n).to(device)).to(ScalarType.Float64);
            var y = data.Labels.narrow(0, start, n).to(device).unsqueeze(1);
            var own = logits.gather(1, y).squeeze(1);
            var others = logits.scatter(1, y, full_like(own.unsqueeze(1), double.NegativeInfinity)).max(1).values;
            (own - others).cpu().data<double>().ToArray().CopyTo(margins, start);
        }
        return margins;
    }

    /// <summary>γ₁₀, the 10th percentile of the margins over the measured samples (Jiang et al. 2020 eq. 22's margin).</summary>
    public static double Percentile10(MetricContext context) => Statistics.Quantile.Of(context.Margins, 0.1);
}
