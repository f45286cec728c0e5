using System.IO.Compression;
using System.Text;
using Basin.Tests.Cli;
using Xunit;

namespace Basin.Tests.BadInput;

/// <summary>
/// TorchScript files a user can hand Basin that loaded silently or ended in an internal error: each is one line now. The
/// variants are made here from the MLP fixture — its stored bytes altered, or its serialized code (which libtorch compiles
/// on load) edited — so no PyTorch is needed.
/// </summary>
public class TorchScriptInputTests
{
    private static readonly string Fixture = Path.Combine(Repository.Root(), "tests", "fixtures", "torchscript", "mlp.pt");

    private const string Forward = "    _0 = (hidden).forward((flatten).forward(x, ), )\n    return (out).forward(torch.tanh(_0), )\n";

    /// <summary>A copy of the MLP fixture whose forward code has <paramref name="replace"/> in place of <paramref name="find"/>.</summary>
    private static string Edited(TempFolder tmp, string name, params (string Find, string Replace)[] edits) =>
        Edited(tmp, name, edits.Select(e => ("mlp/code/__torch__.py", e.Find, e.Replace)).ToArray());

    /// <summary>A copy of the MLP fixture with each edit made in its code file: a new archive, every entry copied, the edited ones rewritten.</summary>
    private static string Edited(TempFolder tmp, string name, params (string Entry, string Find, string Replace)[] edits)
    {
        string path = tmp.File(name);
        using var source = ZipFile.OpenRead(Fixture);
        using var target = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in source.Entries)
        {
            byte[] bytes;
            using (var input = entry.Open())
            using (var buffer = new MemoryStream())
            {
                input.CopyTo(buffer);
                bytes = buffer.ToArray();
            }
            if (edits.Any(e => e.Entry == entry.FullName))
            {
                string code = Encoding.UTF8.GetString(bytes);
                foreach (var (_, find, replace) in edits.Where(e => e.Entry == entry.FullName))
                {
                    Assert.Contains(find, code);
                    code = code.Replace(find, replace);
                }
                bytes = new UTF8Encoding(false).GetBytes(code);
            }
            using var output = target.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
            output.Write(bytes);
        }
        return path;
    }

    private static string[] MeasureArgs(string script) =>
        ["measure", "--model", "torchscript:" + script, "--data", "fashion-mnist", "--samples", "64", "--metrics", "hessian.trace", "--probes", "2"];

    private static (int Code, string Out, string Error) Measure(string script) => BasinProcess.Run(MeasureArgs(script));

    [Fact]
    public void AnEditedCopyOfTheFixtureStillLoads()
    {
        // The control for the tests below: the same edit machinery with the code unchanged gives a model that is measured.
        using var tmp = new TempFolder();
        var run = Measure(Edited(tmp, "same.pt", (Forward, Forward)));
        Assert.True(run.Code == 0, run.Error);
    }

    [Fact]
    public void AnArchiveWhoseStoredWeightsWereAlteredIsRefused()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("altered.pt");
        var bytes = File.ReadAllBytes(Fixture);
        // The first entry, mlp/data/0 (the first layer's weights, stored uncompressed): its data follows the 30-byte local
        // header, the name and the extra field.
        Assert.Equal("mlp/data/0", Encoding.ASCII.GetString(bytes, 30, 10));
        int start = 30 + BitConverter.ToUInt16(bytes, 26) + BitConverter.ToUInt16(bytes, 28);
        bytes[start + 100] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        BadInputAssert.OneLine(Measure(path), 2, "entry mlp/data/0 fails its CRC-32 check");
    }

    [Fact]
    public void AScriptWhoseOutputsAreNaNIsRefusedNotMeasuredAsNaN()
    {
        using var tmp = new TempFolder();
        string script = Edited(tmp, "nan.pt", ("return (out).forward(torch.tanh(_0), )", "return torch.sqrt(torch.sub(torch.neg(torch.abs((out).forward(torch.tanh(_0), ))), 1.))"));
        BadInputAssert.OneLine(Measure(script), 1, "returns NaN or infinite outputs on the first 8 samples");
    }

    [Fact]
    public void AScriptThatFailsOnRealBatchesGivesItsOwnErrorInOneLine()
    {
        // reshape to one row works on the one-sample probe at load, and fails on a batch of 8.
        using var tmp = new TempFolder();
        string script = Edited(tmp, "raises.pt", ("(hidden).forward((flatten).forward(x, ), )", "(hidden).forward(torch.reshape(x, [1, 784]), )"));
        // The interpreter's own error, with its shapes, not only its first line ("The following operation failed …").
        BadInputAssert.OneLine(Measure(script), 1, "fails on the first 8 samples of fashion-mnist/train: RuntimeError: shape '[1, 784]' is invalid for input of size 6272");
    }

    [Theory]
    [InlineData("one line", "one line")]
    [InlineData("The following operation failed in the TorchScript interpreter.\nTraceback of TorchScript (most recent call last):\n  File \"code/__torch__.py\", line 12\n    _0 = torch.reshape(x, [1, 784])\nRuntimeError: shape '[1, 784]' is invalid for input of size 6272\n",
        "RuntimeError: shape '[1, 784]' is invalid for input of size 6272 (The following operation failed in the TorchScript interpreter)")]
    [InlineData("first\nsecond without an error name", "first")]
    public void TheLineThatSaysWhatFailedIsKept(string message, string expected) => Assert.Equal(expected, Basin.Models.Evaluation.ScriptMessage(message));

    [Fact]
    public void AScriptReturningATupleIsNamedAsSuch()
    {
        using var tmp = new TempFolder();
        string script = Edited(tmp, "tuple.pt", ("    x: Tensor) -> Tensor:\n", "    x: Tensor) -> Tuple[Tensor, Tensor]:\n"),
            ("    return (out).forward(torch.tanh(_0), )", "    _1 = (out).forward(torch.tanh(_0), )\n    return (_1, _1)"));
        BadInputAssert.OneLine(Measure(script), 2, "returns a tuple of 2 outputs: name the logits' position with --output INDEX");
        Assert.Equal(0, BasinProcess.Run([.. MeasureArgs(script), "--output", "1"]).Code);
    }

    [Fact]
    public void AScriptWithoutTrainableParametersIsNamedAsSuch()
    {
        // Both linear layers keep their weight and bias as buffers: the script runs, but has nothing to differentiate.
        using var tmp = new TempFolder();
        const string parameters = "  __parameters__ = [\"weight\", \"bias\", ]\n  __buffers__ = []", buffers = "  __parameters__ = []\n  __buffers__ = [\"weight\", \"bias\", ]";
        string script = Edited(tmp, "buffers.pt", ("mlp/code/__torch__/torch/nn/modules/linear.py", parameters, buffers),
            ("mlp/code/__torch__/torch/nn/modules/linear/___torch_mangle_0.py", parameters, buffers));
        BadInputAssert.OneLine(Measure(script), 2, "has no trainable parameters");
    }

    [Fact]
    public void ACheckpointWhoseScriptWasReplacedIsRefused()
    {
        using var tmp = new TempFolder();
        string script = tmp.File("model.pt");
        File.Copy(Fixture, script);
        Assert.Equal(0, BasinProcess.Run("train", "--model", "torchscript:" + script, "--data", "fashion-mnist", "--subset", "100", "--epochs", "1", "--out", tmp.File("run")).Code);
        Assert.Equal(0, BasinProcess.Run("measure", "--checkpoint", tmp.File("run"), "--samples", "64", "--metrics", "hessian.trace", "--probes", "2").Code);
        // Another script of the same shapes in its place: same parameters, other code.
        File.Copy(Edited(tmp, "other.pt", ("torch.tanh(_0)", "torch.relu(_0)")), script, overwrite: true);
        BadInputAssert.OneLine(BasinProcess.Run("measure", "--checkpoint", tmp.File("run"), "--samples", "64", "--metrics", "hessian.trace"), 1,
            "is not the TorchScript file it was trained with");
    }
}
