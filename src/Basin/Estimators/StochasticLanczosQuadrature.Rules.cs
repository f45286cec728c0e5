namespace Basin.Estimators;

/// <summary>One start's quadrature rules and what they give: its Gauss rule and the change since its leading half, or its Gauss–Radau bracket.</summary>
public sealed partial class StochasticLanczosQuadrature
{
    /// <summary>
    /// One start's quadrature of f and its truncation: the Gauss–Radau bracket's midpoint and half-width where
    /// <paramref name="lowerEnd"/> is known and the bracket exists, else the Gauss rule and its (signed) change since m/2 steps.
    /// </summary>
    private static (double Value, double Change) StartQuadrature(LanczosRun run, Func<double, double> f, double? lowerEnd) =>
        lowerEnd is { } a && GaussRadau.Bracket(run, f, a) is { } bracket ? Midpoint(bracket) : Gauss(Rule(run, run.Steps), Rule(run, (run.Steps + 1) / 2), f);

    /// <summary>A bracket's midpoint and half-width.</summary>
    private static (double Value, double Change) Midpoint((double Lower, double Upper) bracket) => ((bracket.Lower + bracket.Upper) / 2, (bracket.Upper - bracket.Lower) / 2);

    /// <summary>The Gauss rule's quadrature of f and its signed change since the leading half's rule.</summary>
    private static (double Value, double Change) Gauss((double[], double[], double) full, (double[], double[], double) half, Func<double, double> f)
    {
        double value = Quadrature(full, f);
        return (value, value - Quadrature(half, f));
    }

    private static (double[] Nodes, double[] Weights, double StartNormSquared) Rule(LanczosRun run, int steps)
    {
        var (nodes, weights, _) = run.Ritz(steps);
        return (nodes, weights, run.StartNorm * run.StartNorm);
    }

    private static double Quadrature((double[] Nodes, double[] Weights, double StartNormSquared) rule, Func<double, double> f) =>
        rule.StartNormSquared * rule.Nodes.Zip(rule.Weights, (t, w) => w * f(t)).Sum();
}
