using System.IO.Compression;
using System.Security.Cryptography;

namespace Basin.Models;

/// <summary>
/// Checks of a TorchScript file before libtorch reads it: a TorchScript archive is a zip whose every entry carries the
/// CRC-32 of its bytes, which libtorch does not verify — a weight altered after saving loads and is measured. Here every
/// entry is read and its CRC-32 (ISO-HDLC, the zip polynomial 0xEDB88320) compared; and a file's SHA-256, which a
/// checkpoint of a scripted model keeps, so that a script replaced after training is not measured as if it were the same.
/// </summary>
public static class TorchScriptArchive
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC-32 of <paramref name="data"/>, continuing from <paramref name="crc"/> (0 to start).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data, uint crc = 0)
    {
        crc = ~crc;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>Reads every entry of the archive at <paramref name="path"/> and compares its CRC-32 with the stored one.</summary>
    /// <exception cref="FormatException">Not a zip archive, or an entry whose bytes do not match its CRC-32; one line.</exception>
    public static void Verify(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var buffer = new byte[1 << 16];
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                uint crc = 0;
                int read;
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) crc = Crc32(buffer.AsSpan(0, read), crc);
                if (crc != entry.Crc32)
                    throw new FormatException($"torchscript: {path}: entry {entry.FullName} fails its CRC-32 check (stored {entry.Crc32:x8}, its bytes give {crc:x8}): the archive was altered or damaged after PyTorch saved it");
            }
        }
        catch (InvalidDataException e)
        {
            throw new FormatException($"torchscript: {path} is not a TorchScript archive PyTorch saved ({e.Message.Split('\n')[0]})", e);
        }
    }

    /// <summary>The SHA-256 of the file at <paramref name="path"/>, lower-case hex.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
