using System.Diagnostics;
using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>One process per study task: a second one started on the same index says who holds it and exits 0 without training.</summary>
public class TaskLockTests
{
    [Fact]
    public void ASecondProcessOnTheSameTaskLeavesItToTheFirst()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Basin.Tests.Studies.StudyTasksTests.Spec);
        Assert.Equal(0, CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("s"), "--plan").Code);
        // Another process holds task 1: its lock (as Basin takes it) and its owner line.
        Directory.CreateDirectory(tmp.File("s/models/b"));
        File.WriteAllText(tmp.File("s/models/b/task.owner"), "process 4242 on node17");
        using (new FileStream(tmp.File("s/models/b/task.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var second = BasinProcess.Run("study", "--out", tmp.File("s"), "--task", "1");
            Assert.True(second.Code == 0, second.Error);
            Assert.Contains("task 1 (b) is being run by process 4242 on node17: this process leaves it to that one", second.Error);
            Assert.False(File.Exists(tmp.File("s/models/b/checkpoint.safetensors")), "the second process trained the model too");
            Assert.False(File.Exists(tmp.File("s/models/b/result.json")));
        }
        // Once the holder is gone (its lock released as at its exit), the task runs, and leaves no lock behind.
        var run = CliRunner.Run("study", "--out", tmp.File("s"), "--task", "1");
        Assert.True(run.Code == 0, run.Error);
        Assert.True(File.Exists(tmp.File("s/models/b/result.json")));
        Assert.False(File.Exists(tmp.File("s/models/b/task.lock")));
        Assert.False(File.Exists(tmp.File("s/models/b/task.owner")));
    }

    [Fact]
    public void TwoProcessesStartedTogetherTrainTheModelOnce()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Basin.Tests.Studies.StudyTasksTests.Spec.Replace("\"epochs\": 2 }, \"coordinates\": { \"wd\": \"0\" }", "\"epochs\": 30 }, \"coordinates\": { \"wd\": \"0\" }"));
        Assert.Equal(0, CliRunner.Run("study", "--spec", tmp.File("spec.json"), "--out", tmp.File("s"), "--plan").Code);
        string cli = Path.Combine(AppContext.BaseDirectory, "Basin.Cli.dll");
        var processes = Enumerable.Range(0, 2).Select(_ => Process.Start(new ProcessStartInfo("dotnet", [cli, "study", "--out", tmp.File("s"), "--task", "0"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!).ToList();
        var errors = processes.Select(p => p.StandardError.ReadToEndAsync()).ToList();
        foreach (var p in processes) p.WaitForExit();
        Assert.All(processes, p => Assert.Equal(0, p.ExitCode));
        var texts = errors.Select(e => e.Result).ToList();
        // Either the second found the lock taken, or it started after the first finished and found the result: never two trainings.
        Assert.Single(texts, t => t.Contains("task 0 (a) done:", StringComparison.Ordinal));
        Assert.Single(texts, t => t.Contains("is being run by process", StringComparison.Ordinal) || t.Contains("was done already", StringComparison.Ordinal));
        foreach (var p in processes) p.Dispose();
    }
}
