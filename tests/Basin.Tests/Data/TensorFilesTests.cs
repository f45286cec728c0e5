using System.IO.Compression;
using System.Text;
using Basin.Data;
using Basin.Tests.BadInput;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.Data;

/// <summary><c>--data tensors:PATH</c> (.npy, .npz, .safetensors) and <c>#normalize=</c>, against arrays and values written by hand here.</summary>
public class TensorFilesTests
{
    /// <summary>A .npy file as NumPy's format document lays it out: magic, version 1.0, a space-padded header dict, the raw data.</summary>
    private static byte[] Npy(string descr, long[] shape, byte[] data, bool fortran = false)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': ({dims}), }}";
        int total = 10 + dict.Length + 1;
        dict = dict.PadRight(dict.Length + (64 - total % 64) % 64) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.AddRange([1, 0, (byte)(dict.Length & 0xff), (byte)(dict.Length >> 8)]);
        bytes.AddRange(Encoding.ASCII.GetBytes(dict));
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Longs(params long[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>Train: 3 samples of 2 features, labels 0, 2, 1; test: 1 sample, label 1 (so K = 3).</summary>
    private static Dictionary<string, byte[]> Arrays() => new()
    {
        ["train_x"] = Npy("<f4", [3, 2], Floats(1, 2, 3, 4, 5, 6)),
        ["train_y"] = Npy("<i8", [3], Longs(0, 2, 1)),
        ["test_x"] = Npy("<f4", [1, 2], Floats(7, 8)),
        ["test_y"] = Npy("<i8", [1], Longs(1)),
    };

    private static void AssertLoaded(DataSplit split)
    {
        Assert.Equal([1.0, 2, 3, 4, 5, 6], split.Train.Features.to(ScalarType.Float64).data<double>().ToArray());
        Assert.Equal([0L, 2, 1], split.Train.Labels.data<long>().ToArray());
        Assert.Equal([7.0, 8], split.Test.Features.to(ScalarType.Float64).data<double>().ToArray());
        Assert.Equal(3, split.Train.NumClasses);
        Assert.Equal(3, split.Test.NumClasses);
    }

    [Fact]
    public void AFolderOfNpyFilesAndAnNpzArchiveLoadTheSameArrays()
    {
        using var tmp = new TempFolder();
        Directory.CreateDirectory(tmp.File("npy"));
        foreach (var (key, bytes) in Arrays()) File.WriteAllBytes(tmp.File($"npy/{key}.npy"), bytes);
        using (var split = DataCatalog.Load("tensors:" + tmp.File("npy"))) AssertLoaded(split);
        // numpy.savez_compressed: a zip of deflated .npy entries.
        using (var zip = ZipFile.Open(tmp.File("data.npz"), ZipArchiveMode.Create))
            foreach (var (key, bytes) in Arrays())
                using (var entry = zip.CreateEntry(key + ".npy", CompressionLevel.Optimal).Open()) entry.Write(bytes);
        using (var split = DataCatalog.Load("tensors:" + tmp.File("data.npz"))) AssertLoaded(split);
    }

    [Fact]
    public void ASafetensorsFileLoadsWithItsTypesConverted()
    {
        using var tmp = new TempFolder();
        // float64 inputs stay float64; int32 labels become int64.
        Basin.IO.Safetensors.Save(tmp.File("d.safetensors"), new Dictionary<string, Tensor>
        {
            ["train_x"] = tensor(new double[] { 1, 2, 3, 4, 5, 6 }).view(3, 2), ["train_y"] = tensor(new[] { 0, 2, 1 }),
            ["test_x"] = tensor(new double[] { 7, 8 }).view(1, 2), ["test_y"] = tensor(new[] { 1 }),
        });
        using var split = DataCatalog.Load("tensors:" + tmp.File("d.safetensors"));
        AssertLoaded(split);
        Assert.Equal(ScalarType.Int64, split.Train.Labels.dtype);
    }

    [Fact]
    public void BadArraysAreOneLineNamingTheArrayAndTheFault()
    {
        using var tmp = new TempFolder();
        string Fault(Dictionary<string, byte[]> arrays)
        {
            string folder = tmp.File(Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            foreach (var (key, bytes) in arrays) File.WriteAllBytes(Path.Combine(folder, key + ".npy"), bytes);
            return Assert.Throws<DataFormatException>(() => DataCatalog.Load("tensors:" + folder)).Message;
        }
        Dictionary<string, byte[]> With(string key, byte[] bytes) { var a = Arrays(); a[key] = bytes; return a; }
        var missing = Arrays();
        missing.Remove("test_y");
        Assert.Contains("has no array 'test_y'", Fault(missing));
        Assert.Contains("Fortran order", Fault(With("train_x", Npy("<f4", [3, 2], Floats(1, 2, 3, 4, 5, 6), fortran: true))));
        Assert.Contains("truncated or padded", Fault(With("train_x", Npy("<f4", [3, 2], Floats(1, 2, 3, 4, 5)))));
        Assert.Contains("dtype '>f4'", Fault(With("train_x", Npy(">f4", [3, 2], Floats(1, 2, 3, 4, 5, 6)))));
        Assert.Contains("must be floating point", Fault(With("train_x", Npy("<i8", [3, 2], Longs(1, 2, 3, 4, 5, 6)))));
        Assert.Contains("NaN or infinite", Fault(With("train_x", Npy("<f4", [3, 2], Floats(1, float.NaN, 3, 4, 5, 6)))));
        Assert.Contains("not one-hot", Fault(With("train_y", Npy("<i8", [3, 1], Longs(0, 2, 1)))));
        Assert.Contains("labels must be integers", Fault(With("train_y", Npy("<f4", [3], Floats(0, 2, 1)))));
        Assert.Contains("class indices", Fault(With("train_y", Npy("<i8", [3], Longs(0, -2, 1)))));
        Assert.Contains("3 rows but train_y 2 labels", Fault(With("train_y", Npy("<i8", [2], Longs(0, 1)))));
        Assert.Contains("test_x samples [3]", Fault(With("test_x", Npy("<f4", [1, 3], Floats(7, 8, 9)))));
        Assert.Contains("is too large to be an array", Fault(With("train_x", Npy("<f4", [4_000_000_000, 4_000_000_000, 4_000_000_000], Floats(1)))));
        Assert.Contains("is not a size", Fault(With("train_x", Npy("<f4", [3, -2], Floats(1, 2, 3, 4, 5, 6)))));
        Assert.Contains("no \\x93NUMPY magic", Fault(With("train_x", Encoding.ASCII.GetBytes("x,y\n1,2\n"))));
        File.WriteAllText(tmp.File("data.csv"), "1,2");
        Assert.Contains("neither .safetensors, .npz", Assert.Throws<DataFormatException>(() => DataCatalog.Load("tensors:" + tmp.File("data.csv"))).Message);
        Assert.Contains("no such file", Assert.Throws<DataFormatException>(() => DataCatalog.Load("tensors:" + tmp.File("none.npz"))).Message);
    }

    [Fact]
    public void NormalizeStandardisesEachChannelAsTransformsNormalizeDoes()
    {
        using var scope = NewDisposeScope();
        // Two 2-channel 1×2 images: channel 0 values 0.1, 0.3 / 0.5, 0.7; channel 1 values 0.2, 0.4 / 0.6, 0.8.
        var x = tensor(new float[] { 0.1f, 0.3f, 0.2f, 0.4f, 0.5f, 0.7f, 0.6f, 0.8f }).view(2, 2, 1, 2);
        using var data = new Dataset("d", x, tensor(new long[] { 0, 1 }), 2);
        using var normalised = Normalization.Parse("0.5,0.25,0.2,0.5").Apply(data);
        // (x − 0.5)/0.2 on channel 0, (x − 0.25)/0.5 on channel 1.
        double[] expected = [-2, -1, -0.1, 0.3, 0, 1, 0.7, 1.1];
        var got = normalised.Features.to(ScalarType.Float64).data<double>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 5);
        Assert.Contains("gives 1 channel(s) but the samples [2, 1, 2] have 2", Assert.Throws<DataFormatException>(() => Normalization.Parse("0.5,0.2").Apply(data)).Message);
        Assert.Contains("2C numbers", Assert.Throws<FormatException>(() => Normalization.Parse("0.5,0.2,0.1")).Message);
        Assert.Contains("must be positive", Assert.Throws<FormatException>(() => Normalization.Parse("0.5,0")).Message);
        var (spec, parsed) = Normalization.Split("mnist#normalize=0.1,0.3");
        Assert.Equal(("mnist", 0.1, 0.3), (spec, parsed!.Mean.Single(), parsed.Std.Single()));
        Assert.Equal("mnist#normalize=0.1,0.3", Normalization.Append("mnist#normalize=0,1", "0.1, 0.3"));
    }

    [Fact]
    public void TheCommandLineTakesNormalizeWithDataAndRefusesItForTensors()
    {
        // gaussians3 holds flat 2-D points: one channel. Normalising shifts the loss of the same seeded model.
        var plain = BasinProcess.Run("measure", "--model", "mlp:2-3-2", "--data", "gaussians3", "--samples", "0", "--metrics", "baseline.train_loss", "--json");
        var shifted = BasinProcess.Run("measure", "--model", "mlp:2-3-2", "--data", "gaussians3", "--normalize", "1,2", "--samples", "0", "--metrics", "baseline.train_loss", "--json");
        Assert.True(plain.Code == 0 && shifted.Code == 0, plain.Error + shifted.Error);
        Assert.NotEqual(plain.Out.Split("\"value\":")[1].Split(',')[0], shifted.Out.Split("\"value\":")[1].Split(',')[0]);
        BadInputAssert.OneLine(BasinProcess.Run("measure", "--model", "mlp:2-3-2", "--data", "gaussians3", "--normalize", "1,2,3"), 2, "2C numbers");
        BadInputAssert.OneLine(BasinProcess.Run("measure", "--model", "mlp:2-3-2", "--data", "tensors:x.npz", "--normalize", "1,2"), 2, "normalised already");
    }
}
