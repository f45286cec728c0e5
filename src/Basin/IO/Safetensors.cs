using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Basin.IO;

/// <summary>Tensors and string metadata read from a safetensors file.</summary>
/// <param name="Tensors">The tensors by name, on the CPU; owned by the caller.</param>
/// <param name="Metadata">The <c>__metadata__</c> map (empty when absent).</param>
public sealed record SafetensorsContent(Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}

/// <summary>
/// Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length, a
/// JSON header mapping each name to <c>{dtype, shape, data_offsets}</c> plus an optional
/// <c>__metadata__</c> string map, then the raw little-endian tensor bytes. Files written here load with
/// <c>safetensors.torch.load_file</c>, and files from PyTorch load here.
/// </summary>
public static class Safetensors
{
    private const long MaxHeader = 100_000_000;

    private static readonly Dictionary<ScalarType, string> Names = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    /// <summary>Writes <paramref name="tensors"/> (any device; copied to the CPU) and metadata atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    /// <summary>Writes the safetensors encoding to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!Names.TryGetValue(tensor.dtype, out var dtype)) throw new ArgumentException($"tensor '{name}': dtype {tensor.dtype} has no safetensors encoding");
            byte[] bytes = Bytes(tensor);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(tensor.shape.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes.Length)),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var blob in blobs) stream.Write(blob);
    }

    /// <summary>Reads a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The file is missing, truncated or malformed; the message names the file and the problem.</exception>
    public static SafetensorsContent Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: file not found");
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a valid safetensors file ({e.Message})", e);
        }
    }

    private static SafetensorsContent Parse(byte[] bytes)
    {
        if (bytes.Length < 8) throw new InvalidDataException("shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeader || (long)headerLength > bytes.Length - 8)
            throw new InvalidDataException($"header length {headerLength} exceeds the file ({bytes.Length} bytes): truncated?");
        var root = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength)) as JsonObject ?? throw new InvalidDataException("header is not a JSON object");
        long dataStart = 8 + (long)headerLength;
        long dataLength = bytes.Length - dataStart;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var spans = new List<(long Start, long End, string Name)>();
        try
        {
            foreach (var (name, node) in root)
            {
                if (name == "__metadata__")
                {
                    foreach (var (k, v) in node!.AsObject()) metadata[k] = v!.GetValue<string>();
                    continue;
                }
                var entry = node!.AsObject();
                string dtypeName = entry["dtype"]!.GetValue<string>();
                var dtype = Names.FirstOrDefault(p => p.Value == dtypeName).Key;
                if (!Names.ContainsKey(dtype) || Names[dtype] != dtypeName) throw new InvalidDataException($"tensor '{name}': unsupported dtype {dtypeName}");
                long[] shape = entry["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
                var offsets = entry["data_offsets"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw new InvalidDataException($"tensor '{name}': data offsets [{string.Join(", ", offsets)}] fall outside the {dataLength} data bytes (truncated?)");
                long numel, expected;
                try
                {
                    numel = shape.Aggregate(1L, (a, b) => b < 0 ? throw new InvalidDataException($"tensor '{name}': negative dimension") : checked(a * b));
                    expected = checked(numel * ElementSize(dtype));
                }
                catch (OverflowException)
                {
                    throw new InvalidDataException($"tensor '{name}': shape [{string.Join(", ", shape)}] has more elements than a file can hold");
                }
                if (offsets[1] - offsets[0] != expected)
                    throw new InvalidDataException($"tensor '{name}': {offsets[1] - offsets[0]} bytes for shape [{string.Join(", ", shape)}] of {dtypeName} (expected {expected})");
                spans.Add((offsets[0], offsets[1], name));
                var t = empty(shape, dtype);
                Bytes(bytes.AsSpan((int)(dataStart + offsets[0]), (int)expected), t);
                tensors[name] = t;
            }
            // The format lays tensors out back to back, in any header order, covering the data exactly (as the
            // reference implementation checks): an overlap would alias two tensors' bytes, a hole hides bytes.
            var ordered = spans.OrderBy(s => s.Start).ThenBy(s => s.End).ToList();
            long expectedStart = 0;
            foreach (var (start, end, name) in ordered)
            {
                if (start < expectedStart)
                    throw new InvalidDataException($"tensor '{name}' overlaps the one before it in the data (offsets {start}–{end}, the previous one ends at {expectedStart})");
                if (start > expectedStart)
                    throw new InvalidDataException($"tensor '{name}' starts at byte {start}, leaving a hole after byte {expectedStart} of the data");
                expectedStart = end;
            }
            if (expectedStart != dataLength)
                throw new InvalidDataException($"the tensors cover {expectedStart} of the {dataLength} data bytes");
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return new SafetensorsContent(tensors, metadata);
    }

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static byte[] Bytes(Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        var bytes = new byte[cpu.numel() * ElementSize(cpu.dtype)];
        cpu.bytes.CopyTo(bytes);
        return bytes;
    }

    private static void Bytes(Span<byte> source, Tensor target) => target.bytes = source;
}
