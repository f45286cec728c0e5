using Basin.Estimators;
using Basin.Operators;

namespace Basin.Metrics;

/// <summary>
/// The deflation of the Hessian and of the GGN under <see cref="MeasureSettings.SlqDeflate"/>: one Lanczos run per operator (at most
/// <see cref="MeasureSettings.DeflationSteps"/> steps, from λ₁'s own start) whose top pairs serve λ₁, the probes (trace, Tr A², the
/// Hutchinson diagonal) and the SLQ runs, each of which then samples only the rest of the spectrum (<see cref="Deflation"/>).
/// </summary>
public static class DeflationInput
{
    /// <summary>The Hessian's deflation (null without <see cref="MeasureSettings.SlqDeflate"/>).</summary>
    public static SharedInput<Deflation?> Hessian { get; } = new SharedInput<Deflation?>("Hessian deflation", Cost, c => Find(c, c.Hessian)).Holding(Holding);

    /// <summary>The GGN's deflation.</summary>
    public static SharedInput<Deflation?> Ggn { get; } = new SharedInput<Deflation?>("GGN deflation", Cost, c => Find(c, c.Ggn)).Holding(Holding) with { Operator = ProductKind.Ggn };

    /// <summary><paramref name="input"/> preceded by the deflation of its operator when the settings deflate: the inputs a metric declares.</summary>
    public static IReadOnlyList<MetricInput> With(MeasureSettings settings, MetricInput input) =>
        settings.SlqDeflate > 0 ? [input.Operator == ProductKind.Ggn ? Ggn : Hessian, input] : [input];

    private static MetricCost Cost(MeasureSettings s, long samples, int batch) => new(CurvatureProducts: s.SlqDeflate > 0 ? s.DeflationSteps : 0);

    /// <summary>The deflation run's basis, then its pairs' float64 vectors, which stay while the inputs that read them are computed.</summary>
    private static long Holding(MeasureSettings s, ModelShape shape) =>
        s.SlqDeflate > 0 ? Lanczos.BasisBytes(s.DeflationSteps, shape.Parameters, shape.ValueBytes) + s.SlqDeflate * shape.Parameters * 8L : 0;

    private static Deflation? Find(MetricContext context, ILinearOperator op)
    {
        var s = context.Settings;
        if (s.SlqDeflate == 0 || op.Dimension < 2) return null;
        return context.Ledger.Counted(op, () => Deflation.Find(op, s.SlqDeflate, s.DeflationRule(op.DType), s.SeedFor(SeedStream.TopEigenvalue)));
    }
}
