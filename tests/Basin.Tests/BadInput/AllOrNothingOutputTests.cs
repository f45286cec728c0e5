using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>
/// Multi-file outputs are written all or nothing, folders a refused command would have created are gone, and the
/// temporary files a killed write leaves are removed by the next write into the same folder.
/// </summary>
public class AllOrNothingOutputTests
{
    private const string Mixture = "mixture:d=4,k=3,n=60";

    private static string[] Entries(string folder) =>
        Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(e => Path.GetRelativePath(folder, e)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void ASpectrumThatCannotPlaceOneFileWritesNone()
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-6-3", "--epochs", "1", "--out", tmp.File("run")).Code);
        // The last file of the four cannot take its place: a folder has its name.
        Directory.CreateDirectory(tmp.File("spectrum/spectrum.svg"));
        var run = BasinProcess.Run("spectrum", "--checkpoint", tmp.File("run"), "--samples", "0", "--top", "1", "--lanczos-steps", "5", "--probes", "2", "--slq-steps", "5", "--slq-starts", "1", "--out", tmp.File("spectrum"));
        BadInputAssert.OneLine(run, 1, "is a folder where the output file spectrum.svg goes: nothing was written");
        Assert.Equal(["spectrum.svg"], Entries(tmp.File("spectrum")));
        // Freed, the same command writes all six (the results and the rows it measured among them).
        Directory.Delete(tmp.File("spectrum/spectrum.svg"));
        Assert.Equal(0, BasinProcess.Run("spectrum", "--checkpoint", tmp.File("run"), "--samples", "0", "--top", "1", "--lanczos-steps", "5", "--probes", "2", "--slq-steps", "5", "--slq-starts", "1", "--out", tmp.File("spectrum")).Code);
        Assert.Equal(["indices.txt", "spectrum-nodes.csv", "spectrum.csv", "spectrum.json", "spectrum.png", "spectrum.svg"], Entries(tmp.File("spectrum")));
    }

    [Fact]
    public void ALandscapeThatCannotPlaceOneFileWritesNone()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp.File("land/landscape.png"));
        BadInputAssert.OneLine(BasinProcess.Run("landscape", "--toy", "--points", "11", "--out", tmp.File("land")), 1, "is a folder where the output file landscape.png goes");
        Assert.Equal(["landscape.png"], Entries(tmp.File("land")));
    }

    [Fact]
    public void ARefusedLayerLeavesNoFolderBehind()
    {
        using var tmp = new TempFolder();
        Assert.Equal(0, BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-6-3", "--epochs", "1", "--out", tmp.File("run")).Code);
        var run = BasinProcess.Run("spectrum", "--checkpoint", tmp.File("run"), "--layer", "no.such.layer", "--out", tmp.File("a/b/c"));
        Assert.Equal(2, run.Code);
        Assert.False(Directory.Exists(tmp.File("a")), "the refused command left the parents of --out");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void APlanThatCannotBeWrittenWholeLeavesNothingOfIts(bool slurm)
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("spec.json"), Basin.Tests.Studies.StudyTasksTests.Spec);
        Directory.CreateDirectory(tmp.File(slurm ? "s/slurm.sbatch" : "s/tasks.tsv"));
        string[] args = ["study", "--spec", tmp.File("spec.json"), "--out", tmp.File("s"), slurm ? "--slurm" : "--plan"];
        var run = BasinProcess.Run(args);
        Assert.Equal(1, run.Code);
        Assert.Equal([slurm ? "slurm.sbatch" : "tasks.tsv"], Entries(tmp.File("s")));
    }

    [Fact]
    public void TemporaryFilesOfAKilledWriteAreRemovedByTheNextWrite()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp.File("run"));
        // As a write killed mid-way leaves them: a process that is gone (pid 2^22 + 1 is above Linux's pid_max default
        // of 2^22), one old enough to be stale and one just written (on another machine sharing the folder, maybe).
        string guid = new('a', 32), guid2 = new('b', 32);
        string stale = tmp.File($"run/.checkpoint.safetensors.4194305.{guid}.tmp"), fresh = tmp.File($"run/.checkpoint.safetensors.4194305.{guid2}.tmp");
        string stage = tmp.File($"run/.staging.4194305.{guid}.tmp");
        File.WriteAllText(stale, "partial");
        File.WriteAllText(fresh, "partial");
        Directory.CreateDirectory(stage);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        Directory.SetLastWriteTimeUtc(stage, DateTime.UtcNow.AddHours(-1));
        var train = BasinProcess.Run("train", "--data", Mixture, "--model", "mlp:4-6-3", "--epochs", "1", "--out", tmp.File("run"));
        Assert.True(train.Code == 0, train.Error);
        Assert.False(File.Exists(stale), "a stale temporary file was left");
        Assert.False(Directory.Exists(stage), "a stale stage was left");
        Assert.True(File.Exists(fresh), "a temporary file younger than the minimum age was removed");
    }
}
