using System.IO.Compression;

namespace Basin.Data;

/// <summary>An unsigned-byte array read from an IDX file: its dimensions and its data.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data)
{
    /// <summary>The number of items (the first dimension).</summary>
    public int Count => Dimensions[0];
}

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST (LeCun et al.), raw or gzip-compressed: a big-endian
/// header of two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions, each
/// dimension as a 32-bit integer, then the data.
/// </summary>
public static class IdxReader
{
    private const int MaxDimensions = 4;

    /// <summary>Reads one IDX file of unsigned bytes.</summary>
    /// <exception cref="DataFormatException">The file is missing, malformed, truncated or too long.</exception>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        byte[] bytes;
        try
        {
            bytes = Decompress(path);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"corrupt gzip stream ({e.Message})");
        }
        if (bytes.Length < 4) throw new DataFormatException(path, $"too short for an IDX header ({bytes.Length} bytes)");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new DataFormatException(path, $"wrong magic number 0x{bytes[0]:x2}{bytes[1]:x2}{bytes[2]:x2}{bytes[3]:x2}: not an IDX file");
        if (bytes[2] != 0x08)
            throw new DataFormatException(path, $"IDX element type 0x{bytes[2]:x2} is not supported (only 0x08, unsigned byte)");
        int ndim = bytes[3];
        if (ndim < 1 || ndim > MaxDimensions) throw new DataFormatException(path, $"IDX file has {ndim} dimensions (expected 1 to {MaxDimensions})");
        int header = 4 + 4 * ndim;
        if (bytes.Length < header) throw new DataFormatException(path, "truncated IDX header");
        var dims = new int[ndim];
        long total = 1;
        for (int i = 0; i < ndim; i++)
        {
            dims[i] = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new DataFormatException(path, $"negative dimension {dims[i]}");
            try { total = checked(total * dims[i]); }
            catch (OverflowException) { throw new DataFormatException(path, $"dimensions {string.Join("×", dims[..(i + 1)])} describe more data than a file can hold"); }
        }
        long have = bytes.Length - header;
        if (have < total)
            throw new DataFormatException(path, $"truncated: header promises {total} bytes of data ({string.Join("×", dims)}) but the file holds {have}");
        if (have > total)
            throw new DataFormatException(path, $"{have - total} bytes of trailing data after the {string.Join("×", dims)} array");
        return new IdxArray(dims, bytes[header..]);
    }

    private static byte[] Decompress(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
