using System.Diagnostics;
using Basin.Tests.BadInput;
using Xunit;

namespace Basin.Tests.Cli;

/// <summary><c>basin measure --out DIR [--resume]</c> and <c>--indices</c>: results kept as they finish, a killed run continued.</summary>
public class MeasureOutTests
{
    private static readonly string[] Measure =
        ["measure", "--model", "mlp:4-32-32-3", "--data", "mixture:d=4,k=3,n=1500", "--samples", "1200",
         "--metrics", "hessian.trace,sharpness.keskar,hessian.spectral_density,fisher.trace", "--slq-starts", "40", "--slq-steps", "60"];

    [Fact]
    public void AMeasurementKilledMidRunResumesToTheResultsOfAnUninterruptedOne()
    {
        using var tmp = new TempFolder();
        var whole = BasinProcess.Run([.. Measure, "--out", tmp.File("whole")]);
        Assert.True(whole.Code == 0, whole.Error);
        string expected = File.ReadAllText(tmp.File("whole/results.csv"));
        Assert.Equal(5, expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // kill -9 once the first metric is on disk (the SLQ density after it takes seconds), then resume.
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Basin.Cli.dll"), .. Measure, "--out", tmp.File("killed")])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using (var process = Process.Start(start)!)
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(tmp.File("killed/metrics/hessian.trace.json")) && !process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(10);
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.False(File.Exists(tmp.File("killed/results.csv")), "the run finished before it was killed: the test needs a slower measurement");
        var resumed = BasinProcess.Run([.. Measure, "--out", tmp.File("killed"), "--resume"]);
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Matches(@"resuming .*: [1-3] of 4 metrics read back", resumed.Error);
        Assert.Equal(expected, File.ReadAllText(tmp.File("killed/results.csv")));
        Assert.Equal(File.ReadAllText(tmp.File("whole/indices.txt")), File.ReadAllText(tmp.File("killed/indices.txt")));
    }

    [Fact]
    public void TheLargestInputSaysWhatMemoryItNeedsAndStopsBeforeMoreThanIsAllowed()
    {
        // Per-sample blocks of at most 64 MiB (a block, its float64 copy, products: 4 · 64 MiB = 0.2684 GB, less than three times
        // the 100 per-sample gradients of 269 322 float32 parameters, 0.3232 GB) and three P-vectors (0.0032 GB): 0.2716 GB.
        string[] measure = ["measure", "--model", "mlp:784-256-256-10", "--data", "mixture:d=784,k=10,n=200", "--samples", "0", "--metrics", "fisher.trace"];
        BadInputAssert.OneLine(BasinProcess.Run([.. measure, "--max-memory", "0.1"]), 2, "more than the 0.10 GB --max-memory allows");
        var fits = BasinProcess.Run([.. measure, "--max-memory", "2"]);
        Assert.True(fits.Code == 0, fits.Error);
        Assert.Contains("memory: the largest input, Fisher subsets, adds about 0.27 GB", fits.Error);
        Assert.Contains("(2.00 GB allowed)", fits.Error);
        // A Lanczos run holds its basis: 40 steps × 269 322 float64 values plus four float64 working vectors = 0.0948 GB.
        var lanczos = BasinProcess.Run(["measure", "--model", "mlp:784-256-256-10", "--data", "mixture:d=784,k=10,n=200", "--samples", "0", "--metrics", "hessian.top_eigenvalue", "--max-memory", "2"]);
        Assert.True(lanczos.Code == 0, lanczos.Error);
        Assert.Contains("memory: the largest input, Hessian Lanczos, adds about 0.09 GB", lanczos.Error);
        // Refused before any product is timed (one line, above), said after one is: what the process holds then includes its kept graph.
        Assert.True(lanczos.Error.IndexOf("memory:", StringComparison.Ordinal) > lanczos.Error.IndexOf("cost:", StringComparison.Ordinal), lanczos.Error);
        BadInputAssert.OneLine(BasinProcess.Run(["measure", "--model", "mlp:784-256-256-10", "--data", "mixture:d=784,k=10,n=200", "--samples", "0", "--metrics", "hessian.top_eigenvalue", "--max-memory", "0.05"]),
            2, "Hessian Lanczos would bring this process to about");
    }

    private static double JsonTrace(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("trace").GetProperty("estimate").GetDouble();

    [Fact]
    public void IndicesAreWrittenReadAndCheckedAndAResumeMustAskForTheSame()
    {
        using var tmp = new TempFolder();
        string[] small = ["measure", "--model", "mlp:4-6-3", "--data", "mixture:d=4,k=3,n=200", "--metrics", "hessian.trace,baseline.train_loss"];
        var drawn = BasinProcess.Run([.. small, "--samples", "50", "--out", tmp.File("a")]);
        Assert.True(drawn.Code == 0, drawn.Error);
        var rows = File.ReadAllLines(tmp.File("a/indices.txt"));
        Assert.Equal(50, rows.Length);
        Assert.Equal(50, rows.Distinct().Count());
        Assert.All(rows, r => Assert.InRange(long.Parse(r, System.Globalization.CultureInfo.InvariantCulture), 0, 199));
        // The same rows named by file give the same numbers as the seeded draw that chose them.
        var named = BasinProcess.Run([.. small, "--indices", tmp.File("a/indices.txt"), "--out", tmp.File("b")]);
        Assert.True(named.Code == 0, named.Error);
        Assert.Equal(File.ReadAllText(tmp.File("a/results.csv")), File.ReadAllText(tmp.File("b/results.csv")));

        BadInputAssert.OneLine(BasinProcess.Run([.. small, "--samples", "50", "--out", tmp.File("a"), "--resume", "--probes", "8"]), 2, "was measured with other options");
        var taken = BasinProcess.Run([.. small, "--samples", "50", "--out", tmp.File("a")]);
        BadInputAssert.OneLine(taken, 2, "holds a measurement already");
        Assert.DoesNotContain("cost:", taken.Error); // refused before the preview times any pass
        BadInputAssert.OneLine(BasinProcess.Run([.. small, "--resume"]), 2, "--resume needs --out");
        File.WriteAllText(tmp.File("a-file"), "");
        BadInputAssert.OneLine(BasinProcess.Run([.. small, "--out", tmp.File("a-file")]), 1, "is a file, not a folder");
        BadInputAssert.OneLine(BasinProcess.Run([.. small, "--out", tmp.File("none"), "--resume"]), 2, "holds no measurement to resume");
        File.WriteAllText(tmp.File("bad.txt"), "3\n7\n3\n");
        BadInputAssert.OneLine(BasinProcess.Run([.. small, "--indices", tmp.File("bad.txt")]), 2, "row 3 appears twice (line 3)");
        File.WriteAllText(tmp.File("bad.txt"), "3\n700\n");
        BadInputAssert.OneLine(BasinProcess.Run([.. small, "--indices", tmp.File("bad.txt")]), 2, "row 700 (line 2) is past the 200 training samples");
        File.WriteAllText(tmp.File("bad.txt"), "3\n-1\n");
        BadInputAssert.OneLine(BasinProcess.Run([.. small, "--indices", tmp.File("bad.txt")]), 2, "line 2 of");
        // spectrum and landscape write the rows they used and take them back: the same rows, the same numbers.
        string[] checkpointed = ["--model", "mlp:4-6-3", "--data", "mixture:d=4,k=3,n=200"];
        var spectrum = BasinProcess.Run(["spectrum", .. checkpointed, "--samples", "60", "--top", "1", "--lanczos-steps", "8", "--slq-steps", "8", "--slq-starts", "1", "--probes", "4", "--out", tmp.File("s1"), "--json"]);
        Assert.True(spectrum.Code == 0, spectrum.Error);
        Assert.Equal(60, File.ReadAllLines(tmp.File("s1/indices.txt")).Length);
        var again = BasinProcess.Run(["spectrum", .. checkpointed, "--indices", tmp.File("s1/indices.txt"), "--top", "1", "--lanczos-steps", "8", "--slq-steps", "8", "--slq-starts", "1", "--probes", "4", "--out", tmp.File("s2"), "--json"]);
        Assert.True(again.Code == 0, again.Error);
        Assert.Equal(JsonTrace(spectrum.Out), JsonTrace(again.Out));
        var landscape = BasinProcess.Run(["landscape", .. checkpointed, "--samples", "40", "--points", "3", "--out", tmp.File("l1")]);
        Assert.True(landscape.Code == 0, landscape.Error);
        Assert.Equal(40, File.ReadAllLines(tmp.File("l1/indices.txt")).Length);

        File.WriteAllText(tmp.File("a/metrics/hessian.trace.json"), "{ not json");
        File.Delete(tmp.File("a/results.csv"));
        BadInputAssert.OneLine(BasinProcess.Run([.. small, "--samples", "50", "--out", tmp.File("a"), "--resume"]), 2, "hessian.trace.json is damaged");
    }
}
