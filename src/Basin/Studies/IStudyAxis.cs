using Basin.Training;

namespace Basin.Studies;

/// <summary>
/// One study axis of <c>shared/spec/studies.md</c>: what a population varies, its grid points per preset, how many seeds and
/// which metrics by default, what runs on each model after its metrics (<see cref="IModelExtra"/>) and the sections of its
/// report. One file per axis under <c>Studies/Axes/</c>; <see cref="StudyAxes"/> lists them, and <see cref="StudyAxes.Register"/>
/// adds one of your own.
/// </summary>
public interface IStudyAxis
{
    /// <summary>Its name: <c>basin study NAME</c>, the study's name in <c>study.json</c>, its coordinate in every model.</summary>
    string Name { get; }

    /// <summary>One line: what it varies, and the paper it follows.</summary>
    string Description { get; }

    /// <summary>Whether <c>basin study</c> offers it (false for a population another command builds, like the benchmark's).</summary>
    bool Listed => true;

    /// <summary>The first training seed of each grid point (seeds run from it up).</summary>
    int FirstSeed => 0;

    /// <summary>Models per grid point when <c>--seeds</c> is not given: 1 in quick presets (they must fit minutes), else 2 (studies.md: a claim is not made from one seed).</summary>
    int DefaultSeeds(string preset) => preset == "quick" ? 1 : 2;

    /// <summary>The metrics it measures (<c>all</c>, or a comma-separated list of ids).</summary>
    string Metrics => "all";

    /// <summary>Its grid: a label and a training config per point, from the preset's <paramref name="basis"/>.</summary>
    IEnumerable<(string Label, TrainConfig Config)> Points(string preset, TrainConfig basis);

    /// <summary>What runs on each model after its metrics, in order: by default the SLQ density (for the spectra plot) and the loss landscape.</summary>
    IReadOnlyList<IModelExtra> Extras => [new DensityExtra(), new LandscapeExtra()];

    /// <summary>The sections of its <c>report.md</c>, in order: by default <see cref="StudyReport.Standard"/>.</summary>
    IReadOnlyList<IReportSection> Sections => StudyReport.Standard();
}
