using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>
/// Reads NumPy's <c>.npy</c> arrays (format versions 1–3: the magic <c>\x93NUMPY</c>, a header dict
/// <c>{'descr', 'fortran_order', 'shape'}</c>, then the raw C-order data) and <c>.npz</c> archives of them (stored or
/// deflated), as written by <c>numpy.save</c> / <c>numpy.savez[_compressed]</c>. Little-endian numeric types only;
/// every header, size and type is checked before a tensor is made, so a damaged file is one clear line.
/// </summary>
public static partial class NumpyFiles
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> Types = new()
    {
        ["f8"] = (ScalarType.Float64, 8), ["f4"] = (ScalarType.Float32, 4), ["f2"] = (ScalarType.Float16, 2),
        ["i8"] = (ScalarType.Int64, 8), ["i4"] = (ScalarType.Int32, 4), ["i2"] = (ScalarType.Int16, 2), ["i1"] = (ScalarType.Int8, 1),
        ["u1"] = (ScalarType.Byte, 1), ["b1"] = (ScalarType.Bool, 1),
    };

    /// <summary>Reads one <c>.npy</c> file.</summary>
    /// <exception cref="DataFormatException">Not an array NumPy wrote, or one of a type Basin does not read.</exception>
    public static Tensor ReadNpy(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path, stream.Length);
    }

    /// <summary>Reads every array of an <c>.npz</c> archive, by name without <c>.npy</c>.</summary>
    /// <exception cref="DataFormatException">Not a zip archive of arrays, or an array that cannot be read.</exception>
    public static Dictionary<string, Tensor> ReadNpz(string path)
    {
        var arrays = new Dictionary<string, Tensor>();
        try
        {
            using var zip = ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)))
            {
                using var stream = entry.Open();
                // Deflated entries do not seek: read the array into memory (its size is checked against the header).
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                memory.Position = 0;
                arrays[entry.FullName[..^4]] = Read(memory, $"{path}:{entry.FullName}", memory.Length);
            }
            return arrays;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            foreach (var t in arrays.Values) t.Dispose();
            throw new DataFormatException(path, $"not a readable .npz archive ({e.Message})");
        }
        catch
        {
            foreach (var t in arrays.Values) t.Dispose();
            throw;
        }
    }

    private static Tensor Read(Stream stream, string name, long length)
    {
        var reader = new BinaryReader(stream);
        var magic = reader.ReadBytes(8);
        if (magic.Length < 8 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
            throw new DataFormatException(name, "not a .npy array (no \\x93NUMPY magic)");
        int major = magic[6];
        if (major is < 1 or > 3) throw new DataFormatException(name, $".npy format version {major} is not one Basin reads (1–3)");
        var lengthBytes = reader.ReadBytes(major == 1 ? 2 : 4);
        if (lengthBytes.Length < (major == 1 ? 2 : 4)) throw new DataFormatException(name, "truncated .npy header");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (headerLength > 1_000_000 || headerLength > length) throw new DataFormatException(name, $"a .npy header of {headerLength} bytes is not plausible");
        var headerBytes = reader.ReadBytes((int)headerLength);
        if (headerBytes.Length < headerLength) throw new DataFormatException(name, "truncated .npy header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var descr = Descr().Match(header);
        var fortran = Fortran().Match(header);
        var shapeMatch = Shape().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success) throw new DataFormatException(name, $"a .npy header without descr, fortran_order and shape: {header.Trim()}");
        string code = descr.Groups[1].Value;
        if (code.Length < 3 || !Types.TryGetValue(code[1..], out var type) || (code[0] == '>' && type.Size > 1))
            throw new DataFormatException(name, $"dtype '{code}' is not read by Basin (little-endian float64/32/16, int64/32/16/8, uint8 or bool)");
        if (fortran.Groups[1].Value == "True") throw new DataFormatException(name, "the array is stored in Fortran order: save numpy.ascontiguousarray(x) instead");
        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => long.TryParse(s, out long v) && v >= 0 ? v : throw new DataFormatException(name, $"shape entry '{s}' is not a size")).ToArray();
        long count, bytes;
        try
        {
            count = shape.Aggregate(1L, (a, b) => checked(a * b));
            bytes = checked(count * type.Size);
        }
        catch (OverflowException)
        {
            throw new DataFormatException(name, $"shape ({string.Join(", ", shape)}) is too large to be an array");
        }
        if (bytes > int.MaxValue) throw new DataFormatException(name, $"{bytes} bytes is more than one array Basin reads (2 GiB): save fewer samples");
        long offset = stream.Position;
        if (length - offset != bytes)
            throw new DataFormatException(name, $"{length - offset} data bytes for shape ({string.Join(", ", shape)}) of {code} (expected {bytes}): the file is truncated or padded");
        var data = reader.ReadBytes((int)bytes);
        var tensor = empty(shape, type.Type);
        tensor.bytes = data;
        return tensor;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([<>|=][a-z]\d+)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex Fortran();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex Shape();
}
