using Basin.Statistics;

namespace Basin.Studies;

/// <summary>
/// The bar a measure must clear to be trusted (Jiang et al. 2020 §6; Dziugaite et al. 2020): of the baselines, the one
/// with the largest |τ| against the gap, negated when it ordered the gaps in reverse (−train loss where lower training
/// loss went with larger gaps). Orienting after the fact can only raise the bar, never lower it: conservative for the
/// measures compared with it.
/// </summary>
/// <param name="Name">The baseline's name, "−name" when negated.</param>
/// <param name="Tau">Its τ after orientation (≥ 0).</param>
/// <param name="Values">Its value on every model, as measured.</param>
/// <param name="Errors">Their standard errors (0 for exact values).</param>
/// <param name="Orientation">+1, or −1 when negated.</param>
public sealed record BaselineBar(string Name, double Tau, IReadOnlyList<double> Values, IReadOnlyList<double> Errors, double Orientation)
{
    /// <summary>The bar among <paramref name="baselines"/> (name, τ against the gap, values, errors); null when none has a finite τ.</summary>
    public static BaselineBar? Choose(IEnumerable<(string Name, double Tau, IReadOnlyList<double> Values, IReadOnlyList<double> Errors)> baselines)
    {
        var finite = baselines.Where(b => double.IsFinite(b.Tau)).ToList();
        if (finite.Count == 0) return null;
        var top = finite.MaxBy(b => Math.Abs(b.Tau));
        double orientation = top.Tau < 0 ? -1 : 1;
        return new BaselineBar(orientation < 0 ? "−" + top.Name : top.Name, orientation * top.Tau, top.Values, top.Errors, orientation);
    }

    /// <summary>
    /// τ(measure) − τ(this bar) against <paramref name="gap"/> by a paired hierarchical bootstrap (<see cref="HierarchicalBootstrap"/>:
    /// grid points <paramref name="groups"/> within <paramref name="strata"/>, then seeds), each draw also drawing the gaps'
    /// and both metrics' own noise; τ is taken within each stratum and averaged (<see cref="Ranking.MeanKendall"/>).
    /// </summary>
    public BootstrapComparison Compare(IReadOnlyList<string> strata, IReadOnlyList<string> groups, IReadOnlyList<double> gap, IReadOnlyList<double> gapErrors,
        IReadOnlyList<double> values, IReadOnlyList<double> errors, int draws) =>
        HierarchicalBootstrap.Compare(strata, groups, (index, rng) =>
        {
            var g = index.Select(i => HierarchicalBootstrap.Perturb(gap[i], gapErrors[i], rng)).ToArray();
            var s = index.Select(i => strata[i]).ToArray();
            var a = index.Select(i => HierarchicalBootstrap.Perturb(values[i], errors[i], rng)).ToArray();
            var b = index.Select(i => Orientation * HierarchicalBootstrap.Perturb(Values[i], Errors[i], rng)).ToArray();
            return Ranking.MeanKendall(s, a, g) - Ranking.MeanKendall(s, b, g);
        }, draws, seed: 0);
}
