using System.Text;
using System.Text.Json.Nodes;
using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>
/// Property-style: hundreds of generated malformed response files, study specs and saved results, each through the
/// command that reads it. Whatever they hold, Basin exits 0, 1 or 2 — never an internal error (70), a crash or a hang —
/// and a failure is exactly one last line <c>basin: error: …</c> with nothing on standard output. Seeded: a failure
/// names its case, and reruns the same.
/// </summary>
public class GeneratedInputTests
{
    private const string Mixture = "mixture:d=4,k=3,n=60";

    private static void AssertWellBehaved((int Code, string Out, string Error) run, string what)
    {
        Assert.True(run.Code is 0 or 1 or 2, $"{what}: exit {run.Code}: {run.Error}");
        if (run.Code == 0) return;
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 0 && lines[^1].StartsWith("basin: error: ", StringComparison.Ordinal), $"{what}: no error line: {run.Error}");
        Assert.Single(lines, l => l.StartsWith("basin: ", StringComparison.Ordinal));
        Assert.True(run.Out == "", $"{what}: printed on stdout before failing: {run.Out}");
    }

    private static readonly string[] Words =
    [
        "--epochs", "--lr", "--model", "--data", "--seed", "--out", "--batch-size", "--samples", "--metrics", "--probes", "--json", "--until",
        "--schedule", "--optimizer", "--weight-decay", "--subset", "--threads", "--device", "--prior-split", "--mode", "--list", "--nope", "-x", "--",
        "1", "0", "-1", "2.5", "1e309", "NaN", "abc", "\"\"", "\"a b\"", "mlp:4-3", "mlp:4-0-3", "mlp:x", Mixture, "mixture:d=0", "cpu", "gpu",
        "hessian.trace", "all", "none", "cosine", "sgd", "adam", "train-error<=0.5", "loss<", "#", "@", "é", "\t", "=", "--lr=0.1", "--epochs=",
    ];

    [Fact]
    public void GeneratedResponseFilesNeverCrash()
    {
        using var tmp = new TempFolder();
        var rng = new Random(20261203);
        string[] commands = ["train", "measure", "spectrum", "certify", "info", "landscape"];
        for (int i = 0; i < 120; i++)
        {
            var text = new StringBuilder();
            int lines = rng.Next(0, 5);
            for (int l = 0; l < lines; l++)
            {
                int words = rng.Next(0, 5);
                for (int w = 0; w < words; w++)
                {
                    string word = rng.Next(12) == 0 ? "@" + tmp.File($"{rng.Next(0, 120)}.rsp") : Words[rng.Next(Words.Length)];
                    text.Append(word).Append(rng.Next(4) == 0 ? "  " : " ");
                }
                text.Append(rng.Next(6) == 0 ? "\r\n" : "\n");
            }
            File.WriteAllText(tmp.File($"{i}.rsp"), text.ToString());
        }
        for (int i = 0; i < 120; i++)
        {
            string command = commands[rng.Next(commands.Length)];
            // Outputs land in the temporary folder: a response file that names --out writes there.
            var args = new List<string> { command, "@" + tmp.File($"{i}.rsp") };
            if (command is "train" or "spectrum" or "landscape") args.AddRange(["--out", tmp.File($"out{i}")]);
            if (command == "train") args.AddRange(["--data", Mixture, "--model", "mlp:4-3"]);
            AssertWellBehaved(CliRunner.Run([.. args]), $"case {i}: basin {string.Join(' ', args)} with {File.ReadAllText(tmp.File($"{i}.rsp")).ReplaceLineEndings("⏎")}");
        }
    }

    /// <summary>One random change to a JSON tree: a value replaced, a key removed or added, an array emptied.</summary>
    private static void Mutate(JsonNode root, Random rng)
    {
        var nodes = new List<JsonNode>();
        void Walk(JsonNode? n)
        {
            if (n is null) return;
            nodes.Add(n);
            if (n is JsonObject o) foreach (var p in o) Walk(p.Value);
            else if (n is JsonArray a) foreach (var item in a) Walk(item);
        }
        Walk(root);
        var target = nodes[rng.Next(nodes.Count)];
        JsonNode?[] values = [null, -1, 0, 1e308, -5.5, "NaN", "Infinity", "", "x", true, new JsonArray(), new JsonObject(), 3_000_000_000L, "mlp:4-3", "../x"];
        JsonNode? Value() => values[rng.Next(values.Length)]?.DeepClone();
        switch (target)
        {
            case JsonObject o when o.Count > 0 && rng.Next(3) == 0:
                o.Remove(o.ElementAt(rng.Next(o.Count)).Key);
                break;
            case JsonObject o when rng.Next(2) == 0:
                o[o.Count > 0 ? o.ElementAt(rng.Next(o.Count)).Key : "extra"] = Value();
                break;
            case JsonObject o:
                o["unknown_" + rng.Next(100)] = Value();
                break;
            case JsonArray a when a.Count > 0 && rng.Next(2) == 0:
                a.RemoveAt(rng.Next(a.Count));
                break;
            case JsonArray a when a.Count > 0:
                a[rng.Next(a.Count)] = Value();
                break;
            default:
                if (target.Parent is JsonObject parent) parent[target.GetPropertyName()] = Value();
                else if (target.Parent is JsonArray array) array[target.GetElementIndex()] = Value();
                break;
        }
    }

    [Fact]
    public void GeneratedStudySpecsNeverCrash()
    {
        using var tmp = new TempFolder();
        var rng = new Random(7);
        for (int i = 0; i < 60; i++)
        {
            var spec = JsonNode.Parse(Basin.Tests.Studies.StudyTasksTests.Spec)!;
            for (int m = rng.Next(1, 4); m > 0; m--) Mutate(spec, rng);
            string text = rng.Next(10) == 0 ? spec.ToJsonString()[..rng.Next(spec.ToJsonString().Length)] : spec.ToJsonString();
            File.WriteAllText(tmp.File($"spec{i}.json"), text);
            // --plan checks every model and writes the plan without training.
            AssertWellBehaved(CliRunner.Run("study", "--spec", tmp.File($"spec{i}.json"), "--out", tmp.File($"plan{i}"), "--plan"), $"spec {i}: {text}");
        }
    }

    [Fact]
    public void GeneratedSavedResultsNeverCrash()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Basin.Tests.Studies.StudyTasksTests.Spec);
        Assert.Equal(0, CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("study")).Code);
        var files = Directory.GetFiles(tmp.File("study"), "*", SearchOption.AllDirectories).Where(f => !f.Contains("/models/", StringComparison.Ordinal) || f.EndsWith("result.json", StringComparison.Ordinal)).ToList();
        var rng = new Random(11);
        string original = File.ReadAllText(tmp.File("study/models/a/result.json"));
        for (int i = 0; i < 60; i++)
        {
            var result = JsonNode.Parse(original)!;
            for (int m = rng.Next(1, 4); m > 0; m--) Mutate(result, rng);
            string text = rng.Next(10) == 0 ? original[..rng.Next(original.Length)] : result.ToJsonString();
            File.WriteAllText(tmp.File("study/models/a/result.json"), text);
            AssertWellBehaved(CliRunner.Run("study", "--report-only", "--out", tmp.File("study")), $"result {i}: {text}");
        }
    }
}
