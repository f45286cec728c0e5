using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Basin.Studies;
using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.Studies;

/// <summary>A study as independent tasks (<c>--plan</c>, <c>--task I</c>) and its Slurm script.</summary>
public class StudyTasksTests
{
    internal const string Spec = """
        { "name": "tiny", "preset": "test", "metrics": "hessian.trace,ggn.trace", "measure_samples": 40,
          "models": [
            { "name": "a", "config": { "model": "mlp:4-8-3", "data": "mixture:d=4,k=3,n=120", "epochs": 2 }, "coordinates": { "wd": "0" } },
            { "name": "b", "config": { "model": "mlp:4-8-3", "data": "mixture:d=4,k=3,n=120", "epochs": 2, "optimizer": { "weight_decay": 0.01 } }, "coordinates": { "wd": "0.01" } },
            { "name": "c", "config": { "model": "mlp:4-8-3", "data": "mixture:d=4,k=3,n=120", "epochs": 2, "optimizer": { "weight_decay": 0.1 } }, "coordinates": { "wd": "0.1" } } ] }
        """;

    /// <summary>
    /// A study folder's report and results with the wall-clock figures taken out (train and measure seconds in the
    /// models table, s/model in the trust table, every "seconds" field of results.json): what two runs of the same
    /// study must agree on byte for byte.
    /// </summary>
    internal static (string Report, string Results) WithoutTimes(string folder)
    {
        var lines = File.ReadAllLines(Path.Combine(folder, "report.md")).ToList();
        bool models = false, trust = false;
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (line.StartsWith("| model |", StringComparison.Ordinal)) models = true;
            else if (models && !line.StartsWith('|')) models = false;
            if (line.StartsWith("metric ", StringComparison.Ordinal) && line.Contains("s/model", StringComparison.Ordinal)) trust = true;
            else if (trust && line.StartsWith("```", StringComparison.Ordinal)) trust = false;
            if (models) lines[i] = Regex.Replace(line, @"\| [^|]* \| [^|]* \|$", "| | |");
            if (trust) lines[i] = Regex.Replace(line, @"^(.{79}).{7}", "$1"); // s/model: columns 80–86 (StudyReport.TrustTable)
        }
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "results.json")))!;
        Strip(json);
        return (string.Join('\n', lines), json.ToJsonString());

        static void Strip(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var key in o.Select(p => p.Key).Where(k => k.EndsWith("seconds", StringComparison.Ordinal)).ToList()) o.Remove(key);
                foreach (var p in o) Strip(p.Value);
            }
            else if (node is JsonArray a)
            {
                foreach (var item in a) Strip(item);
            }
        }
    }

    [Fact]
    public void TasksRunInAnyOrderGiveTheStudyOfOneProcess()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Spec);
        var plan = CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("tasks"), "--plan");
        Assert.True(plan.Code == 0, plan.Error);
        Assert.Equal("0\ta\n1\tb\n2\tc\n", File.ReadAllText(tmp.File("tasks/tasks.tsv")));
        Assert.False(Directory.Exists(tmp.File("tasks/models")), "planning trained something");
        foreach (var task in new[] { "2", "0" }) Assert.Equal(0, CliRunner.Run("study", "--out", tmp.File("tasks"), "--task", task).Code);
        var partial = CliRunner.Run("study", "--out", tmp.File("tasks"), "--report-only");
        Assert.Equal(0, partial.Code);
        Assert.Contains("1 of 3 models not finished: b", partial.Error);
        Assert.Contains("2 of 3 models finished", File.ReadAllText(tmp.File("tasks/report.md")));
        Assert.Contains("\nNot finished: b.\n", File.ReadAllText(tmp.File("tasks/report.md")));
        Assert.Equal(0, CliRunner.Run("study", "--out", tmp.File("tasks"), "--task", "1").Code);
        var stamp = File.GetLastWriteTimeUtc(tmp.File("tasks/models/b/result.json"));
        var again = CliRunner.Run("study", "--out", tmp.File("tasks"), "--task", "1");
        Assert.Contains("was done already", again.Error);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(tmp.File("tasks/models/b/result.json")));
        Assert.Equal(0, CliRunner.Run("study", "--out", tmp.File("tasks"), "--report-only").Code);

        Assert.Equal(0, CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("one")).Code);
        var (oneReport, oneResults) = WithoutTimes(tmp.File("one"));
        var (taskReport, taskResults) = WithoutTimes(tmp.File("tasks"));
        Assert.Equal(oneReport, taskReport);
        Assert.Equal(oneResults, taskResults);
    }

    [Fact]
    public void TheSlurmScriptIsAJobArrayOfTasks()
    {
        Assert.Contains("without spaces", Assert.Throws<ArgumentException>(() => SlurmScript.Text("s", 2, "/data/my study", new SlurmResources(), "b")).Message);
        string text = SlurmScript.Text("wd sweep", 7, "/data/my_study", new SlurmResources(4, 1, "1-00:00:00", "gpu", "16G"), "'/opt/my basin'");
        Assert.Contains("#SBATCH --job-name=basin-wd_sweep\n", text);
        Assert.Contains("#SBATCH --array=0-6\n", text);
        Assert.Contains("#SBATCH --cpus-per-task=4\n#SBATCH --time=1-00:00:00\n#SBATCH --gpus=1\n#SBATCH --partition=gpu\n#SBATCH --mem=16G\n", text);
        Assert.Contains("#SBATCH --output=/data/my_study/slurm/task-%a.out\n", text);
        Assert.EndsWith("exec '/opt/my basin' study --out /data/my_study --task \"$SLURM_ARRAY_TASK_ID\" --threads 4 --device cuda\n", text);
        Assert.DoesNotContain("--gpus", SlurmScript.Text("s", 2, "/d", new SlurmResources(), "b"));
        Assert.Equal("'it'\\''s'", SlurmScript.Quote("it's"));
    }

    [Theory]
    [InlineData("--slurm-time must be minutes", "--slurm-time", "2h")]
    [InlineData("--slurm-partition must be a partition name", "--slurm-partition", "a;rm -rf /")]
    [InlineData("--slurm-mem must be a size", "--slurm-mem", "lots")]
    [InlineData("--slurm-cpus must be between 1 and 1024", "--slurm-cpus", "0")]
    public void BadSlurmResourcesAreOneLine(string fragment, string option, string value)
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Spec);
        BadInput.BadInputAssert.OneLine(CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("s"), "--slurm", option, value), 2, fragment);
        Assert.False(Directory.Exists(tmp.File("s")), "a refused plan left its folder");
    }

    [Fact]
    public void ASlurmStudyFolderWithSpacesIsRefusedBeforeAnythingIsWritten()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Spec);
        BadInput.BadInputAssert.OneLine(CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("spaced out"), "--slurm"), 2, "choose an --out without spaces");
        Assert.False(Directory.Exists(tmp.File("spaced out")), "a refused plan left its folder");
    }

    [Theory]
    [InlineData(2, "task 3 does not exist: the study in", "--task", "3")]
    [InlineData(2, "--task runs one model of the study planned in --out; drop --preset", "--task", "0", "--preset", "quick")]
    [InlineData(2, "--slurm-cpus needs --slurm", "--plan", "--slurm-cpus", "2")]
    public void BadTaskCommandsAreOneLine(int code, string fragment, params string[] args)
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Spec);
        Assert.Equal(0, CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("s"), "--plan").Code);
        var extra = args.Contains("--plan") ? new[] { "--spec", tmp.File("spec.json") } : [];
        BadInput.BadInputAssert.OneLine(CliRunner.Run(["study", "--out", tmp.File("s"), .. extra, .. args]), code, fragment);
    }

    [Fact]
    public void ATaskNeedsAPlannedStudy()
    {
        using var tmp = new TempFolder();
        BadInput.BadInputAssert.OneLine(CliRunner.Run("study", "--out", tmp.Path, "--task", "0"), 1, "no tasks.tsv; plan the study first");
    }
}
