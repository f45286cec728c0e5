using System.Text.RegularExpressions;

namespace Basin;

/// <summary>
/// The five papers Basin implements, by the short names the code cites them with (<c>seed 000</c> … <c>seed 004</c>), so
/// that what a user reads — help, <c>measure --list</c>, reports — names each by author and year (docs/papers.md has
/// titles, venues and the equations implemented).
/// </summary>
public static partial class Papers
{
    /// <summary>Each paper: the code's short name, the citation shown to users, and its full reference.</summary>
    public static IReadOnlyList<(string Seed, string Cite, string Reference)> All { get; } =
    [
        ("seed 000", "Granziol et al. 2021", "D. Granziol et al., \"A Practical PAC-Bayes Generalisation Bound for Deep Learning\", ICLR 2021 submission (OpenReview; anonymous while in review)"),
        ("seed 001", "Jia & Su 2020", "Z. Jia, H. Su, \"Information-Theoretic Local Minima Characterization and Regularization\", ICML 2020 (ICLR 2020 submission)"),
        ("seed 002", "Granziol 2020", "D. Granziol, \"Flatness is a False Friend\", arXiv:2006.09091, 2020 (ICLR 2021 submission)"),
        ("seed 003", "Wang et al. 2018", "H. Wang, N. S. Keskar, C. Xiong, R. Socher, \"Identifying Generalization Properties in Neural Networks\", arXiv:1809.07402, 2018"),
        ("seed 004", "Tsuzuku et al. 2020", "Y. Tsuzuku, I. Sato, M. Sugiyama, \"Normalized Flat Minima: Exploring Scale Invariant Definition of Flat Minima for Neural Networks using PAC-Bayesian Analysis\", ICML 2020"),
    ];

    /// <summary><paramref name="text"/> with every <c>seed 00N</c> replaced by the paper's citation.</summary>
    public static string Cite(string text) =>
        SeedName().Replace(text, m => All.FirstOrDefault(p => p.Seed == m.Value.ToLowerInvariant()).Cite ?? m.Value);

    [GeneratedRegex(@"[Ss]eed 00[0-4]")]
    private static partial Regex SeedName();
}
