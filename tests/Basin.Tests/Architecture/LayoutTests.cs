using System.Text.RegularExpressions;
using Xunit;

namespace Basin.Tests.Architecture;

/// <summary>
/// The layout of <c>../shared/style.md</c>, checked on the source: data flows one way between the library's
/// folders (no import cycle), the operators know nothing of training or metrics, and every file fits on a
/// few screens.
/// </summary>
public class LayoutTests
{
    private const int MaxLines = 250;

    internal static string RootFolder() => Root();

    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Basin.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no Basin.slnx above {AppContext.BaseDirectory}");
    }

    private static IEnumerable<string> Sources(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root(), folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    /// <summary>Folder → the library folders its files name: <c>using Basin.X</c>, <c>Basin.X.Y</c>, or <c>X.Y</c> at the start of a name.</summary>
    internal static Dictionary<string, HashSet<string>> Imports()
    {
        string library = Path.Combine(Root(), "src", "Basin");
        var folders = Directory.GetDirectories(library).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).Select(f => f!).ToList();
        var graph = folders.ToDictionary(f => f, _ => new HashSet<string>());
        foreach (var file in Sources(Path.Combine("src", "Basin")))
        {
            string relative = Path.GetRelativePath(library, file);
            if (!relative.Contains(Path.DirectorySeparatorChar)) continue;
            string from = relative[..relative.IndexOf(Path.DirectorySeparatorChar)];
            string text = File.ReadAllText(file);
            foreach (var to in folders.Where(to => to != from))
                if (Regex.IsMatch(text, $@"(using (static )?Basin\.{to}\b|Basin\.{to}\.[A-Z]|(?<![\w.]){to}\.[A-Z]\w*\.)")) graph[from].Add(to);
        }
        return graph;
    }

    [Fact]
    public void NoImportCycleBetweenLibraryFolders()
    {
        var graph = Imports();
        var state = graph.Keys.ToDictionary(k => k, _ => 0); // 0 unseen, 1 on the path, 2 done
        var path = new Stack<string>();
        void Visit(string node)
        {
            state[node] = 1;
            path.Push(node);
            foreach (var next in graph[node])
            {
                Assert.True(state[next] != 1, $"import cycle: {string.Join(" → ", path.Reverse().SkipWhile(p => p != next))} → {next}");
                if (state[next] == 0) Visit(next);
            }
            path.Pop();
            state[node] = 2;
        }
        foreach (var node in graph.Keys.Where(k => state[k] == 0).ToList()) Visit(node);
    }

    [Fact]
    public void OperatorsImportNeitherTrainingNorMetrics()
    {
        var imports = Imports()["Operators"];
        Assert.DoesNotContain("Training", imports);
        Assert.DoesNotContain("Metrics", imports);
        Assert.DoesNotContain("Studies", imports);
        Assert.Contains("Models", imports); // the check sees imports at all
    }

    /// <summary>Measuring never trains (issue 29): metrics and bounds read a run's <c>TrainingRecord</c>, handed down by the stage that trained it.</summary>
    [Fact]
    public void MetricsAndBoundsImportNoTraining()
    {
        var imports = Imports();
        Assert.DoesNotContain("Training", imports["Metrics"]);
        Assert.DoesNotContain("Training", imports["Bounds"]);
        Assert.Contains("Models", imports["Metrics"]); // the check sees imports at all
    }

    [Fact]
    public void NoSourceFileIsOver250Lines()
    {
        var tooLong = new[] { "src", "tests", "benchmarks" }.SelectMany(Sources)
            .Select(f => (File: Path.GetRelativePath(Root(), f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxLines).ToList();
        Assert.True(tooLong.Count == 0, "over " + MaxLines + " lines: " + string.Join(", ", tooLong.Select(f => $"{f.File} ({f.Lines})")));
    }
}
