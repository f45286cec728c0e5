using System.Diagnostics;
using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.Studies;

/// <summary>
/// A real single-node Slurm (Debian's slurm-wlm and munge, installed by <c>scripts/setup.sh --test</c>) brought up
/// by <c>scripts/local-slurm.sh</c> on localhost: the job array of <c>basin study --slurm</c> gives the study that one
/// process gives. Where Slurm cannot start, the test fails with the script's reason.
/// </summary>
public class SlurmClusterTests
{
    private static (int Code, string Out, string Error) Shell(string file, string arguments, IDictionary<string, string>? environment = null, int timeoutSeconds = 300)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} ran over {timeoutSeconds} s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void AJobArrayOnSlurmGivesTheStudyOfOneProcess()
    {
        string root = Repository.Root();
        string script = Path.Combine(root, "scripts", "local-slurm.sh");
        using var tmp = new TempFolder();
        string cluster = tmp.File("cluster");
        var start = Shell("bash", $"{script} start {cluster}", timeoutSeconds: 120);
        try
        {
            Assert.True(start.Code == 0, $"Slurm did not start: {start.Error.Trim()}");
            var slurm = new Dictionary<string, string> { ["SLURM_CONF"] = Path.Combine(cluster, "slurm.conf") };
            File.WriteAllText(tmp.File("spec.json"), StudyTasksTests.Spec);

            // The basin command itself, as a user runs it, so that the script it writes names a real executable.
            string cli = $"{Path.Combine(AppContext.BaseDirectory, "Basin.Cli.dll")}";
            var plan = Shell("dotnet", $"{cli} study --spec {tmp.File("spec.json")} --out {tmp.File("slurm")} --slurm --slurm-cpus 1 --slurm-time 10");
            Assert.True(plan.Code == 0, plan.Error);
            string[] printed = plan.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal($"sbatch {tmp.File("slurm/slurm.sbatch")}", printed[1]);

            var submit = Shell("sbatch", $"--wait {tmp.File("slurm/slurm.sbatch")}", slurm, timeoutSeconds: 240);
            string logs = string.Join("\n", Directory.EnumerateFiles(tmp.File("slurm/slurm")).Order().Select(File.ReadAllText));
            Assert.True(submit.Code == 0, $"the job array failed: {submit.Error.Trim()}\n{logs}");
            Assert.Equal(3, Directory.EnumerateFiles(tmp.File("slurm/slurm"), "task-*.out").Count());
            Assert.Contains("task 2 (c) done", logs);

            Assert.Equal(0, CliRunner.Run("study", "--out", tmp.File("slurm"), "--report-only").Code);
            Assert.Equal(0, CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("one")).Code);
            var (oneReport, oneResults) = StudyTasksTests.WithoutTimes(tmp.File("one"));
            var (slurmReport, slurmResults) = StudyTasksTests.WithoutTimes(tmp.File("slurm"));
            Assert.Equal(oneReport, slurmReport);
            Assert.Equal(oneResults, slurmResults);
        }
        finally
        {
            Shell("bash", $"{script} stop {cluster}", timeoutSeconds: 60);
        }
    }
}
