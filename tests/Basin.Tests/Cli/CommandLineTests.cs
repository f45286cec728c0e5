using System.Diagnostics;
using Basin.Metrics;
using Basin.Studies;
using Basin.Tests.BadInput;
using Xunit;

namespace Basin.Tests.Cli;

/// <summary>The command line as System.CommandLine users expect it: version, help everywhere, response files, completion.</summary>
public class CommandLineTests
{
    private static readonly string[] Verbs = ["study", "train", "measure", "spectrum", "certify", "landscape", "info", "completion"];

    [Fact]
    public void VersionAndHelpOnEveryCommand()
    {
        var version = CliRunner.Run("--version");
        Assert.Equal(0, version.Code);
        Assert.StartsWith($"basin {ModelResult.CodeVersion}", version.Out, StringComparison.Ordinal);
        var root = CliRunner.Run("--help");
        Assert.Equal(0, root.Code);
        Assert.All(Verbs, v => Assert.Contains($"  {v}", root.Out, StringComparison.Ordinal));
        foreach (var verb in Verbs)
        {
            foreach (var form in new[] { new[] { verb, "--help" }, [verb, "-h"], ["help", verb] })
            {
                var help = CliRunner.Run(form);
                Assert.True(help.Code == 0, $"{string.Join(' ', form)}: exit {help.Code}, {help.Error}");
                Assert.Contains($"basin {verb}", help.Out, StringComparison.Ordinal);
                Assert.DoesNotContain("Basin.Cli", help.Out, StringComparison.Ordinal);
            }
        }
        // The train help names every option it parses; study's lists every axis and metric id.
        Assert.Contains("--swa-start", CliRunner.Run("train", "--help").Out, StringComparison.Ordinal);
        var study = CliRunner.Run("study", "--help").Out;
        Assert.All(StudyAxes.Names.Keys, axis => Assert.Contains(axis, study, StringComparison.Ordinal));
        Assert.All(MetricRegistry.All, m => Assert.Contains(m.Id, study, StringComparison.Ordinal));
    }

    [Fact]
    public void APrecisionTargetReachesAStudysMeasureSettingsAndIsAbsentWithoutOne()
    {
        // --rtol on a study or benchmark sets the measure settings every model is measured with; without it study.json keeps the
        // form it always had (no tolerance key), so that committed and running studies still resume and rebuild byte for byte.
        using var tmp = new TempFolder();
        Assert.Equal(0, CliRunner.Run("study", "weight-decay", "--preset", "quick", "--plan", "--out", tmp.File("a"), "--rtol", "0.05").Code);
        var measure = System.Text.Json.JsonDocument.Parse(File.ReadAllText(tmp.File("a/study.json"))).RootElement.GetProperty("measure");
        Assert.Equal(0.05, measure.GetProperty("relative_tolerance").GetDouble());
        Assert.Equal(0, CliRunner.Run("study", "weight-decay", "--preset", "quick", "--plan", "--out", tmp.File("b")).Code);
        Assert.DoesNotContain("tolerance", File.ReadAllText(tmp.File("b/study.json")), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("--rtol must be between 0 and 0.999", CliRunner.Run("benchmark", "--plan", "--out", tmp.File("c"), "--rtol", "2").Error);
    }

    [Fact]
    public void ResponseFilesAreRead()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("bad.rsp"), "--lr abc\n");
        BadInputAssert.OneLine(CliRunner.Run("train", "@" + tmp.File("bad.rsp")), 2, "--lr expects a number, got 'abc'");
        File.WriteAllText(tmp.File("list.rsp"), "--list\n");
        var listed = CliRunner.Run("measure", "@" + tmp.File("list.rsp"));
        Assert.Equal(0, listed.Code);
        Assert.Contains("hessian.top_eigenvalue", listed.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("study --preset ", "quick,standard,paper")]
    [InlineData("study --preset st", "standard")]
    [InlineData("study ", "batch-size,weight-decay,--preset")]
    [InlineData("measure --metrics ", "all,hessian.trace,pacgen")]
    [InlineData("train --optimizer ", "adam,adamw,sgd")]
    [InlineData("spectrum --device ", "auto,cpu,cuda")]
    [InlineData("tr", "train")]
    public void SuggestDirectiveCompletes(string line, string expected)
    {
        var run = CliRunner.Run($"[suggest:{line.Length}]", line);
        Assert.Equal(0, run.Code);
        var offered = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.All(expected.Split(','), e => Assert.Contains(e, offered));
    }

    [Fact]
    public void BashCompletionScriptCompletesThroughTheProgram()
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/bin/bash")) return;
        using var tmp = new TempFolder();
        string shim = tmp.File("basin");
        File.WriteAllText(shim, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "Basin.Cli.dll")}' \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        const string script = "source <(basin completion bash); COMP_LINE='basin study --preset st'; COMP_POINT=${#COMP_LINE}; "
            + "COMP_WORDS=(basin study --preset st); COMP_CWORD=3; _basin_complete; printf '%s\\n' \"${COMPREPLY[@]}\"; complete -p basin";
        var start = new ProcessStartInfo("/bin/bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = tmp.Path + ":" + Environment.GetEnvironmentVariable("PATH");
        using var bash = Process.Start(start)!;
        string output = bash.StandardOutput.ReadToEnd();
        string error = bash.StandardError.ReadToEnd();
        Assert.True(bash.WaitForExit(60_000), "bash did not finish");
        Assert.True(bash.ExitCode == 0, error);
        Assert.Equal(["standard", "complete -o default -F _basin_complete basin"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void CompletionNeedsAKnownShell()
    {
        BadInputAssert.OneLine(CliRunner.Run("completion"), 2, "name the shell");
        BadInputAssert.OneLine(CliRunner.Run("completion", "fish"), 2, "bash and zsh, not 'fish'");
        Assert.StartsWith("autoload -U +X bashcompinit", CliRunner.Run("completion", "zsh").Out, StringComparison.Ordinal);
    }
}
