using Basin.Native;
using Xunit;

namespace Basin.Tests.Native;

public class ElfVersionPatcherTests
{
    private static byte[] LibTorchSharp()
    {
        foreach (var dir in new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") })
        {
            var file = Path.Combine(dir, "libLibTorchSharp.so");
            if (File.Exists(file)) return File.ReadAllBytes(file);
        }
        throw new FileNotFoundException("libLibTorchSharp.so not in the test output");
    }

    [Fact]
    public void FindsTheGlibcxx3432RequirementOfLibTorchSharp()
    {
        var needs = ElfVersionPatcher.ReadVersionNeeds(LibTorchSharp());
        var need = Assert.Single(needs, n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.Equal(0, need.Flags & ElfVersionPatcher.WeakFlag);
        Assert.Contains(needs, n => n.File == "libc.so.6" && n.Version == "GLIBC_2.2.5");
    }

    [Fact]
    public void MarkWeakChangesOnlyThatFlagAndIsIdempotent()
    {
        var original = LibTorchSharp();
        var patched = (byte[])original.Clone();
        Assert.Equal(1, ElfVersionPatcher.MarkWeak(patched, "GLIBCXX_3.4.32"));
        var once = (byte[])patched.Clone();
        Assert.Equal(1, ElfVersionPatcher.MarkWeak(patched, "GLIBCXX_3.4.32"));
        Assert.Equal(once, patched);

        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        Assert.Single(differing);
        var need = ElfVersionPatcher.ReadVersionNeeds(patched).Single(n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal(ElfVersionPatcher.WeakFlag, need.Flags & ElfVersionPatcher.WeakFlag);
        Assert.Equal(need.FlagsOffset, differing[0]);
        Assert.All(ElfVersionPatcher.ReadVersionNeeds(patched).Where(n => n.Version != "GLIBCXX_3.4.32"),
            n => Assert.Equal(0, n.Flags & ElfVersionPatcher.WeakFlag));
    }

    [Fact]
    public void AbsentVersionIsReportedAsZeroMatches()
    {
        var bytes = LibTorchSharp();
        Assert.Equal(0, ElfVersionPatcher.MarkWeak(bytes, "GLIBCXX_99.0"));
    }

    [Fact]
    public void RejectsNonElfAndTruncatedFiles()
    {
        var notElf = System.Text.Encoding.ASCII.GetBytes(new string('x', 100));
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.ReadVersionNeeds(notElf)).Message);
        var truncated = LibTorchSharp()[..4096];
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.ReadVersionNeeds(truncated)).Message);
    }
}
