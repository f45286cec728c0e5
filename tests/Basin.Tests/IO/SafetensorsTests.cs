using System.Text;
using Basin.IO;
using Basin.Models;
using Basin.Training;
using Xunit;
using static TorchSharp.torch;

namespace Basin.Tests.IO;

public class SafetensorsTests
{
    [Fact]
    public void RoundTripsEveryDtypeWithMetadata()
    {
        using var tmp = new TempFolder();
        var tensors = new Dictionary<string, Tensor>
        {
            ["a.f32"] = randn(3, 4),
            ["b.f64"] = randn(2, 2, 2, dtype: ScalarType.Float64),
            ["c.i64"] = arange(5, ScalarType.Int64),
            ["d.u8"] = tensor(new byte[] { 1, 2, 255 }),
            ["e.scalar"] = tensor(3.5f),
        };
        Safetensors.Save(tmp.File("t.safetensors"), tensors, new Dictionary<string, string> { ["k"] = "v" });
        using var back = Safetensors.Load(tmp.File("t.safetensors"));
        Assert.Equal("v", back.Metadata["k"]);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.dtype, back.Tensors[name].dtype);
            Assert.Equal(t.shape, back.Tensors[name].shape);
            Assert.True(t.eq(back.Tensors[name]).all().item<bool>(), $"{name} changed in the round trip");
        }
    }

    [Fact]
    public void ReadsAFileLaidOutAsPythonWritesIt()
    {
        // Hand-made per the format: header padded with spaces to 8 bytes, tensors in header order of
        // PyTorch's writer (by dtype alignment then name), __metadata__ first.
        using var tmp = new TempFolder();
        string header = "{\"__metadata__\":{\"format\":\"pt\"},\"1.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},\"1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        var headerBytes = Encoding.UTF8.GetBytes(header.PadRight((header.Length + 7) / 8 * 8));
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)headerBytes.Length));
        bytes.AddRange(headerBytes);
        foreach (var f in new[] { 1.5f, -2f, 0.25f, 4f }) bytes.AddRange(BitConverter.GetBytes(f));
        File.WriteAllBytes(tmp.File("py.safetensors"), bytes.ToArray());
        using var content = Safetensors.Load(tmp.File("py.safetensors"));
        Assert.Equal(new[] { 1.5f, -2f }, content.Tensors["1.weight"].data<float>().ToArray());
        Assert.Equal(new[] { 0.25f, 4f }, content.Tensors["1.bias"].data<float>().ToArray());
    }

    [Fact]
    public void TruncatedAndGarbledFilesAreClearErrors()
    {
        using var tmp = new TempFolder();
        Safetensors.Save(tmp.File("ok.safetensors"), new Dictionary<string, Tensor> { ["w"] = randn(100) });
        var bytes = File.ReadAllBytes(tmp.File("ok.safetensors"));
        File.WriteAllBytes(tmp.File("cut.safetensors"), bytes[..^40]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Safetensors.Load(tmp.File("cut.safetensors"))).Message);
        File.WriteAllBytes(tmp.File("short.safetensors"), bytes[..5]);
        Assert.Contains("short.safetensors", Assert.Throws<InvalidDataException>(() => Safetensors.Load(tmp.File("short.safetensors"))).Message);
        var garbled = (byte[])bytes.Clone();
        garbled[9] = (byte)'#';
        File.WriteAllBytes(tmp.File("garbled.safetensors"), garbled);
        Assert.Contains("not a valid safetensors file", Assert.Throws<InvalidDataException>(() => Safetensors.Load(tmp.File("garbled.safetensors"))).Message);
    }

    [Fact]
    public void WeightsExportAndImportWithPyTorchNames()
    {
        using var tmp = new TempFolder();
        using var a = ModelZoo.Create("mlp:784-16-10", [1, 28, 28], 10, seed: 1);
        using var b = ModelZoo.Create("mlp:784-16-10", [1, 28, 28], 10, seed: 2);
        Checkpoint.ExportWeights(a, tmp.File("w.safetensors"));
        using (var raw = Safetensors.Load(tmp.File("w.safetensors")))
            Assert.Equal(["1.bias", "1.weight", "3.bias", "3.weight"], raw.Tensors.Keys.Order());
        Checkpoint.ImportWeights(b, tmp.File("w.safetensors"));
        using var x = randn(4, 1, 28, 28);
        Assert.True(a.Module.forward(x).allclose(b.Module.forward(x)));
    }

    [Fact]
    public void MismatchedOrNonFiniteWeightsAreRefused()
    {
        using var tmp = new TempFolder();
        using var model = ModelZoo.Create("mlp:784-16-10", [1, 28, 28], 10, seed: 1);
        Safetensors.Save(tmp.File("shape.safetensors"), new Dictionary<string, Tensor>
        {
            ["1.weight"] = zeros(8, 784), ["1.bias"] = zeros(16), ["3.weight"] = zeros(10, 16), ["3.bias"] = zeros(10),
        });
        Assert.Contains("'1.weight' has shape [8, 784]", Assert.Throws<InvalidDataException>(() => Checkpoint.ImportWeights(model, tmp.File("shape.safetensors"))).Message);
        Safetensors.Save(tmp.File("names.safetensors"), new Dictionary<string, Tensor> { ["fc.weight"] = zeros(16, 784) });
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ImportWeights(model, tmp.File("names.safetensors")));
        Assert.Contains("missing 1.weight", e.Message);
        Assert.Contains("unexpected fc.weight", e.Message);
        var nan = model.Module.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        nan["3.bias"][2] = tensor(float.NaN);
        Safetensors.Save(tmp.File("nan.safetensors"), nan);
        Assert.Contains("NaN", Assert.Throws<InvalidDataException>(() => Checkpoint.ImportWeights(model, tmp.File("nan.safetensors"))).Message);
    }

    private static void WriteRaw(string path, string header, int dataBytes)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header.PadRight((header.Length + 7) / 8 * 8));
        var bytes = new List<byte>(BitConverter.GetBytes((ulong)headerBytes.Length));
        bytes.AddRange(headerBytes);
        bytes.AddRange(new byte[dataBytes]);
        File.WriteAllBytes(path, bytes.ToArray());
    }

    [Fact]
    public void OverlappingOffsetsAndOverflowingShapesAreRefused()
    {
        using var tmp = new TempFolder();
        WriteRaw(tmp.File("overlap.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        Assert.Contains("overlaps the one before it", Assert.Throws<InvalidDataException>(() => Safetensors.Load(tmp.File("overlap.safetensors"))).Message);
        WriteRaw(tmp.File("hole.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20);
        Assert.Contains("leaving a hole after byte 8", Assert.Throws<InvalidDataException>(() => Safetensors.Load(tmp.File("hole.safetensors"))).Message);
        WriteRaw(tmp.File("tail.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12);
        Assert.Contains("cover 8 of the 12 data bytes", Assert.Throws<InvalidDataException>(() => Safetensors.Load(tmp.File("tail.safetensors"))).Message);
        WriteRaw(tmp.File("huge.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8);
        Assert.Contains("more elements than a file can hold", Assert.Throws<InvalidDataException>(() => Safetensors.Load(tmp.File("huge.safetensors"))).Message);
        // Out of header order but back to back is what some writers produce: accepted.
        WriteRaw(tmp.File("order.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16);
        using (Safetensors.Load(tmp.File("order.safetensors"))) { }
    }

    [Fact]
    public void IntegerWeightsForAFloatModelAreRefused()
    {
        using var tmp = new TempFolder();
        using var model = ModelZoo.Create("mlp:784-16-10", [1, 28, 28], 10, seed: 1);
        var ints = model.Module.state_dict().ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Int32));
        Safetensors.Save(tmp.File("int.safetensors"), ints);
        Assert.Contains("holds Int32 values where model", Assert.Throws<InvalidDataException>(() => Checkpoint.ImportWeights(model, tmp.File("int.safetensors"))).Message);
    }
}
